{#-
    One row per Stripe refund with the charge it gives back (its customer and invoice), its
    own date in company time (refunds leave collected cash on their own date, kpis.md) and
    its amount in the reporting currency at that date. Only succeeded refunds move money.
-#}

with

refunds as (

    select * from {{ ref('stg_payments__refunds') }}

),

charges as (

    select * from {{ ref('stg_payments__charges') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

dated as (

    select
        refunds.refund_id,
        refunds.charge_id,
        charges.invoice_id,
        charges.customer_id,
        coalesce(refunds.payment_intent_id, charges.payment_intent_id) as payment_intent_id,
        refunds.status,
        refunds.status = 'succeeded' as is_succeeded,
        refunds.reason,
        refunds.created_at as refunded_at,
        {{ company_date('refunds.created_at') }} as refund_date,
        {{ company_date('charges.created_at') }} as charge_payment_date,
        refunds.currency_code,
        refunds.amount,
        refunds.is_livemode

    from refunds
    left join charges
        on refunds.charge_id = charges.charge_id

),

converted as (

    select
        dated.refund_id,
        dated.charge_id,
        dated.invoice_id,
        dated.customer_id,
        dated.payment_intent_id,
        dated.status,
        dated.is_succeeded,
        dated.reason,
        dated.refunded_at,
        dated.refund_date,
        dated.charge_payment_date,
        dated.currency_code,
        dated.amount,
        {{ convert_to_reporting('dated.amount', 'fx') }} as amount_reporting,
        dated.is_livemode,
        {{ is_missing_fx_rate('dated.amount', 'fx') }} as is_missing_fx_rate

    from dated
    {{ fx_daily_rate_joins('fx_rates', 'dated.currency_code', 'dated.refund_date', 'fx') }}

)

select * from converted
