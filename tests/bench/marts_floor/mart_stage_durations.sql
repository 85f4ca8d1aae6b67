-- Floor of mart_stage_durations: hand-written DuckDB over the staging views only.
-- Stays from the dealstage history (a repeated stage is no change; ties at one instant in
-- stage order), open stages of the pipeline at entry, by the Jakarta month of exit.
with
deals as (
    select * from staging.stg_crm__deals
),
stages as (
    select * from staging.stg_crm__deal_pipeline_stages
),
history as (
    select * from staging.stg_crm__deal_property_history
    where changed_at is not null
),
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
    where stage_id is not null and deal_created_at is not null
        and deal_id not in (
            select deal_id from history
            where property_name = 'dealstage' and nullif(property_value, '') is not null
        )
),
ordered as (
    select
        s.deal_id,
        coalesce(case when p.deal_id is not null then p.pipeline_id else f.pipeline_id end, d.pipeline_id)
            as pipeline_id,
        s.stage_id,
        s.changed_at,
        d.is_test_deal,
        d.is_archived
    from stage_changes s
    join deals d using (deal_id)
    asof left join pipeline_changes p on s.deal_id = p.deal_id and s.changed_at >= p.changed_at
    left join first_pipeline f on s.deal_id = f.deal_id
),
numbered as (
    select
        o.*,
        st.is_closed,
        row_number() over (
            partition by o.deal_id order by o.changed_at, st.stage_order nulls last, o.stage_id
        ) as n
    from ordered o
    left join stages st on st.pipeline_id = o.pipeline_id and st.stage_id = o.stage_id
),
changes as (
    select * from numbered
    window w as (partition by deal_id order by n)
    qualify n = 1
        or lag(stage_id) over w <> stage_id
        or lag(pipeline_id) over w is distinct from pipeline_id
),
stays as (
    select *, lead(changed_at) over (partition by deal_id order by n) as exited_at
    from changes
)
select
    st.pipeline_name,
    st.stage_name,
    date_trunc('month', timezone('Asia/Jakarta', s.exited_at))::date as month,
    count(*)::integer as stays,
    sum(epoch_us(s.exited_at) - epoch_us(s.changed_at))::double / (count(*) * 86400000000)::double
        as avg_days_in_stage,
    quantile_cont((epoch_us(s.exited_at) - epoch_us(s.changed_at))::double, 0.5) / 86400000000
        as median_days_in_stage
from stays s
join stages st on st.pipeline_id = s.pipeline_id and st.stage_id = s.stage_id and not st.is_closed
where s.exited_at is not null and not s.is_test_deal and not s.is_archived
group by all
