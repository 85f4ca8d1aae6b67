-- Floor of mart_payment_followup: hand-written DuckDB over the staging views only.
-- Invoices open at the end of the as-of day (2026-10-31, Jakarta) and past due then; rep =
-- owner at close of the invoice's deal (hubspot_owner_id history at the close instant,
-- else the current owner); last attempt = latest charge by then (highest id on a tie);
-- customer name = the CRM company the invoice names.
with
as_of as (
    select date '2026-10-31' as as_of_date
),
invoices as (
    select
        i.*,
        cast(timezone('Asia/Jakarta', i.finalized_at) as date) as invoice_date,
        cast(timezone('Asia/Jakarta', i.due_at) as date) as due_date
    from staging.stg_payments__invoices i, as_of
    where i.finalized_at is not null
        and not i.is_deleted
        and cast(timezone('Asia/Jakarta', i.finalized_at) as date) <= as_of_date
        and cast(timezone('Asia/Jakarta', i.due_at) as date) < as_of_date
        and coalesce(cast(timezone('Asia/Jakarta', i.paid_at) as date) > as_of_date, true)
        and coalesce(cast(timezone('Asia/Jakarta', i.voided_at) as date) > as_of_date, true)
        and coalesce(
            cast(timezone('Asia/Jakarta', i.marked_uncollectible_at) as date) > as_of_date, true
        )
),
attempts as (
    select
        c.invoice_id,
        c.charge_id,
        c.created_at,
        c.status,
        case when c.status = 'succeeded' then coalesce(c.amount_captured, c.amount) else 0 end
            as collected,
        case when c.status = 'failed' then c.failure_code end as failure_reason
    from staging.stg_payments__charges c, as_of
    where c.invoice_id in (select invoice_id from invoices)
        and cast(timezone('Asia/Jakarta', c.created_at) as date) <= as_of_date
),
invoice_attempts as (
    select
        invoice_id,
        sum(collected) as collected,
        arg_max(created_at, (created_at, charge_id)) as last_attempt_at,
        arg_max(charge_id, (created_at, charge_id)) as last_charge_id
    from attempts
    group by invoice_id
),
last_attempts as (
    select a.invoice_id, a.collected, a.last_attempt_at, c.failure_reason
    from invoice_attempts a
    join attempts c on c.charge_id = a.last_charge_id
),
rates as (
    select currency_code, rate_date, units_per_usd
    from staging.stg_files__fx_rates
    where currency_code <> 'USD'
),
deals as (
    select d.deal_id, d.owner_id, d.closed_at, coalesce(s.is_closed, false) as is_closed
    from staging.stg_crm__deals d
    left join staging.stg_crm__deal_pipeline_stages s
        on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
    where d.deal_id in (select crm_deal_id from invoices)
),
owner_changes as (
    select
        h.deal_id,
        nullif(h.property_value, '') as owner_id,
        row_number() over (
            partition by h.deal_id
            order by h.changed_at desc, nullif(h.property_value, '') desc nulls last
        ) as recency
    from staging.stg_crm__deal_property_history h
    join deals d on d.deal_id = h.deal_id
    where h.property_name = 'hubspot_owner_id'
        and h.changed_at is not null
        and h.changed_at <= d.closed_at
),
deal_owners as (
    select
        d.deal_id,
        case
            when not d.is_closed then null
            when o.deal_id is not null then o.owner_id
            else d.owner_id
        end as rep_id
    from deals d
    left join owner_changes o on o.deal_id = d.deal_id and o.recency = 1
),
joined as (
    select
        i.invoice_id,
        i.customer_id,
        co.company_name as customer_name,
        o.rep_id,
        i.total - coalesce(a.collected, 0) as amount_due,
        cast(
            case when i.currency_code = 'USD' then 1 else r.units_per_usd end * 1000000
            as hugeint
        ) as u,
        (select as_of_date from as_of) - i.due_date as days_overdue,
        a.last_attempt_at,
        a.failure_reason as last_failure_reason
    from invoices i
    left join last_attempts a on a.invoice_id = i.invoice_id
    left join staging.stg_crm__companies co on co.company_id = i.crm_company_id
    left join deal_owners o on o.deal_id = i.crm_deal_id
    asof left join rates r
        on r.currency_code = i.currency_code and r.rate_date <= i.invoice_date
)
select
    invoice_id,
    customer_id,
    customer_name,
    rep_id,
    cast(
        sign(amount_due)
        * ((2 * 100 * cast(abs(amount_due) * 1000000 as hugeint) + u) // (2 * u))
        * 0.01
        as decimal(18, 2)
    ) as amount_due_amount,
    cast(days_overdue as integer) as days_overdue,
    last_attempt_at,
    last_failure_reason
from joined
