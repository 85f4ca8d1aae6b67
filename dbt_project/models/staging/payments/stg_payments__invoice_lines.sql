with

source as (

    {{ raw_table('payments', 'invoices') }}

),

-- Stripe's `lines` is a list object: the line items are its `data`.
lines as (

    select
        invoices.id as invoice_id,
        invoices.currency as invoice_currency,
        invoices.livemode,
        invoices.deleted,
        line.element as line

    from source as invoices
    {{ json_array_elements('invoices.lines', 'line', ['data']) }}

),

discounts as (

    select
        {{ json_text('lines.line', ['id']) }} as invoice_line_id,
        sum(cast({{ json_text('discount.element', ['amount']) }} as bigint))
            as discount_amount_minor

    from lines
    {{ json_array_elements('lines.line', 'discount', ['discount_amounts']) }}
    group by 1

),

renamed as (

    select
        {{ json_text('line', ['id']) }} as invoice_line_id,
        invoice_id,
        nullif({{ json_text('line', ['invoice_item']) }}, '') as invoice_item_id,
        nullif({{ json_text('line', ['subscription']) }}, '') as subscription_id,
        {{ json_text('line', ['type']) }} as line_type,
        -- API 2024-06-20 embeds the price; newer versions name it under `pricing`
        coalesce(
            {{ json_text('line', ['price', 'id']) }},
            {{ json_text('line', ['pricing', 'price_details', 'price']) }}
        ) as price_id,
        coalesce(
            {{ json_text('line', ['price', 'product']) }},
            {{ json_text('line', ['pricing', 'price_details', 'product']) }}
        ) as product_id,
        {{ json_text('line', ['description']) }} as description,
        cast({{ json_text('line', ['quantity']) }} as bigint) as quantity,
        upper(coalesce({{ json_text('line', ['currency']) }}, invoice_currency)) as currency_code,
        coalesce({{ json_text('line', ['currency']) }}, invoice_currency) as currency,
        cast({{ json_text('line', ['amount']) }} as bigint) as amount_minor,
        cast(
            nullif({{ json_text('line', ['unit_amount_excluding_tax']) }}, '')
            as {{ type_source_amount() }}
        ) as unit_amount_excluding_tax_minor,
        {{ unix_seconds_to_timestamp(json_text('line', ['period', 'start'])) }} as period_start_at,
        {{ unix_seconds_to_timestamp(json_text('line', ['period', 'end'])) }} as period_end_at,
        coalesce({{ json_text('line', ['proration']) }} = 'true', false) as is_proration,
        coalesce(livemode, false) as is_livemode,
        coalesce(deleted, false) as is_deleted

    from lines

),

converted as (

    select
        renamed.invoice_line_id,
        renamed.invoice_id,
        renamed.invoice_item_id,
        renamed.subscription_id,
        renamed.line_type,
        renamed.price_id,
        renamed.product_id,
        renamed.description,
        renamed.quantity,
        renamed.currency_code,
        {{ minor_to_major('renamed.amount_minor', 'renamed.currency') }} as amount,
        {{ minor_to_major('renamed.unit_amount_excluding_tax_minor', 'renamed.currency') }}
            as unit_amount_excluding_tax,
        {{ minor_to_major('coalesce(discounts.discount_amount_minor, 0)', 'renamed.currency') }}
            as discount_amount,
        renamed.period_start_at,
        renamed.period_end_at,
        renamed.is_proration,
        renamed.is_livemode,
        renamed.is_deleted

    from renamed
    left join discounts
        on renamed.invoice_line_id = discounts.invoice_line_id

)

select * from converted
