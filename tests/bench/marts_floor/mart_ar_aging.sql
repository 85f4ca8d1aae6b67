-- Floor of mart_ar_aging: hand-written DuckDB over the staging views only.
-- Invoices open at the end of each snapshot day (month ends, then the as-of date), in
-- Jakarta days; amount due = total - charges succeeded by then, in USD at the invoice
-- date's rate (the latest published on or before it), rounded half up per invoice. A
-- customer with an amount that has no rate gets null amounts, never short, and the count.
with
invoices as (
    select
        invoice_id,
        customer_id,
        currency_code,
        total,
        cast(timezone('Asia/Jakarta', finalized_at) as date) as invoice_date,
        cast(timezone('Asia/Jakarta', due_at) as date) as due_date,
        least(
            cast(timezone('Asia/Jakarta', paid_at) as date),
            cast(timezone('Asia/Jakarta', voided_at) as date),
            cast(timezone('Asia/Jakarta', marked_uncollectible_at) as date)
        ) as closed_date
    from staging.stg_payments__invoices
    where finalized_at is not null and not is_deleted
),
snapshots as (
    select cast(last_day(month_start) as date) as snapshot_date
    from (
        select unnest(generate_series(
            cast(date_trunc('month', first_invoice_date) as timestamp),
            cast(getvariable('as_of_date') as timestamp),
            interval 1 month
        )) as month_start
        from (select min(invoice_date) as first_invoice_date from invoices)
    )
    where last_day(month_start) < getvariable('as_of_date')
    union all
    select getvariable('as_of_date')
),
open_invoices as (
    select s.snapshot_date, i.*
    from snapshots s
    join invoices i
        on s.snapshot_date >= i.invoice_date
        and (s.snapshot_date < i.closed_date or i.closed_date is null)
),
succeeded as (
    select
        invoice_id,
        cast(timezone('Asia/Jakarta', created_at) as date) as payment_date,
        coalesce(amount_captured, amount) as collected
    from staging.stg_payments__charges
    where status = 'succeeded' and invoice_id is not null
),
due as (
    select
        o.snapshot_date,
        o.customer_id,
        o.currency_code,
        o.invoice_date,
        o.snapshot_date - o.due_date as days_past_due,
        o.total - coalesce(sum(p.collected), 0) as amount_due
    from open_invoices o
    left join succeeded p
        on p.invoice_id = o.invoice_id and p.payment_date <= o.snapshot_date
    group by o.snapshot_date, o.invoice_id, o.customer_id, o.currency_code, o.invoice_date,
        o.due_date, o.total
),
rates as (
    select currency_code, rate_date, units_per_usd
    from staging.stg_files__fx_rates
    where currency_code <> 'USD'
),
converted as (
    select
        d.snapshot_date,
        d.customer_id,
        d.days_past_due,
        d.amount_due is not null and d.u is null as is_missing_fx_rate,
        sign(d.amount_due) * (
            (2 * 100 * cast(abs(d.amount_due) * 1000000 as hugeint) + u)
            // (2 * u)
        ) * 0.01 as amount
    from (
        select d.*, cast(
            case when d.currency_code = 'USD' then 1 else r.units_per_usd end * 1000000
            as hugeint
        ) as u
        from due d
        asof left join rates r
            on r.currency_code = d.currency_code and r.rate_date <= d.invoice_date
    ) d
)
select
    snapshot_date,
    customer_id,
    case when missing = 0 then current_amount end as current_amount,
    case when missing = 0 then overdue_1_30_amount end as overdue_1_30_amount,
    case when missing = 0 then overdue_31_60_amount end as overdue_31_60_amount,
    case when missing = 0 then overdue_61_90_amount end as overdue_61_90_amount,
    case when missing = 0 then overdue_90_plus_amount end as overdue_90_plus_amount,
    case when missing = 0 then amount_due_amount end as amount_due_amount,
    open_invoices,
    missing as invoices_missing_fx_rate
from (
    select
        snapshot_date,
        customer_id,
        cast(coalesce(sum(amount) filter (where days_past_due <= 0), 0) as decimal(18, 2)) as current_amount,
        cast(coalesce(sum(amount) filter (where days_past_due between 1 and 30), 0) as decimal(18, 2))
            as overdue_1_30_amount,
        cast(coalesce(sum(amount) filter (where days_past_due between 31 and 60), 0) as decimal(18, 2))
            as overdue_31_60_amount,
        cast(coalesce(sum(amount) filter (where days_past_due between 61 and 90), 0) as decimal(18, 2))
            as overdue_61_90_amount,
        cast(coalesce(sum(amount) filter (where days_past_due > 90), 0) as decimal(18, 2))
            as overdue_90_plus_amount,
        cast(sum(amount) as decimal(18, 2)) as amount_due_amount,
        cast(count(*) as integer) as open_invoices,
        cast(count(*) filter (where is_missing_fx_rate) as integer) as missing
    from converted
    group by all
)
