{#-
    The company properties with history: the owner (an account's rep at any past date),
    the lead source (a deal without a primary contact falls back on its company's) and
    the lifecycle stage.
-#}
{%- set tracked_properties = [
    'hubspot_owner_id',
    'lead_source',
    'hs_analytics_source',
    'lifecyclestage',
] -%}

with

companies as (

    {{ raw_table('crm', 'companies') }}

),

changes as (

    {{ crm_property_history('companies', 'company_id', tracked_properties) }}

),

keyed as (

    select
        {{ crm_property_change_id('company_id') }} as property_change_id,
        *

    from changes

)

select * from keyed
