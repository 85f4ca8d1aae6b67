{#-
    One row per Stripe refund, dated on its own day (collected cash loses it then, kpis.md),
    with the charge, invoice and customer it gives money back to, natively and in the
    reporting currency at the refund date. Only succeeded refunds count (is_succeeded):
    pending, failed and canceled ones stay for history.
-#}

with

refunds as (

    select * from {{ ref('int_payments__refunds') }}

),

final as (

    select
        refund_id,
        charge_id,
        invoice_id,
        customer_id,
        payment_intent_id,
        status,
        is_succeeded,
        reason,
        refunded_at,
        refund_date,
        {{ month_start('refund_date') }} as refund_month,
        charge_payment_date,
        cast(
            {{ dbt.datediff('charge_payment_date', 'refund_date', 'day') }} as integer
        ) as days_after_payment,
        currency_code,
        amount,
        amount_reporting,
        is_livemode,
        is_missing_fx_rate

    from refunds

)

select * from final
