{#-
    One row per line of a Stripe invoice: what was sold (product, SKU, the catalog price and
    its price list), how much, and at what amount and discount, natively and in the
    reporting currency at the invoice's date (the date its invoice converts at).
-#}

with

lines as (

    select * from {{ ref('stg_payments__invoice_lines') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

prices as (

    select * from {{ ref('stg_payments__prices') }}

),

products as (

    select * from {{ ref('stg_payments__products') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

line_facts as (

    select
        lines.invoice_line_id,
        lines.invoice_id,
        invoices.customer_id,
        invoices.crm_deal_id,
        invoices.invoice_date,
        invoices.fx_rate_date,
        lines.line_type,
        coalesce(lines.product_id, prices.product_id) as product_id,
        products.sku,
        lines.price_id,
        prices.price_list,
        prices.lookup_key as price_lookup_key,
        lines.description,
        lines.quantity,
        lines.currency_code,
        -- The catalog's amount for the quantity, when the price is per unit in the line's currency.
        cast(
            case when prices.currency_code = lines.currency_code then prices.unit_amount end
            as {{ type_source_amount() }}
        ) as list_unit_amount,
        cast(
            case
                when prices.currency_code = lines.currency_code
                    then prices.unit_amount * lines.quantity
            end
            as {{ type_source_amount() }}
        ) as list_amount,
        lines.amount,
        lines.discount_amount,
        cast(lines.amount - lines.discount_amount as {{ type_source_amount() }}) as net_amount,
        lines.period_start_at,
        lines.period_end_at,
        lines.is_proration,
        coalesce(invoices.is_finalized, false) as is_finalized,
        lines.is_deleted,
        lines.is_livemode

    from lines
    left join invoices
        on lines.invoice_id = invoices.invoice_id
    left join prices
        on lines.price_id = prices.price_id
    left join products
        on coalesce(lines.product_id, prices.product_id) = products.product_id

),

converted as (

    select
        line_facts.invoice_line_id,
        line_facts.invoice_id,
        line_facts.customer_id,
        line_facts.crm_deal_id,
        line_facts.invoice_date,
        line_facts.fx_rate_date,
        line_facts.line_type,
        line_facts.product_id,
        line_facts.sku,
        line_facts.price_id,
        line_facts.price_list,
        line_facts.price_lookup_key,
        line_facts.description,
        line_facts.quantity,
        line_facts.currency_code,
        line_facts.list_unit_amount,
        line_facts.list_amount,
        line_facts.amount,
        line_facts.discount_amount,
        line_facts.net_amount,
        {{ convert_to_reporting('line_facts.list_amount', 'fx') }} as list_amount_reporting,
        {{ convert_to_reporting('line_facts.amount', 'fx') }} as amount_reporting,
        {{ convert_to_reporting('line_facts.discount_amount', 'fx') }} as discount_amount_reporting,
        {{ convert_to_reporting('line_facts.net_amount', 'fx') }} as net_amount_reporting,
        line_facts.period_start_at,
        line_facts.period_end_at,
        line_facts.is_proration,
        line_facts.is_finalized,
        line_facts.is_deleted,
        line_facts.is_livemode,
        {{ is_missing_fx_rate('line_facts.amount', 'fx') }} as is_missing_fx_rate

    from line_facts
    {{ fx_daily_rate_joins('fx_rates', 'line_facts.currency_code', 'line_facts.fx_rate_date', 'fx') }}

)

select * from converted
