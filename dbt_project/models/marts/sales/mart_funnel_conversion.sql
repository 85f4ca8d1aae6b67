{#-
    Stage conversion per pipeline and cohort month (kpis.md "stage conversion"): of the
    deals created in the month, how many reached each step of the pipeline's funnel ladder
    (dim_stage.funnel_step: open stages in order, then won; lost is no step) and the share
    of them that reached the next step. "Reached" is fct_deal_stage_events': a skipped stage
    counts as reached, a backward move un-reaches nothing, a won deal reached every step.
-#}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

stage_events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

counted_events as (

    select
        pipeline_id,
        cohort_month,
        funnel_step

    from stage_events
    where funnel_step is not null
        and not is_test_deal
        and not is_archived

),

-- Every pipeline and month with a counted deal gets the whole ladder, zeros included: the
-- deal's current pipeline, and any pipeline it reached a step of before moving.
cohorts as (

    select
        pipeline_id,
        {{ month_start('created_date') }} as cohort_month

    from deals
    where not is_test_deal
        and not is_archived
        and pipeline_id is not null
        and created_date is not null

    union

    select
        pipeline_id,
        cohort_month

    from counted_events

),

reached as (

    select
        pipeline_id,
        cohort_month,
        funnel_step,
        count(*) as deals_reached

    from counted_events
    group by pipeline_id, cohort_month, funnel_step

),

ladder as (

    select
        pipeline_id,
        pipeline_name,
        stage_name,
        funnel_step

    from stages
    where funnel_step is not null

),

grid as (

    select
        ladder.pipeline_id,
        ladder.pipeline_name,
        cohorts.cohort_month,
        ladder.stage_name,
        ladder.funnel_step,
        coalesce(reached.deals_reached, 0) as deals_reached

    from cohorts
    inner join ladder
        on cohorts.pipeline_id = ladder.pipeline_id
    left join reached
        on cohorts.pipeline_id = reached.pipeline_id
        and cohorts.cohort_month = reached.cohort_month
        and ladder.funnel_step = reached.funnel_step

),

with_next as (

    select
        *,
        -- Null on the top step (no next one).
        lead(deals_reached) over (
            partition by pipeline_id, cohort_month
            order by funnel_step
        ) as deals_reached_next

    from grid

),

final as (

    select
        pipeline_name,
        cohort_month,
        stage_name,
        cast(funnel_step as integer) as stage_order,
        cast(deals_reached as integer) as deals_reached,
        {{ safe_divide('deals_reached_next', 'deals_reached') }} as conversion_to_next_rate

    from with_next

)

select * from final
