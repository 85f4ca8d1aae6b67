{#-
    One row per stage change of a deal, in order: the stage it left, the stage it entered,
    when (a stay in `to_stage_id` runs from entered_at until exited_at, the next change).
    - The same stage written again in a row is no change (the stay goes on).
    - Changes at the same instant are ordered by stage order, then stage id.
    - The stage's pipeline is the deal's pipeline at that instant (pipeline history; its
      first recorded pipeline before that; else the current one).
    - A deal with no recorded stage history gets one inferred row: its current stage since
      its creation, flagged (e.g. an export fetched without `propertiesWithHistory`).
-#}

{#- A table, not a view: fct_deals, stage events, stage durations, the daily pipeline
    and coverage each read it, and at scale m each read of a view recomputes 5 s. -#}
{{ config(materialized='table') }}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

stage_history as (

    select * from {{ ref('stg_crm__deal_property_history') }}
    where property_name = 'dealstage'
        and nullif(property_value, '') is not null
        and changed_at is not null

),

pipeline_periods as (

    select * from {{ ref('int_deal_property_periods') }}
    where property_name = 'pipeline'

),

stages as (

    select * from {{ ref('stg_crm__deal_pipeline_stages') }}

),

recorded_changes as (

    select
        deal_id,
        property_value as stage_id,
        changed_at,
        change_source,
        false as is_inferred

    from stage_history

),

inferred_changes as (

    select
        deals.deal_id,
        deals.stage_id,
        deals.deal_created_at as changed_at,
        cast(null as {{ dbt.type_string() }}) as change_source,
        true as is_inferred

    from deals
    where deals.stage_id is not null
        and deals.deal_created_at is not null
        and not exists (
            select 1
            from stage_history
            where stage_history.deal_id = deals.deal_id
        )

),

stage_changes as (

    select * from recorded_changes
    union all
    select * from inferred_changes

),

changes_in_pipeline as (

    select
        stage_changes.deal_id,
        coalesce(pipeline_at_change.property_value, deals.pipeline_id) as pipeline_id,
        stage_changes.stage_id,
        stage_changes.changed_at,
        stage_changes.change_source,
        stage_changes.is_inferred

    from stage_changes
    inner join deals
        on stage_changes.deal_id = deals.deal_id
    -- The period holding the change, or the first period for a change before any.
    left join pipeline_periods as pipeline_at_change
        on stage_changes.deal_id = pipeline_at_change.deal_id
        and (
            ({{ instant_in_period('stage_changes.changed_at', 'pipeline_at_change') }})
            or (
                pipeline_at_change.period_number = 1
                and stage_changes.changed_at < pipeline_at_change.valid_from
            )
        )

),

ordered as (

    select
        changes_in_pipeline.*,
        stages.stage_order,
        row_number() over (
            partition by changes_in_pipeline.deal_id
            order by
                changes_in_pipeline.changed_at,
                stages.stage_order nulls last,
                changes_in_pipeline.stage_id
        ) as change_number

    from changes_in_pipeline
    left join stages
        on changes_in_pipeline.pipeline_id = stages.pipeline_id
        and changes_in_pipeline.stage_id = stages.stage_id

),

with_previous as (

    select
        *,
        lag(stage_id) over (partition by deal_id order by change_number) as previous_stage_id,
        lag(pipeline_id) over (partition by deal_id order by change_number) as previous_pipeline_id

    from ordered

),

real_changes as (

    -- The same stage written again in a row is no change: its first write opened the stay.
    select * from with_previous
    where previous_stage_id is null
        or previous_stage_id <> stage_id
        or previous_pipeline_id is distinct from pipeline_id

),

transitions as (

    select
        deal_id,
        row_number() over (partition by deal_id order by change_number) as transition_number,
        pipeline_id,
        lag(pipeline_id) over (partition by deal_id order by change_number) as from_pipeline_id,
        lag(stage_id) over (partition by deal_id order by change_number) as from_stage_id,
        stage_id as to_stage_id,
        lag(stage_order) over (partition by deal_id order by change_number) as from_stage_order,
        stage_order as to_stage_order,
        changed_at as entered_at,
        lead(changed_at) over (partition by deal_id order by change_number) as exited_at,
        change_source,
        is_inferred

    from real_changes

),

final as (

    select
        deal_id,
        cast(transition_number as integer) as transition_number,
        pipeline_id,
        from_stage_id,
        to_stage_id,
        from_stage_order,
        to_stage_order,
        entered_at,
        exited_at,
        case
            when exited_at is not null then {{ elapsed_days_between('entered_at', 'exited_at') }}
        end as days_in_stage,
        coalesce(
            from_pipeline_id = pipeline_id and to_stage_order < from_stage_order, false
        ) as is_backward,
        from_pipeline_id is not null and from_pipeline_id <> pipeline_id as is_pipeline_change,
        to_stage_order is null as is_stage_unknown,
        exited_at is null as is_current,
        change_source,
        is_inferred

    from transitions

)

select * from final
