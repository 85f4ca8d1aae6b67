{%- set default_currency = var('crm_default_currency') or var('reporting_currency') -%}

with

source as (

    {{ raw_table('crm', 'line_items') }}

),

deal_links as (

    {{ crm_association_links('source', 'deals', 'line_item_id', 'deal_id') }}

),

ranked_deal_links as (

    select
        line_item_id,
        deal_id,
        row_number() over (
            partition by line_item_id
            order by {{ crm_association_preference('deal_id') }}
        ) as link_rank

    from deal_links

),

renamed as (

    select
        source.id as line_item_id,
        ranked_deal_links.deal_id,
        {{ crm_property('hs_product_id') }} as product_id,
        {{ crm_property('hs_sku') }} as sku,
        {{ crm_property('name') }} as line_item_name,
        {{ crm_number('quantity') }} as quantity,
        {{ crm_number('price') }} as unit_price,
        {{ crm_number('hs_total_discount') }} as discount_amount,
        {{ crm_number('amount') }} as amount,
        upper(coalesce(
            {{ crm_property('hs_line_item_currency_code') }},
            '{{ default_currency }}'
        )) as currency_code,
        {{ crm_property('hs_recurring_billing_period') }} as recurring_billing_period,
        coalesce({{ crm_timestamp('createdate') }}, source.created_at) as line_item_created_at,
        source.updated_at,
        coalesce(source.archived, false) as is_archived,
        source.archived_at

    from source
    left join ranked_deal_links
        on source.id = ranked_deal_links.line_item_id
        and ranked_deal_links.link_rank = 1

)

select * from renamed
