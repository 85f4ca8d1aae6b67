with

source as (

    {{ raw_table('payments', 'refunds') }}

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

    from source

)

select * from renamed
