{#- The exact decimal text (fractions of a minor unit) when Stripe gives it. -#}
{%- set unit_amount_minor =
    "coalesce(cast(nullif(unit_amount_decimal, '') as " ~ type_source_amount() ~ "), unit_amount)"
-%}

with

source as (

    {{ raw_table('payments', 'prices') }}

),

renamed as (

    select
        id as price_id,
        product as product_id,
        nickname as price_name,
        lookup_key,
        type as price_type,
        billing_scheme,
        tax_behavior,
        upper(currency) as currency_code,
        {{ minor_to_major(unit_amount_minor, 'currency') }} as unit_amount,
        nullif({{ json_text('recurring', ['interval']) }}, '') as recurring_interval,
        cast({{ json_text('recurring', ['interval_count']) }} as integer)
            as recurring_interval_count,
        nullif({{ json_text('metadata', ['price_list']) }}, '') as price_list,
        metadata,
        coalesce(active, false) as is_active,
        coalesce(livemode, false) as is_livemode,
        coalesce(deleted, false) as is_deleted,
        created as created_at

    from source

)

select * from renamed
