{{
    config(
        materialized='incremental',
        unique_key='deal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{#-
    One row per deal and pipeline stage it reached (kpis.md "stage conversion", "time in
    stage"). A deal reached every stage it entered and every funnel step (dim_stage) below
    the highest step it ever entered: a skipped stage counts as reached, a backward move
    does not un-reach, a won deal reached every step. A skipped stage was passed at the
    instant the deal first entered a higher step (entered_at = exited_at, no days).

    Time in stage: a stay runs from entering the stage to entering the next one
    (int_deal_stage_transitions); a stage entered more than once (after a backward move)
    sums its finished stays in days_in_stage and counts them in stay_count; a stay still
    open (the deal's current stage) adds nothing.

    Incremental: the deals whose CRM record changed since the last run (updated_at moves
    whenever history is appended) are rebuilt whole: delete+insert on deal_id replaces
    every row of a changed deal. A change of the pipeline definitions (stage order) needs
    a --full-refresh.
-#}

with

deals as (

    select
        *,
        coalesce(updated_at, deal_created_at) as deal_updated_at

    from {{ ref('stg_crm__deals') }}
    {% if is_incremental() %}
    where coalesce(updated_at, deal_created_at) >= (
        select coalesce(max(deal_updated_at), cast('1970-01-01 00:00:00+00' as {{ type_timestamp_tz() }}))
        from {{ this }}
    )
    {% endif %}

),

transitions as (

    select * from {{ ref('int_deal_stage_transitions') }}

),

stages as (

    select * from {{ ref('dim_stage') }}

),

owner_history as (

    select * from {{ ref('int_deal_owner_history') }}

),

stays as (

    select
        transitions.deal_id,
        transitions.pipeline_id,
        transitions.to_stage_id as stage_id,
        transitions.entered_at,
        transitions.exited_at,
        {{ elapsed_microseconds('transitions.entered_at', 'transitions.exited_at') }}
            as microseconds_in_stage,
        stages.funnel_step

    from transitions
    inner join deals
        on transitions.deal_id = deals.deal_id
    left join stages
        on transitions.pipeline_id = stages.pipeline_id
        and transitions.to_stage_id = stages.stage_id

),

entered_stages as (

    select
        deal_id,
        pipeline_id,
        stage_id,
        min(entered_at) as first_entered_at,
        max(exited_at) as last_exited_at,
        count(*) as stay_count,
        count(*) > count(exited_at) as is_current_stage,
        -- Summed in whole microseconds, then in days: exact, whatever the order of stays.
        cast(sum(microseconds_in_stage) as {{ type_ratio() }})
            / cast(86400000000 as {{ type_ratio() }}) as days_in_stage

    from stays
    group by deal_id, pipeline_id, stage_id

),

highest_steps as (

    select
        deal_id,
        pipeline_id,
        max(funnel_step) as highest_funnel_step

    from stays
    group by deal_id, pipeline_id

),

steps_reached as (

    select
        highest_steps.deal_id,
        highest_steps.pipeline_id,
        stages.stage_id,
        stages.funnel_step

    from highest_steps
    inner join stages
        on highest_steps.pipeline_id = stages.pipeline_id
        and stages.funnel_step <= highest_steps.highest_funnel_step

),

first_beyond as (

    -- When the deal first entered a step above each step it reached.
    select
        steps_reached.deal_id,
        steps_reached.pipeline_id,
        steps_reached.stage_id,
        min(stays.entered_at) as first_beyond_at

    from steps_reached
    inner join stays
        on steps_reached.deal_id = stays.deal_id
        and steps_reached.pipeline_id = stays.pipeline_id
        and stays.funnel_step > steps_reached.funnel_step
    group by steps_reached.deal_id, steps_reached.pipeline_id, steps_reached.stage_id

),

reached_stages as (

    select deal_id, pipeline_id, stage_id from entered_stages
    union
    select deal_id, pipeline_id, stage_id from steps_reached

),

events as (

    select
        reached_stages.deal_id,
        reached_stages.pipeline_id,
        reached_stages.stage_id,
        entered_stages.deal_id is null as is_skipped,
        case
            when entered_stages.first_entered_at is null then first_beyond.first_beyond_at
            when first_beyond.first_beyond_at is null then entered_stages.first_entered_at
            when first_beyond.first_beyond_at < entered_stages.first_entered_at
                then first_beyond.first_beyond_at
            else entered_stages.first_entered_at
        end as reached_at,
        coalesce(entered_stages.first_entered_at, first_beyond.first_beyond_at) as entered_at,
        case
            when entered_stages.deal_id is null then first_beyond.first_beyond_at
            when not entered_stages.is_current_stage then entered_stages.last_exited_at
        end as exited_at,
        coalesce(entered_stages.stay_count, 0) as stay_count,
        entered_stages.days_in_stage,
        coalesce(entered_stages.is_current_stage, false) as is_current_stage

    from reached_stages
    left join entered_stages
        on reached_stages.deal_id = entered_stages.deal_id
        and reached_stages.pipeline_id = entered_stages.pipeline_id
        and reached_stages.stage_id = entered_stages.stage_id
    left join first_beyond
        on reached_stages.deal_id = first_beyond.deal_id
        and reached_stages.pipeline_id = first_beyond.pipeline_id
        and reached_stages.stage_id = first_beyond.stage_id

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'events.deal_id', "'|'", 'events.pipeline_id', "'|'", 'events.stage_id'
        ])) }} as deal_stage_event_id,
        events.deal_id,
        events.pipeline_id,
        events.stage_id,
        {{ deal_stage_key('events.pipeline_id', 'events.stage_id') }} as stage_key,
        stages.stage_order,
        stages.funnel_step,
        events.is_skipped,
        events.reached_at,
        events.entered_at,
        events.exited_at,
        {{ company_date('events.entered_at') }} as entered_date,
        {{ company_date('events.exited_at') }} as exited_date,
        cast(events.stay_count as integer) as stay_count,
        cast(events.days_in_stage as {{ type_ratio() }}) as days_in_stage,
        events.is_current_stage,
        -- The owner when the stage was entered; before any recorded owner, the first one.
        case
            when owner_at_entry.deal_id is not null then owner_at_entry.owner_id
            else deals.owner_id
        end as rep_id,
        deals.deal_created_at,
        {{ company_date('deals.deal_created_at') }} as created_date,
        {{ month_start(company_date('deals.deal_created_at')) }} as cohort_month,
        deals.is_test_deal,
        deals.is_archived,
        deals.deal_updated_at

    from events
    inner join deals
        on events.deal_id = deals.deal_id
    left join stages
        on events.pipeline_id = stages.pipeline_id
        and events.stage_id = stages.stage_id
    left join owner_history as owner_at_entry
        on events.deal_id = owner_at_entry.deal_id
        and (
            ({{ instant_in_period('events.entered_at', 'owner_at_entry') }})
            or (
                owner_at_entry.period_number = 1
                and events.entered_at < owner_at_entry.valid_from
            )
        )

)

select * from final
