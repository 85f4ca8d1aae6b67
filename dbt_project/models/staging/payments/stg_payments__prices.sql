{#- The exact decimal text (fractions of a minor unit) when Stripe gives it. -#}
{%- set unit_amount_minor =
    "coalesce(cast(nullif(unit_amount_decimal, '') as " ~ type_source_amount() ~ "), unit_amount)"
-%}

with

source as (

    {{ raw_table('payments', 'prices') }}

),

-- One row per id after dlt's merge; should a table ever hold several snapshots of an
-- object, the one the loader ranks highest wins (the deleted one, else the newest).
ranked as (

    select
        *,
        row_number() over (
            partition by id
            order by _state_rank desc, _event_id desc nulls last
        ) as snapshot_number

    from source

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

    from ranked
    where snapshot_number = 1

)

select * from renamed
