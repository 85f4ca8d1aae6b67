{#-
    One row per CRM line item: what a deal (and its quote, if any) is made of, priced at
    the customer's price list (`unit_price`, `discount_amount`: the line's own discount)
    and measured against the list price of the product in the line's currency
    (`list_unit_price`, HubSpot's `hs_price_<currency>`, the `list` price list): discount
    depth = 1 - net / list amount (kpis.md). Reporting amounts convert at the FX rate of
    the deal's close date (company time; for an open deal its expected close date), each
    amount rounded to cents per line.
    - Quote: of the quotes linked to the line (either direction), a live one before an
      archived one, then the latest created, then the highest id.
    - Price list: the quote's `price_list`, else the one of the deal's customer in Stripe
      (metadata `price_list`, int_customer_identity).
-#}

with

line_items as (

    select * from {{ ref('stg_crm__line_items') }}

),

quotes as (

    select * from {{ ref('stg_crm__quotes') }}

),

associations as (

    select * from {{ ref('stg_crm__associations') }}

),

product_prices as (

    select * from {{ ref('stg_crm__product_prices') }}

),

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

deal_parties as (

    select * from {{ ref('int_deal_original_lead_source') }}

),

customer_identity as (

    select * from {{ ref('int_customer_identity') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

quote_links as (

    select
        from_id as quote_id,
        to_id as line_item_id

    from associations
    where from_object_type = 'quotes'
        and to_object_type = 'line_items'

    union

    select
        to_id as quote_id,
        from_id as line_item_id

    from associations
    where from_object_type = 'line_items'
        and to_object_type = 'quotes'

),

ranked_quotes as (

    select
        quote_links.line_item_id,
        quotes.quote_id,
        quotes.price_list,
        row_number() over (
            partition by quote_links.line_item_id
            order by
                quotes.is_archived,
                quotes.quote_created_at desc nulls last,
                quotes.quote_id desc
        ) as quote_rank

    from quote_links
    inner join quotes
        on quote_links.quote_id = quotes.quote_id

),

lines as (

    select
        line_items.line_item_id,
        line_items.deal_id,
        ranked_quotes.quote_id,
        deal_parties.company_id as customer_id,
        line_items.product_id,
        line_items.sku,
        line_items.line_item_name,
        coalesce(ranked_quotes.price_list, customer_identity.price_list) as price_list,
        case
            when ranked_quotes.price_list is not null then 'quote'
            when customer_identity.price_list is not null then 'stripe_customer'
        end as price_list_source,
        line_items.currency_code,
        line_items.quantity,
        line_items.unit_price,
        product_prices.unit_price as list_unit_price,
        cast(line_items.quantity * line_items.unit_price as {{ type_source_amount() }})
            as gross_amount,
        cast(line_items.quantity * product_prices.unit_price as {{ type_source_amount() }})
            as list_amount,
        coalesce(
            line_items.amount,
            cast(
                line_items.quantity * line_items.unit_price - line_items.discount_amount
                as {{ type_source_amount() }}
            )
        ) as net_amount,
        line_items.discount_amount as recorded_discount_amount,
        line_items.recurring_billing_period,
        {{ company_date('deals.closed_at') }} as close_date,
        line_items.line_item_created_at as created_at,
        line_items.updated_at,
        line_items.is_archived,
        line_items.archived_at

    from line_items
    left join ranked_quotes
        on line_items.line_item_id = ranked_quotes.line_item_id
        and ranked_quotes.quote_rank = 1
    left join deals
        on line_items.deal_id = deals.deal_id
    left join deal_parties
        on line_items.deal_id = deal_parties.deal_id
    left join customer_identity
        on deal_parties.company_id = customer_identity.company_id
    left join product_prices
        on line_items.product_id = product_prices.product_id
        and line_items.currency_code = product_prices.currency_code

),

amounts as (

    select
        *,
        -- The line's own discount from its price list; computed when the CRM has none.
        coalesce(
            recorded_discount_amount,
            cast(gross_amount - net_amount as {{ type_source_amount() }})
        ) as discount_amount,
        cast(list_amount - net_amount as {{ type_source_amount() }}) as list_discount_amount

    from lines

),

final as (

    select
        amounts.line_item_id,
        amounts.deal_id,
        amounts.quote_id,
        amounts.customer_id,
        amounts.product_id,
        amounts.sku,
        amounts.line_item_name,
        amounts.price_list,
        amounts.price_list_source,
        amounts.currency_code,
        amounts.quantity,
        amounts.unit_price,
        amounts.list_unit_price,
        amounts.gross_amount,
        amounts.list_amount,
        amounts.net_amount,
        amounts.discount_amount,
        amounts.list_discount_amount,
        amounts.recurring_billing_period,
        amounts.close_date,
        {{ convert_to_reporting('amounts.net_amount', 'fx') }} as net_amount_reporting,
        {{ convert_to_reporting('amounts.list_amount', 'fx') }} as list_amount_reporting,
        {{ convert_to_reporting('amounts.gross_amount', 'fx') }} as gross_amount_reporting,
        {{ convert_to_reporting('amounts.discount_amount', 'fx') }} as discount_amount_reporting,
        {{ is_missing_fx_rate('amounts.net_amount', 'fx') }} as is_missing_fx_rate,
        amounts.list_unit_price is null as is_missing_list_price,
        amounts.created_at,
        amounts.updated_at,
        amounts.is_archived,
        amounts.archived_at

    from amounts
    {{ fx_daily_rate_joins('fx_rates', 'amounts.currency_code', 'amounts.close_date', 'fx') }}

)

select * from final
