{#-
    One row per Stripe charge (a payment attempt, succeeded, pending or failed) with its
    payment date in company time and its amounts in the reporting currency at that date.
-#}

with

charges as (

    select * from {{ ref('stg_payments__charges') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

dated as (

    select
        charges.charge_id,
        charges.customer_id,
        charges.invoice_id,
        charges.payment_intent_id,
        charges.status,
        charges.status = 'succeeded' as is_succeeded,
        charges.created_at as attempted_at,
        case when charges.status = 'succeeded' then charges.created_at end as paid_at,
        {{ company_date('charges.created_at') }} as payment_date,
        charges.currency_code,
        charges.amount,
        -- Money moves only when a succeeded charge is captured (an authorization does not).
        cast(
            case
                when charges.status = 'succeeded'
                    then coalesce(charges.amount_captured, charges.amount)
                else 0
            end
            as {{ type_source_amount() }}
        ) as collected_amount,
        charges.amount_refunded,
        charges.failure_code,
        charges.failure_message,
        charges.outcome_reason,
        charges.payment_method_type,
        charges.is_disputed,
        charges.is_livemode

    from charges

),

converted as (

    select
        dated.charge_id,
        dated.customer_id,
        dated.invoice_id,
        dated.payment_intent_id,
        dated.status,
        dated.is_succeeded,
        dated.attempted_at,
        dated.paid_at,
        dated.payment_date,
        dated.currency_code,
        dated.amount,
        dated.collected_amount,
        dated.amount_refunded,
        {{ convert_to_reporting('dated.amount', 'fx') }} as amount_reporting,
        {{ convert_to_reporting('dated.collected_amount', 'fx') }} as collected_amount_reporting,
        dated.failure_code,
        dated.failure_message,
        dated.outcome_reason,
        dated.payment_method_type,
        dated.is_disputed,
        dated.is_livemode,
        {{ is_missing_fx_rate('dated.amount', 'fx') }} as is_missing_fx_rate

    from dated
    {{ fx_daily_rate_joins('fx_rates', 'dated.currency_code', 'dated.payment_date', 'fx') }}

)

select * from converted
