with

source as (

    {{ raw_table('payments', 'refunds') }}

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
        id as refund_id,
        charge as charge_id,
        payment_intent as payment_intent_id,
        balance_transaction as balance_transaction_id,
        status,
        reason,
        receipt_number,
        upper(currency) as currency_code,
        {{ minor_to_major('amount', 'currency') }} as amount,
        metadata,
        coalesce(livemode, false) as is_livemode,
        created as created_at

    from ranked
    where snapshot_number = 1

)

select * from renamed
