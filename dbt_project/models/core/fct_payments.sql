{#-
    One row per Stripe charge: every payment attempt, succeeded or failed (the follow-up
    list needs the failures), with its payment date in company time, what it collected and
    what was refunded of it, natively and in the reporting currency.

    Incremental. Staging exposes no load timestamp for Stripe objects, and a charge keeps
    its `created` when it changes, so each run rebuilds the charges attempted within
    var incremental_lookback_days (default 3) before the newest attempt already loaded,
    plus every charge with a refund made in that window (a refund updates its charge
    long after the attempt). A change older than the window that is not a refund (e.g. a
    late dispute) needs `--full-refresh`. delete+insert on charge_id never duplicates a
    charge.
-#}

{{
    config(
        materialized='incremental',
        unique_key='charge_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

with

charges as (

    select * from {{ ref('int_payments__charges') }}

),

refunds as (

    select * from {{ ref('int_payments__refunds') }}

),

{% if is_incremental() %}

window_start as (

    select
        {{ dbt.dateadd(
            'day',
            -1 * var('incremental_lookback_days', 3),
            'coalesce(max(attempted_at), cast(\'1970-01-01\' as ' ~ type_timestamp_tz() ~ '))'
        ) }} as since

    from {{ this }}

),

{% endif %}

-- Only succeeded refunds give money back.
charge_refunds as (

    select
        charge_id,
        count(*) as refunds,
        sum(amount) as refunded_amount,
        sum(amount_reporting) as refunded_amount_reporting,
        max(refunded_at) as last_refunded_at,
        max(case when is_missing_fx_rate then 1 else 0 end) = 1 as is_missing_refund_fx_rate

    from refunds
    where is_succeeded
    group by charge_id

),

payments as (

    select
        charges.charge_id,
        charges.customer_id,
        charges.invoice_id,
        charges.payment_intent_id,
        charges.status,
        charges.is_succeeded,
        charges.attempted_at,
        charges.paid_at,
        charges.payment_date,
        {{ month_start('charges.payment_date') }} as payment_month,
        charges.currency_code,
        charges.amount,
        charges.collected_amount,
        charges.amount_refunded,
        coalesce(charge_refunds.refunds, 0) as refunds,
        cast(coalesce(charge_refunds.refunded_amount, 0) as {{ type_source_amount() }})
            as refunded_amount,
        charge_refunds.last_refunded_at,
        charges.amount_reporting,
        charges.collected_amount_reporting,
        -- Each refund converts at its own date; null rather than short when one cannot.
        cast(
            case
                when charge_refunds.charge_id is null then 0
                when not charge_refunds.is_missing_refund_fx_rate
                    then charge_refunds.refunded_amount_reporting
            end
            as {{ type_money() }}
        ) as refunded_amount_reporting,
        charges.failure_code,
        charges.failure_message,
        charges.outcome_reason,
        charges.payment_method_type,
        charges.is_disputed,
        charges.is_livemode,
        charges.is_missing_fx_rate
        or coalesce(charge_refunds.is_missing_refund_fx_rate, false) as is_missing_fx_rate

    from charges
    left join charge_refunds
        on charges.charge_id = charge_refunds.charge_id

    {% if is_incremental() %}
    where charges.attempted_at >= (select since from window_start)
        or charges.charge_id in (
            select charge_id
            from refunds
            where refunded_at >= (select since from window_start)
        )
    {% endif %}

)

select * from payments
