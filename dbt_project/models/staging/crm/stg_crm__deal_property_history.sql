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

    select * from {{ source('crm', 'deals') }}

),

{% for property_name in tracked_properties %}
{{ property_name }}_history as (

    select
        deals.id as deal_id,
        '{{ property_name }}' as property_name,
        {{ json_text('change.element', ['value']) }} as property_value,
        {{ iso_timestamp(json_text('change.element', ['timestamp'])) }} as changed_at,
        {{ json_text('change.element', ['sourceType']) }} as change_source

    from deals
    {{ json_array_elements('deals.properties_with_history', 'change', [property_name]) }}

),

{% endfor %}
unioned as (

    {% for property_name in tracked_properties %}
    -- distinct: an entry repeated verbatim in the payload carries no extra information
    select distinct * from {{ property_name }}_history
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

keyed as (

    select
        {{ dbt.hash(dbt.concat([
            'deal_id', "'|'", 'property_name', "'|'",
            dbt.cast('changed_at', api.Column.translate_type('string')), "'|'",
            "coalesce(property_value, '')",
        ])) }} as property_change_id,
        *

    from unioned

)

select * from keyed
