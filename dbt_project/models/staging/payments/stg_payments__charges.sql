with

source as (

    {{ raw_table('payments', 'charges') }}

),

renamed as (

    select
        id as charge_id,
        customer as customer_id,
        invoice as invoice_id,
        payment_intent as payment_intent_id,
        balance_transaction as balance_transaction_id,
        status,
        description,
        upper(currency) as currency_code,
        {{ minor_to_major('amount', 'currency') }} as amount,
        {{ minor_to_major('amount_captured', 'currency') }} as amount_captured,
        {{ minor_to_major('amount_refunded', 'currency') }} as amount_refunded,
        failure_code,
        failure_message,
        nullif({{ json_text('outcome', ['type']) }}, '') as outcome_type,
        nullif({{ json_text('outcome', ['reason']) }}, '') as outcome_reason,
        nullif({{ json_text('outcome', ['network_status']) }}, '') as outcome_network_status,
        nullif({{ json_text('outcome', ['seller_message']) }}, '') as outcome_seller_message,
        nullif({{ json_text('payment_method_details', ['type']) }}, '') as payment_method_type,
        nullif({{ json_text('payment_method_details', ['card', 'brand']) }}, '') as card_brand,
        metadata,
        coalesce(paid, false) as is_paid,
        coalesce(captured, false) as is_captured,
        coalesce(refunded, false) as is_refunded,
        coalesce(disputed, false) as is_disputed,
        coalesce(livemode, false) as is_livemode,
        created as created_at

    from source

)

select * from renamed
