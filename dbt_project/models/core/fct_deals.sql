with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

stages as (

    select * from {{ ref('stg_crm__deal_pipeline_stages') }}

),

owners_at_close as (

    select * from {{ ref('int_deal_owner_at_close') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

lead_sources as (

    select * from {{ ref('int_deal_original_lead_source') }}

),

transitions as (

    select * from {{ ref('int_deal_stage_transitions') }}

),

stage_events as (

    select * from {{ ref('fct_deal_stage_events') }}

),

amount_periods as (

    select * from {{ ref('int_deal_property_periods') }}
    where property_name = 'amount'

),

stage_history as (

    select
        deal_id,
        min(entered_at) as first_stage_entered_at,
        max(entered_at) as last_stage_change_at,
        count(*) as stage_changes,
        count(case when is_backward then 1 end) as backward_stage_changes

    from transitions
    group by deal_id

),

stages_reached as (

    select
        deal_id,
        count(*) as stages_reached,
        count(case when is_skipped then 1 end) as stages_skipped,
        max(funnel_step) as highest_funnel_step

    from stage_events
    group by deal_id

),

deal_facts as (

    select
        deals.deal_id,
        deals.deal_name,
        deals.pipeline_id,
        deals.stage_id,
        deals.deal_type,
        deals.owner_id,
        -- Closed deals are credited to the owner at close; open ones to the current owner.
        case
            when coalesce(stages.is_closed, false) then owners_at_close.owner_id_at_close
            else deals.owner_id
        end as rep_id,
        deals.deal_created_at,
        deals.closed_at,
        {{ company_date('deals.deal_created_at') }} as created_date,
        {{ company_date('deals.closed_at') }} as close_date,
        coalesce(stages.is_closed, false) as is_closed,
        coalesce(stages.is_won, false) as is_won,
        coalesce(stages.is_lost, false) as is_lost,
        stages.stage_id is null as is_stage_unknown,
        deals.currency_code,
        deals.amount,
        deals.is_test_deal,
        deals.is_archived,
        coalesce(deals.updated_at, deals.deal_created_at) as deal_updated_at,
        -- The amount as it stood at the close (amount history; the current amount when no
        -- recorded value held then), closed deals only.
        case
            when not coalesce(stages.is_closed, false) then null
            when amount_at_close.deal_id is not null
                then cast(amount_at_close.property_value as {{ type_source_amount() }})
            else deals.amount
        end as amount_at_close,
        lead_sources.primary_contact_id,
        lead_sources.company_id,
        lead_sources.original_lead_source,
        lead_sources.original_lead_source_basis,
        stage_history.first_stage_entered_at,
        stage_history.last_stage_change_at,
        stage_history.stage_changes,
        stage_history.backward_stage_changes,
        stages_reached.stages_reached,
        stages_reached.stages_skipped,
        stages_reached.highest_funnel_step

    from deals
    left join stages
        on deals.pipeline_id = stages.pipeline_id
        and deals.stage_id = stages.stage_id
    left join owners_at_close
        on deals.deal_id = owners_at_close.deal_id
    left join amount_periods as amount_at_close
        on deals.deal_id = amount_at_close.deal_id
        and {{ instant_in_period('deals.closed_at', 'amount_at_close') }}
    left join lead_sources
        on deals.deal_id = lead_sources.deal_id
    left join stage_history
        on deals.deal_id = stage_history.deal_id
    left join stages_reached
        on deals.deal_id = stages_reached.deal_id

),

converted as (

    select
        deal_id,
        deal_name,
        pipeline_id,
        stage_id,
        deal_type,
        owner_id,
        rep_id,
        deal_created_at,
        closed_at,
        created_date,
        close_date,
        is_closed,
        is_won,
        is_lost,
        is_stage_unknown,
        deal_facts.currency_code,
        amount,
        is_test_deal,
        is_archived,
        -- At the close day's rate (company time), the latest earlier if none; rounded to
        -- cents per deal, half away from zero, exactly, before any sum.
        {{ convert_to_reporting('amount', 'fx') }} as amount_reporting,
        {{ is_missing_fx_rate('amount', 'fx') }} as is_missing_fx_rate,
        case
            when is_won then {{ dbt.datediff('created_date', 'close_date', 'day') }}
        end as sales_cycle_days,
        deal_updated_at,
        amount_at_close,
        {{ convert_to_reporting('amount_at_close', 'fx') }} as amount_at_close_reporting,
        primary_contact_id,
        company_id,
        original_lead_source,
        original_lead_source_basis,
        first_stage_entered_at,
        last_stage_change_at,
        cast(coalesce(stage_changes, 0) as integer) as stage_changes,
        cast(coalesce(backward_stage_changes, 0) as integer) as backward_stage_changes,
        cast(coalesce(stages_reached, 0) as integer) as stages_reached,
        cast(coalesce(stages_skipped, 0) as integer) as stages_skipped,
        cast(highest_funnel_step as integer) as highest_funnel_step

    from deal_facts
    {{ fx_daily_rate_joins('fx_rates', 'deal_facts.currency_code', 'deal_facts.close_date', 'fx') }}

)

select * from converted
