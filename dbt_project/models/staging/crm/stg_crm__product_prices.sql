{#- HubSpot keeps a multi-currency product's list prices as `hs_price_<currency>` properties. -#}
{%- set price_prefix = 'hs_price_' -%}

with

source as (

    {{ raw_table('crm', 'products') }}

),

prices as (

    select
        source.id as product_id,
        upper(substr(price.key, {{ price_prefix | length + 1 }})) as currency_code,
        cast(nullif({{ json_text('price.value', []) }}, '') as {{ type_source_amount() }})
            as unit_price,
        coalesce(source.archived, false) as is_archived

    from source
    {{ json_object_entries('source.properties', 'price') }}
    where price.key like '{{ price_prefix }}%'

),

priced as (

    select * from prices
    where unit_price is not null

)

select * from priced
