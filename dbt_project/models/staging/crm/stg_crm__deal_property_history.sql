{#- The deal properties whose history every "as of" measure is rebuilt from. -#}
{%- set tracked_properties = [
    'dealstage',
    'amount',
    'deal_currency_code',
    'closedate',
    'hubspot_owner_id',
    'hs_manual_forecast_category',
    'pipeline',
] -%}

with

deals as (

    {{ raw_table('crm', 'deals') }}

),

changes as (

    {{ crm_property_history('deals', 'deal_id', tracked_properties) }}

),

keyed as (

    select
        {{ crm_property_change_id('deal_id') }} as property_change_id,
        *

    from changes

)

select * from keyed
