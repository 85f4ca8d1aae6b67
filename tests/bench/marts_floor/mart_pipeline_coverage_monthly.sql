-- Floor of mart_pipeline_coverage_monthly: rep x month (Asia/Jakarta), straight from staging.
-- A deal's state at a month's first instant (Jakarta midnight) is, per history, the last
-- change on a Jakarta day before the month (day-end values carried forward; ties at one
-- instant: the greater value, the stage by stage order then id; before the first change its
-- first value; no history: today's value). Months M (calendar months from 2020, after the first deal's
-- creation, up to the as-of date) where the deal was open, created before M, owned, and
-- closing in M; amounts in USD at M's rate (the latest published on or before it), half away
-- from zero to cents. Full outer join with the quotas (rep by address, USD at the quota
-- month's rate; a quota of 0 is none). Bookings so far at the first instant: 0.
with
params as (
    -- as-of date; dim_date's and int_fx_daily_rates' first day (no rate before it)
    select getvariable('as_of_date') as as_of_date, date '2020-01-01' as calendar_start
),
deals as (
    select
        deal_id, pipeline_id, stage_id, owner_id, amount, currency_code, deal_created_at,
        cast(timezone('Asia/Jakarta', deal_created_at) as date) as created_date,
        cast(timezone('Asia/Jakarta', closed_at) as date) as close_date
    from staging.stg_crm__deals
    where not is_test_deal and not is_archived and deal_created_at is not null
),
first_month as (
    select greatest(
        date_trunc('month', min(created_date))::date + interval 1 month,
        (select calendar_start from params)
    )::date as first_month
    from deals
),
history as (
    select deal_id, property_name, changed_at, nullif(property_value, '') as value
    from staging.stg_crm__deal_property_history
    where changed_at is not null and deal_id in (select deal_id from deals)
),
-- stage changes with the pipeline they happened in, as int_deal_stage_transitions
pipeline_changes as (
    select deal_id, changed_at, max(value) as pipeline_id
    from history
    where property_name = 'pipeline'
    group by all
),
first_pipeline as (
    select deal_id, arg_min(pipeline_id, changed_at) as pipeline_id
    from pipeline_changes
    group by all
),
stage_changes as (
    select deal_id, value as stage_id, changed_at
    from history
    where property_name = 'dealstage' and value is not null
    union all
    select deal_id, stage_id, deal_created_at
    from deals
    where stage_id is not null
        and deal_id not in (
            select deal_id from history where property_name = 'dealstage' and value is not null
        )
),
stage_day_end as (
    select
        s.deal_id,
        cast(timezone('Asia/Jakarta', s.changed_at) as date) as day,
        coalesce(case when p.deal_id is not null then p.pipeline_id else f.pipeline_id end, d.pipeline_id)
            as pipeline_id,
        s.stage_id
    from stage_changes s
    join deals d using (deal_id)
    asof left join pipeline_changes p on s.deal_id = p.deal_id and s.changed_at >= p.changed_at
    left join first_pipeline f on s.deal_id = f.deal_id
    left join staging.stg_crm__deal_pipeline_stages st
        on st.pipeline_id = coalesce(case when p.deal_id is not null then p.pipeline_id else f.pipeline_id end, d.pipeline_id)
        and st.stage_id = s.stage_id
    qualify row_number() over (
        partition by s.deal_id, cast(timezone('Asia/Jakarta', s.changed_at) as date)
        order by s.changed_at desc, st.stage_order desc nulls first, s.stage_id desc
    ) = 1
),
-- the months starting while the deal sat in an open stage: M in (day, next change day]
stage_spans as (
    select
        e.*,
        lead(e.day) over (partition by e.deal_id order by e.day) as next_day
    from stage_day_end e
),
deal_months as (
    select
        sp.deal_id,
        cast(unnest(range(
            greatest(
                date_trunc('month', sp.day)::date + interval 1 month,
                date_trunc('month', d.created_date)::date + interval 1 month,
                fm.first_month
            ),
            least(coalesce(sp.next_day, date '9999-12-31'), pa.as_of_date) + interval 1 day,
            interval 1 month
        )) as date) as month
    from stage_spans sp
    join deals d using (deal_id)
    join staging.stg_crm__deal_pipeline_stages g
        on g.pipeline_id = sp.pipeline_id and g.stage_id = sp.stage_id and not g.is_closed
    cross join first_month fm
    cross join params pa
),
-- owner, amount, currency and close date at the end of each day with a change (ties at one
-- instant: the greatest value), and their first values, which also hold before (as changes
-- on 1900-01-01); carried forward to each month's eve with last_value over one stream
property_changes as (
    select deal_id, property_name, changed_at, cast(timezone('Asia/Jakarta', changed_at) as date) as day, value
    from history
    where property_name in ('hubspot_owner_id', 'amount', 'deal_currency_code', 'closedate')
),
property_events as (
    select deal_id, property_name, day, value
    from property_changes
    qualify row_number() over (
        partition by deal_id, property_name, day order by changed_at desc, value desc nulls last
    ) = 1
    union all
    select deal_id, property_name, date '1900-01-01', value
    from property_changes
    qualify row_number() over (
        partition by deal_id, property_name order by changed_at, value desc nulls last
    ) = 1
),
stream as (
    select
        deal_id, day, false as is_month, null::date as month,
        case when property_name = 'hubspot_owner_id' then {'v': value} end as owner_v,
        case when property_name = 'amount' then {'v': value} end as amount_v,
        case when property_name = 'deal_currency_code' then {'v': value} end as currency_v,
        case when property_name = 'closedate' then {'v': value} end as close_v
    from property_events
    union all
    select deal_id, month - 1, true, month, null, null, null, null
    from deal_months
),
filled as (
    select
        deal_id,
        month,
        last_value(owner_v ignore nulls) over w as owner_v,
        last_value(amount_v ignore nulls) over w as amount_v,
        last_value(currency_v ignore nulls) over w as currency_v,
        last_value(close_v ignore nulls) over w as close_v
    from stream
    window w as (partition by deal_id order by day, is_month rows between unbounded preceding and current row)
    qualify is_month
),
states as (
    select
        f.deal_id,
        f.month,
        case when f.owner_v is not null then f.owner_v.v else d.owner_id end as owner_id,
        case when f.amount_v is not null then f.amount_v.v::decimal(28, 6) else d.amount end as amount,
        case when f.currency_v is not null then upper(coalesce(f.currency_v.v, 'USD')) else d.currency_code end
            as currency_code,
        case
            when f.close_v is not null then cast(timezone('Asia/Jakarta', f.close_v.v::timestamptz) as date)
            else d.close_date
        end as close_date
    from filled f
    join deals d using (deal_id)
),
-- units per USD: the latest rate published on or before the day (USD: 1)
fx as (
    select currency_code, rate_date, units_per_usd
    from staging.stg_files__fx_rates
    where currency_code <> 'USD'
    union all
    select 'USD', date '1900-01-01', 1
),
deal_rows as (
    select
        s.owner_id as rep_id,
        s.month,
        case when s.amount is not null and f.units_per_usd is not null then
            sign(s.amount)
            * ((2 * cast(abs(s.amount) * 1000000 as hugeint) * 1000000
                + cast(f.units_per_usd * 1000000 as hugeint) * 10000)
               // (2 * cast(f.units_per_usd * 1000000 as hugeint) * 10000))
        end as cents,
        s.amount is not null and f.units_per_usd is null as is_missing_fx_rate
    from states s
    asof left join fx f on f.currency_code = s.currency_code and s.month >= f.rate_date
    where s.owner_id is not null and date_trunc('month', s.close_date) = s.month
),
pipeline_months as (
    select
        rep_id,
        month,
        count(*) as open_deals,
        coalesce(sum(cents), 0) as open_cents,
        count(*) filter (where is_missing_fx_rate) as open_deals_missing_fx_rate
    from deal_rows
    group by all
),
-- Rep addresses: the CRM owner's (active before archived), then the roster's; one rep each.
ranked_addresses as (
    select *, row_number() over (partition by email_address
                                 order by source_rank, listed_at desc nulls last, rep_id) as address_rank
    from (
        select owner_email as email_address, owner_id as rep_id,
               case when is_archived then 2 else 1 end as source_rank, created_at as listed_at
        from staging.stg_crm__owners where coalesce(owner_email, '') <> ''
        union all
        select r.rep_email, coalesce(r.rep_id, o.owner_id), 3, cast(r.valid_from as timestamptz)
        from staging.stg_files__rep_roster r
        left join staging.stg_crm__owners o on o.owner_email = r.rep_email and coalesce(o.owner_email, '') <> ''
        where coalesce(r.rep_email, '') <> ''
    ) a
    where rep_id is not null
),
addresses as (select email_address, rep_id from ranked_addresses where address_rank = 1),
quota_months as (
    select
        a.rep_id,
        q.quota_month as month,
        sum(case when q.quota_amount is not null and f.units_per_usd is not null
                      and q.quota_month >= pa.calendar_start then
            sign(q.quota_amount)
            * ((2 * cast(abs(q.quota_amount) * 1000000 as hugeint) * 1000000
                + cast(f.units_per_usd * 1000000 as hugeint) * 10000)
               // (2 * cast(f.units_per_usd * 1000000 as hugeint) * 10000)) end) as quota_cents,
        count(*) filter (where q.quota_amount is not null
                           and (f.units_per_usd is null
                                or q.quota_month < pa.calendar_start))
            as quotas_missing_fx_rate
    from staging.stg_files__quotas q
    join addresses a on a.email_address = q.rep_email
    cross join params pa
    asof left join fx f on f.currency_code = q.currency_code and q.quota_month >= f.rate_date
    where q.quota_month <= pa.as_of_date
    group by all
)
select
    coalesce(p.rep_id, q.rep_id) as rep_id,
    coalesce(p.month, q.month) as month,
    coalesce(p.open_deals, 0)::integer as open_deals,
    (coalesce(p.open_cents, 0)::decimal(38, 0) * 0.01)::decimal(18, 2) as open_pipeline_amount,
    nullif((q.quota_cents::decimal(38, 0) * 0.01)::decimal(18, 2), 0) as quota_amount,
    0::decimal(18, 2) as bookings_so_far_amount,
    (coalesce(p.open_cents, 0)::decimal(38, 0) * 0.01)::double
        / nullif((q.quota_cents::decimal(38, 0) * 0.01)::double, 0) as pipeline_coverage,
    coalesce(p.open_deals_missing_fx_rate, 0)::integer as open_deals_missing_fx_rate,
    coalesce(q.quotas_missing_fx_rate, 0)::integer as quotas_missing_fx_rate
from pipeline_months p
full outer join quota_months q on p.rep_id = q.rep_id and p.month = q.month
