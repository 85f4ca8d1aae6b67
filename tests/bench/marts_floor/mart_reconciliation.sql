-- Floor of mart_reconciliation: hand-written DuckDB over the staging views only.
-- Won deals (not archived, not test, closed by the as-of date, Jakarta) whose invoices
-- (finalized, not voided by then) total more than 1% away from the amount at close in the
-- deal's currency; paid invoices without a deal. USD at the close day / invoice day rate;
-- a deal without an amount counts as 0; an amount without a rate leaves the amounts null
-- (the deal's, the invoices', the difference), flagged.
with
as_of as (
    select getvariable('as_of_date') as as_of_date
),
rates as (
    select currency_code, rate_date, units_per_usd
    from staging.stg_files__fx_rates
    where currency_code <> 'USD'
),
deals as (
    select
        d.deal_id,
        d.owner_id,
        d.amount,
        d.currency_code,
        d.closed_at,
        cast(timezone('Asia/Jakarta', d.closed_at) as date) as close_date
    from staging.stg_crm__deals d
    join staging.stg_crm__deal_pipeline_stages s
        on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
    where s.is_won
        and not d.is_archived
        and not d.is_test_deal
        and cast(timezone('Asia/Jakarta', d.closed_at) as date)
            <= (select as_of_date from as_of)
),
-- The value of the owner and the amount at the close instant: the latest change at or
-- before it (the greater value on a tie), else the current value.
at_close as (
    select
        h.deal_id,
        h.property_name,
        nullif(h.property_value, '') as property_value,
        row_number() over (
            partition by h.deal_id, h.property_name
            order by h.changed_at desc, nullif(h.property_value, '') desc nulls last
        ) as recency
    from staging.stg_crm__deal_property_history h
    join deals d on d.deal_id = h.deal_id
    where h.property_name in ('hubspot_owner_id', 'amount')
        and h.changed_at is not null
        and h.changed_at <= d.closed_at
),
won as (
    select
        d.deal_id,
        case when o.deal_id is not null then o.property_value else d.owner_id end as rep_id,
        case
            when a.deal_id is not null then cast(a.property_value as decimal(28, 6))
            else d.amount
        end as amount_at_close,
        d.currency_code,
        d.close_date
    from deals d
    left join at_close o
        on o.deal_id = d.deal_id and o.property_name = 'hubspot_owner_id' and o.recency = 1
    left join at_close a
        on a.deal_id = d.deal_id and a.property_name = 'amount' and a.recency = 1
),
won_converted as (
    select
        w.*,
        case when w.amount_at_close is null then 0 else cast(
            sign(w.amount_at_close) * (
                (2 * 100 * cast(abs(w.amount_at_close) * 1000000 as hugeint) + u) // (2 * u)
            ) * 0.01
            as decimal(18, 2)
        ) end as deal_amount
    from (
        select w.*, cast(
            case when w.currency_code = 'USD' then 1 else r.units_per_usd end * 1000000
            as hugeint
        ) as u
        from won w
        asof left join rates r
            on r.currency_code = w.currency_code and r.rate_date <= w.close_date
    ) w
),
invoices as (
    select
        i.invoice_id,
        i.crm_deal_id,
        i.total,
        cast(timezone('Asia/Jakarta', i.paid_at) as date) as paid_date,
        i.total is not null and u is null as is_missing_fx_rate,
        cast(
            sign(i.total) * (
                (2 * 100 * cast(abs(i.total) * 1000000 as hugeint) + u) // (2 * u)
            ) * 0.01
            as decimal(18, 2)
        ) as total_amount
    from (
        select i.*, cast(
            case when i.currency_code = 'USD' then 1 else r.units_per_usd end * 1000000
            as hugeint
        ) as u
        from staging.stg_payments__invoices i
        asof left join rates r
            on r.currency_code = i.currency_code
            and r.rate_date <= cast(timezone('Asia/Jakarta', i.finalized_at) as date)
        where i.finalized_at is not null
            and not i.is_deleted
            and cast(timezone('Asia/Jakarta', i.finalized_at) as date)
                <= (select as_of_date from as_of)
            and coalesce(
                cast(timezone('Asia/Jakarta', i.voided_at) as date)
                    > (select as_of_date from as_of),
                true
            )
    ) i
),
deal_invoices as (
    select
        crm_deal_id as deal_id,
        count(*) as invoices,
        max(invoice_id) as invoice_id,
        sum(total) as invoiced_native,
        sum(total_amount) as invoiced_amount,
        count(*) filter (where is_missing_fx_rate) as invoices_missing_fx_rate
    from invoices
    where crm_deal_id is not null
    group by crm_deal_id
)
select
    'deal:' || w.deal_id as reconciliation_key,
    w.deal_id,
    case when di.invoices = 1 then di.invoice_id end as invoice_id,
    case when di.deal_id is null then 'not_invoiced' else 'amount_mismatch' end as issue,
    w.rep_id,
    w.deal_amount,
    cast(case when coalesce(di.invoices_missing_fx_rate, 0) = 0
        then coalesce(di.invoiced_amount, 0) end as decimal(18, 2)) as invoiced_amount,
    cast(case when coalesce(di.invoices_missing_fx_rate, 0) = 0 and w.deal_amount is not null
        then coalesce(di.invoiced_amount, 0) - w.deal_amount end as decimal(18, 2)) as difference_amount,
    coalesce(di.invoices, 0)::integer as invoices,
    coalesce(di.invoices_missing_fx_rate, 0) > 0 or w.deal_amount is null as is_missing_fx_rate
from won_converted w
left join deal_invoices di on di.deal_id = w.deal_id
where abs(coalesce(di.invoiced_native, 0) - coalesce(w.amount_at_close, 0))
    > coalesce(w.amount_at_close, 0) * 0.01
union all
select
    'invoice:' || invoice_id,
    null,
    invoice_id,
    'invoice_without_deal',
    null,
    null,
    total_amount,
    total_amount,
    1,
    is_missing_fx_rate
from invoices
where crm_deal_id is null
    and paid_date <= (select as_of_date from as_of)
