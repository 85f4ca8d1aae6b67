{#-
    One row per Stripe product (the billing catalog), with its SKU and the CRM product of
    the same SKU (`hs_sku`), the link between what was sold in the CRM and what was billed.
-#}

with

products as (

    select * from {{ ref('stg_payments__products') }}

),

prices as (

    select * from {{ ref('stg_payments__prices') }}

),

crm_products as (

    select * from {{ ref('stg_crm__products') }}

),

-- Should several CRM products share a SKU, a live one wins, then the latest modified.
ranked_crm_products as (

    select
        sku,
        product_id,
        product_name,
        row_number() over (
            partition by sku
            order by is_archived, updated_at desc nulls last, product_id
        ) as preference

    from crm_products
    where sku is not null

),

product_prices as (

    select
        product_id,
        count(*) as prices,
        count(case when is_active and not is_deleted then 1 end) as active_prices

    from prices
    group by product_id

),

final as (

    select
        products.product_id,
        products.product_name,
        products.description,
        products.product_type,
        nullif({{ json_text('products.metadata', ['kind']) }}, '') as product_kind,
        products.sku,
        products.default_price_id,
        products.unit_label,
        coalesce(product_prices.prices, 0) as prices,
        coalesce(product_prices.active_prices, 0) as active_prices,
        ranked_crm_products.product_id as crm_product_id,
        ranked_crm_products.product_name as crm_product_name,
        products.is_active,
        products.is_deleted,
        products.is_livemode,
        products.created_at,
        products.updated_at

    from products
    left join product_prices
        on products.product_id = product_prices.product_id
    left join ranked_crm_products
        on products.sku = ranked_crm_products.sku
        and ranked_crm_products.preference = 1

)

select * from final
