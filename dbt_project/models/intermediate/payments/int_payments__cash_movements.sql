{#-
    Collected cash as signed movements (kpis.md "collected cash"): one row per succeeded
    charge (money in, on its payment date) and one per succeeded refund (money out, on its
    own date). Failed and pending charges and refunds that did not succeed move nothing and
    have no row. Summing amount_reporting by customer and month gives the net collected
    cash that logo retention and net revenue retention read.
-#}

with

charges as (

    select * from {{ ref('int_payments__charges') }}

),

refunds as (

    select * from {{ ref('int_payments__refunds') }}

),

charge_movements as (

    select
        charge_id as movement_id,
        'charge' as movement_type,
        charge_id,
        invoice_id,
        customer_id,
        attempted_at as moved_at,
        payment_date as movement_date,
        {{ month_start('payment_date') }} as movement_month,
        currency_code,
        collected_amount as amount,
        collected_amount_reporting as amount_reporting,
        is_missing_fx_rate

    from charges
    where is_succeeded

),

refund_movements as (

    select
        refund_id as movement_id,
        'refund' as movement_type,
        charge_id,
        invoice_id,
        customer_id,
        refunded_at as moved_at,
        refund_date as movement_date,
        {{ month_start('refund_date') }} as movement_month,
        currency_code,
        cast(-amount as {{ type_source_amount() }}) as amount,
        cast(-amount_reporting as {{ type_money() }}) as amount_reporting,
        is_missing_fx_rate

    from refunds
    where is_succeeded

),

movements as (

    select * from charge_movements
    union all
    select * from refund_movements

)

select * from movements
