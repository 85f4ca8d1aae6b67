with

source as (

    {{ raw_table('payments', 'balance_transactions') }}

),

-- One row per id after dlt's merge; should a table ever hold several snapshots of an
-- object, the one the loader ranks highest wins (the newest).
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
        id as balance_transaction_id,
        source as source_id,
        type as balance_transaction_type,
        reporting_category,
        status,
        description,
        -- the settlement currency (the Stripe balance's), not necessarily the charge's
        upper(currency) as currency_code,
        {{ minor_to_major('amount', 'currency') }} as amount,
        {{ minor_to_major('fee', 'currency') }} as fee,
        {{ minor_to_major('net', 'currency') }} as net,
        cast(exchange_rate as {{ type_ratio() }}) as exchange_rate,
        coalesce(livemode, false) as is_livemode,
        created as created_at,
        available_on as available_at

    from ranked
    where snapshot_number = 1

)

select * from renamed
