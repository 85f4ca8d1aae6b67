-- Floor of mart_pipeline_daily: hand-written DuckDB over the staging views only.
-- Each deal's state at the end of a Jakarta day is its last change before the next
-- midnight: per deal and history, the day's last value; the days with any change cut the
-- deal's life into ranges of one state (stage, owner, amount, currency, looked up with
-- ASOF joins), expanded to days with range(); amounts convert at the day's USD rate (the
-- latest published on or before it), half up to cents per deal.
-- as_of_date: today in Jakarta, as a run of the job without the var.
with
as_of as (
    select getvariable('as_of_date') as as_of_date
),
deals as (
    select
        *,
        cast(timezone('Asia/Jakarta', deal_created_at) as date) as created_date
    from staging.stg_crm__deals
    where not is_test_deal and not is_archived and deal_created_at is not null
),
stages as (
    select * from staging.stg_crm__deal_pipeline_stages
),
history as (
    select h.*
    from staging.stg_crm__deal_property_history h
    where h.changed_at is not null and h.deal_id in (select deal_id from deals)
),
-- the stage history as stays, as int_deal_stage_transitions orders them
pipeline_changes as (
    select deal_id, changed_at, max(nullif(property_value, '')) as pipeline_id
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
    select deal_id, property_value as stage_id, changed_at
    from history
    where property_name = 'dealstage' and nullif(property_value, '') is not null
    union all
    select deal_id, stage_id, deal_created_at
    from deals
    where stage_id is not null
        and deal_id not in (
            select deal_id from history
            where property_name = 'dealstage' and nullif(property_value, '') is not null
        )
),
numbered as (
    select
        s.deal_id,
        coalesce(case when p.deal_id is not null then p.pipeline_id else f.pipeline_id end, d.pipeline_id)
            as pipeline_id,
        s.stage_id,
        s.changed_at,
        row_number() over (
            partition by s.deal_id order by s.changed_at, st.stage_order nulls last, s.stage_id
        ) as n
    from stage_changes s
    join deals d using (deal_id)
    asof left join pipeline_changes p on s.deal_id = p.deal_id and s.changed_at >= p.changed_at
    left join first_pipeline f on s.deal_id = f.deal_id
    left join stages st
        on st.pipeline_id = coalesce(case when p.deal_id is not null then p.pipeline_id else f.pipeline_id end, d.pipeline_id)
        and st.stage_id = s.stage_id
),
-- the stage at the end of each day with a stage change
stage_day_end as (
    select
        deal_id,
        cast(timezone('Asia/Jakarta', changed_at) as date) as day,
        arg_max(pipeline_id, n) as pipeline_id,
        arg_max(stage_id, n) as stage_id
    from numbered
    group by all
),
-- owner, amount and currency at the end of each day with a change (ties at one instant:
-- the greatest value holds), and their first values, which also hold before
property_changes as (
    select deal_id, property_name, changed_at, nullif(property_value, '') as value
    from history
    where property_name in ('hubspot_owner_id', 'amount', 'deal_currency_code')
),
property_day_end as (
    select deal_id, property_name, cast(timezone('Asia/Jakarta', changed_at) as date) as day, value
    from property_changes
    qualify row_number() over (
        partition by deal_id, property_name, cast(timezone('Asia/Jakarta', changed_at) as date)
        order by changed_at desc, value desc nulls last
    ) = 1
),
property_first as (
    select deal_id, property_name, value
    from property_changes
    qualify row_number() over (
        partition by deal_id, property_name order by changed_at, value desc nulls last
    ) = 1
),
change_days as (
    select deal_id, day from stage_day_end
    union
    select deal_id, day from property_day_end
    union
    select deal_id, created_date from deals
),
states as (
    select
        c.deal_id,
        c.day,
        lead(c.day) over (partition by c.deal_id order by c.day) as next_day,
        s.pipeline_id,
        s.stage_id,
        case
            when o.deal_id is not null then o.value
            when fo.deal_id is not null then fo.value
            else d.owner_id
        end as owner_id,
        case
            when a.deal_id is not null then a.value::decimal(28, 6)
            when fa.deal_id is not null then fa.value::decimal(28, 6)
            else d.amount
        end as amount,
        case
            when cu.deal_id is not null then upper(coalesce(cu.value, 'USD'))
            when fc.deal_id is not null then upper(coalesce(fc.value, 'USD'))
            else d.currency_code
        end as currency_code,
        d.created_date
    from change_days c
    join deals d using (deal_id)
    asof left join stage_day_end s on s.deal_id = c.deal_id and c.day >= s.day
    asof left join (select * from property_day_end where property_name = 'hubspot_owner_id') o
        on o.deal_id = c.deal_id and c.day >= o.day
    asof left join (select * from property_day_end where property_name = 'amount') a
        on a.deal_id = c.deal_id and c.day >= a.day
    asof left join (select * from property_day_end where property_name = 'deal_currency_code') cu
        on cu.deal_id = c.deal_id and c.day >= cu.day
    left join property_first fo on fo.deal_id = c.deal_id and fo.property_name = 'hubspot_owner_id'
    left join property_first fa on fa.deal_id = c.deal_id and fa.property_name = 'amount'
    left join property_first fc on fc.deal_id = c.deal_id and fc.property_name = 'deal_currency_code'
),
open_ranges as (
    select
        st.*,
        g.probability,
        g.pipeline_name,
        g.stage_name,
        greatest(st.day, st.created_date) as from_day,
        least(coalesce(st.next_day, as_of.as_of_date + 1), as_of.as_of_date + 1) as to_day
    from states st
    cross join as_of
    join stages g on g.pipeline_id = st.pipeline_id and g.stage_id = st.stage_id and not g.is_closed
),
deal_days as (
    select
        cast(unnest(range(from_day, to_day, interval 1 day)) as date) as snapshot_date,
        deal_id,
        pipeline_name,
        stage_name,
        probability,
        owner_id,
        amount,
        currency_code
    from open_ranges
    where from_day < to_day
),
fx as (
    select currency_code, rate_date, units_per_usd
    from staging.stg_files__fx_rates
    where currency_code <> 'USD'
),
converted as (
    select
        dd.*,
        case when dd.currency_code = 'USD' then 1.0::decimal(28, 6) else fx.units_per_usd end as rate
    from deal_days dd
    asof left join fx on fx.currency_code = dd.currency_code and dd.snapshot_date >= fx.rate_date
),
cents as (
    select
        *,
        case when amount is not null and rate is not null then
            sign(amount)
            * ((2 * 100 * (abs(amount) * 1000000)::hugeint + (rate * 1000000)::hugeint)
                // (2 * (rate * 1000000)::hugeint))
        end as amount_cents
    from converted
)
select
    snapshot_date,
    pipeline_name,
    stage_name,
    owner_id as rep_id,
    count(*)::integer as open_deals,
    (coalesce(sum(amount_cents), 0)::decimal(38, 0) * 0.01)::decimal(18, 2) as open_amount,
    round((coalesce(sum(amount_cents), 0)::decimal(38, 0) * 0.01)::decimal(28, 2)
        * any_value(probability)::decimal(9, 6), 2)::decimal(18, 2) as weighted_amount,
    count(case when amount is not null and rate is null then 1 end)::integer as open_deals_missing_fx_rate
from cents
group by all
