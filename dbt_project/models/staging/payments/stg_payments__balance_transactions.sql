with

source as (

    {{ raw_table('payments', 'balance_transactions') }}

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

    from source

)

select * from renamed
