-- Floor of mart_funnel_conversion: hand-written DuckDB over the staging views only.
-- A deal reached every funnel step (non-lost stages in stage order) up to the highest
-- one it ever entered, per pipeline it was in; cohorts are Jakarta creation months.
with
deals as (
    select * from staging.stg_crm__deals
),
stages as (
    select * from staging.stg_crm__deal_pipeline_stages
),
ladder as (
    select
        pipeline_id,
        pipeline_name,
        stage_id,
        stage_name,
        row_number() over (partition by pipeline_id order by stage_order, stage_id) as step
    from stages
    where not is_lost
),
history as (
    select * from staging.stg_crm__deal_property_history
    where changed_at is not null
),
-- changes at one instant: the greatest value holds
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
entered as (
    select
        s.deal_id,
        coalesce(case when p.deal_id is not null then p.pipeline_id else f.pipeline_id end, d.pipeline_id)
            as pipeline_id,
        s.stage_id
    from stage_changes s
    join deals d using (deal_id)
    asof left join pipeline_changes p on s.deal_id = p.deal_id and s.changed_at >= p.changed_at
    left join first_pipeline f on s.deal_id = f.deal_id
    where not d.is_test_deal and not d.is_archived
),
highest as (
    select e.deal_id, e.pipeline_id, max(l.step) as highest_step
    from entered e
    join ladder l on l.pipeline_id = e.pipeline_id and l.stage_id = e.stage_id
    group by all
),
deal_cohorts as (
    select deal_id, date_trunc('month', timezone('Asia/Jakarta', deal_created_at))::date as cohort_month
    from deals
    where not is_test_deal and not is_archived and deal_created_at is not null
),
cohorts as (
    select d.pipeline_id, c.cohort_month
    from deals d join deal_cohorts c using (deal_id)
    where d.pipeline_id is not null
    union
    select h.pipeline_id, c.cohort_month
    from highest h join deal_cohorts c using (deal_id)
),
reached as (
    select
        c.pipeline_id,
        c.cohort_month,
        l.pipeline_name,
        l.stage_name,
        l.step,
        count(h.deal_id) as deals_reached
    from cohorts c
    join ladder l using (pipeline_id)
    left join (highest h join deal_cohorts dc using (deal_id))
        on h.pipeline_id = c.pipeline_id and dc.cohort_month = c.cohort_month and h.highest_step >= l.step
    group by all
)
select
    pipeline_name,
    cohort_month,
    stage_name,
    step::integer as stage_order,
    deals_reached::integer as deals_reached,
    lead(deals_reached) over (partition by pipeline_id, cohort_month order by step)::double
        / nullif(deals_reached, 0) as conversion_to_next_rate
from reached
