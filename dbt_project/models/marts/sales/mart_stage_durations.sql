{#-
    Time in stage (kpis.md): per pipeline, open stage and month, the stays that ended in the
    month. A stay runs from entering a stage to entering the next, different one
    (int_deal_stage_transitions); a stage re-entered after a backward move is a new stay,
    the same stage written again is not; a stay still open has no duration yet and waits
    for the month it ends in. Durations are exact elapsed microseconds, in fractional days.
-#}

with

transitions as (

    select * from {{ ref('int_deal_stage_transitions') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

finished_stays as (

    select
        transitions.pipeline_id,
        transitions.to_stage_id as stage_id,
        {{ month_start(company_date('transitions.exited_at')) }} as exited_month,
        {{ elapsed_microseconds('transitions.entered_at', 'transitions.exited_at') }}
            as microseconds_in_stage

    from transitions
    inner join deals
        on transitions.deal_id = deals.deal_id
    where transitions.exited_at is not null
        and not deals.is_test_deal
        and not deals.is_archived

),

monthly as (

    select
        pipeline_id,
        stage_id,
        exited_month,
        count(*) as stays,
        -- Summed as whole microseconds, so that the mean does not depend on row order.
        sum(microseconds_in_stage) as total_microseconds,
        {{ median('cast(microseconds_in_stage as ' ~ type_ratio() ~ ')') }}
            as median_microseconds

    from finished_stays
    group by pipeline_id, stage_id, exited_month

),

final as (

    select
        stages.pipeline_name,
        stages.stage_name,
        monthly.exited_month as month,
        cast(monthly.stays as integer) as stays,
        cast(monthly.total_microseconds as {{ type_ratio() }})
            / cast(monthly.stays * 86400000000 as {{ type_ratio() }}) as avg_days_in_stage,
        cast(monthly.median_microseconds as {{ type_ratio() }})
            / cast(86400000000 as {{ type_ratio() }}) as median_days_in_stage

    from monthly
    -- Open stages only: won and lost are outcomes, not stages a deal waits in.
    inner join stages
        on monthly.pipeline_id = stages.pipeline_id
        and monthly.stage_id = stages.stage_id
        and stages.is_open

)

select * from final
