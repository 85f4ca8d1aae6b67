{#-
    One row per pipeline stage, with its funnel step: the funnel ladder of a pipeline is
    its stages in stage order without the lost (closed, not won) stages, numbered from 1,
    so that the won stage is the top step (kpis.md "stage conversion"; a lost deal reached
    only the steps it passed). Lost stages have no step.
-#}

with

stages as (

    select * from {{ ref('stg_crm__deal_pipeline_stages') }}

),

ladder as (

    select
        pipeline_id,
        stage_id,
        row_number() over (
            partition by pipeline_id
            order by stage_order, stage_id
        ) as funnel_step

    from stages
    where not is_lost

),

final as (

    select
        {{ deal_stage_key('stages.pipeline_id', 'stages.stage_id') }} as stage_key,
        stages.pipeline_id,
        stages.pipeline_name,
        stages.pipeline_order,
        stages.stage_id,
        stages.stage_name,
        stages.stage_order,
        cast(ladder.funnel_step as integer) as funnel_step,
        stages.probability,
        stages.is_closed,
        stages.is_won,
        stages.is_lost,
        not stages.is_closed as is_open,
        stages.is_archived

    from stages
    left join ladder
        on stages.pipeline_id = ladder.pipeline_id
        and stages.stage_id = ladder.stage_id

)

select * from final
