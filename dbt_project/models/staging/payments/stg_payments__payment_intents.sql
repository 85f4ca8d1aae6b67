with

source as (

    {{ raw_table('payments', 'payment_intents') }}

),

renamed as (

    select
        id as payment_intent_id,
        customer as customer_id,
        invoice as invoice_id,
        latest_charge as latest_charge_id,
        payment_method as payment_method_id,
        status,
        capture_method,
        cancellation_reason,
        description,
        upper(currency) as currency_code,
        {{ minor_to_major('amount', 'currency') }} as amount,
        {{ minor_to_major('amount_received', 'currency') }} as amount_received,
        nullif({{ json_text('last_payment_error', ['code']) }}, '') as last_payment_error_code,
        nullif({{ json_text('last_payment_error', ['decline_code']) }}, '')
            as last_payment_error_decline_code,
        nullif({{ json_text('last_payment_error', ['message']) }}, '')
            as last_payment_error_message,
        nullif({{ json_text('last_payment_error', ['charge']) }}, '')
            as last_payment_error_charge_id,
        metadata,
        coalesce(livemode, false) as is_livemode,
        created as created_at,
        canceled_at

    from source

)

select * from renamed
