{#-
    Accounts receivable (kpis.md: open invoices' amount due at a snapshot date) at every
    month end through the as-of date, and at the as-of date itself: one row per snapshot
    date and invoice open at the end of that day (company time).

    An invoice is open at the end of day D when it was finalized on or before D and was
    neither paid in full, voided nor marked uncollectible by then; its amount due is its
    total minus the succeeded charges made on or before D (refunds do not reopen it). Every
    instant compares through its company-time date, which is the same as comparing it with
    the last second of D. The amount due converts at the invoice date's rate, as invoiced
    revenue does, so that DSO does not move with FX.
-#}

with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

charges as (

    select * from {{ ref('fct_payments') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

snapshot_dates as (

    select date_day as snapshot_date

    from calendar
    where date_day <= {{ as_of_date() }}
        and (is_month_end or date_day = {{ as_of_date() }})

),

finalized_invoices as (

    select
        invoice_id,
        customer_id,
        crm_deal_id,
        invoice_date,
        due_date,
        paid_date,
        {{ company_date('voided_at') }} as voided_date,
        {{ company_date('marked_uncollectible_at') }} as uncollectible_date,
        currency_code,
        total

    from invoices
    where finalized_at is not null
        and not is_deleted

),

open_invoices as (

    select
        snapshot_dates.snapshot_date,
        finalized_invoices.*

    from finalized_invoices
    inner join snapshot_dates
        on finalized_invoices.invoice_date <= snapshot_dates.snapshot_date
        and (finalized_invoices.paid_date > snapshot_dates.snapshot_date
            or finalized_invoices.paid_date is null)
        and (finalized_invoices.voided_date > snapshot_dates.snapshot_date
            or finalized_invoices.voided_date is null)
        and (finalized_invoices.uncollectible_date > snapshot_dates.snapshot_date
            or finalized_invoices.uncollectible_date is null)

),

paid_by_snapshot as (

    select
        open_invoices.snapshot_date,
        open_invoices.invoice_id,
        sum(charges.collected_amount) as paid_amount

    from open_invoices
    inner join charges
        on open_invoices.invoice_id = charges.invoice_id
        and charges.payment_date <= open_invoices.snapshot_date
    where charges.is_succeeded
    group by
        open_invoices.snapshot_date,
        open_invoices.invoice_id

),

amounts_due as (

    select
        open_invoices.snapshot_date,
        open_invoices.invoice_id,
        open_invoices.customer_id,
        open_invoices.crm_deal_id,
        open_invoices.invoice_date,
        open_invoices.due_date,
        cast(
            {{ dbt.datediff('open_invoices.due_date', 'open_invoices.snapshot_date', 'day') }}
            as integer
        ) as days_past_due,
        open_invoices.currency_code,
        open_invoices.total,
        cast(
            open_invoices.total - coalesce(paid_by_snapshot.paid_amount, 0)
            as {{ type_source_amount() }}
        ) as amount_due

    from open_invoices
    left join paid_by_snapshot
        on open_invoices.snapshot_date = paid_by_snapshot.snapshot_date
        and open_invoices.invoice_id = paid_by_snapshot.invoice_id

),

converted as (

    select
        amounts_due.snapshot_date,
        amounts_due.invoice_id,
        amounts_due.customer_id,
        amounts_due.crm_deal_id,
        amounts_due.invoice_date,
        amounts_due.due_date,
        amounts_due.days_past_due,
        amounts_due.currency_code,
        amounts_due.total,
        amounts_due.amount_due,
        {{ convert_to_reporting('amounts_due.amount_due', 'fx') }} as amount_due_reporting,
        {{ is_missing_fx_rate('amounts_due.amount_due', 'fx') }} as is_missing_fx_rate

    from amounts_due
    {{ fx_daily_rate_joins('fx_rates', 'amounts_due.currency_code', 'amounts_due.invoice_date', 'fx') }}

)

select * from converted
