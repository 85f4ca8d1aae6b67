{#-
    The open pipeline as it stood at the end of every company-time day (kpis.md "pipeline
    (open)", "weighted pipeline"), from the first deal's creation through as_of_date().

    A deal's state at the end of day D is its latest change before the next midnight (a
    change at that very instant belongs to the next day): so a state set at instant t
    holds for the days from company_date(t) until the day before the next change's date.
    Each history (stage stays, owner periods, amount and currency periods) is cut into
    such day ranges, the ranges are intersected per deal, and only then joined to the
    calendar: one row per deal and open day, never a spine x every deal.

    Amounts are those of the day, converted at that day's FX rate (the latest earlier one
    when none was published), rounded to cents per deal; weighted by the probability of
    the stage (pipeline definition).
-#}

{%- set default_currency = var('crm_default_currency') or var('reporting_currency') -%}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

transitions as (

    select * from {{ ref('int_deal_stage_transitions') }}

),

owner_history as (

    select * from {{ ref('int_deal_owner_history') }}

),

property_periods as (

    select * from {{ ref('int_deal_property_periods') }}
    where property_name in ('amount', 'deal_currency_code')

),

stages as (

    select * from {{ ref('dim_stage') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

counted_deals as (

    select
        deal_id,
        created_date,
        currency_code,
        amount

    from deals
    where not is_test_deal
        and not is_archived
        and created_date is not null

),

-- Day ranges [from_date, to_date) at whose ends the deal sat in an open stage; never
-- before the deal's creation day.
open_stage_days as (

    select
        transitions.deal_id,
        transitions.pipeline_id,
        transitions.to_stage_id as stage_id,
        case
            when {{ company_date('transitions.entered_at') }} < counted_deals.created_date
                then counted_deals.created_date
            else {{ company_date('transitions.entered_at') }}
        end as from_date,
        {{ company_date_or_still_current('transitions.exited_at') }} as to_date

    from transitions
    inner join counted_deals
        on transitions.deal_id = counted_deals.deal_id
    inner join stages
        on transitions.pipeline_id = stages.pipeline_id
        and transitions.to_stage_id = stages.stage_id
        and stages.is_open

),

owner_days as (

    select
        deal_id,
        owner_id,
        {{ period_company_dates() }}

    from owner_history

),

amount_days as (

    select
        deal_id,
        cast(property_value as {{ type_source_amount() }}) as amount,
        {{ period_company_dates() }}

    from property_periods
    where property_name = 'amount'

),

currency_days as (

    select
        deal_id,
        -- A cleared currency is the CRM's default one, as stg_crm__deals reads it.
        upper(coalesce(property_value, '{{ default_currency }}')) as currency_code,
        {{ period_company_dates() }}

    from property_periods
    where property_name = 'deal_currency_code'

),

with_owner as (

    select
        open_stage_days.deal_id,
        open_stage_days.pipeline_id,
        open_stage_days.stage_id,
        owner_days.owner_id,
        -- The overlap of the two ranges; greatest and least skip a null (no match), as
        -- PostgreSQL and DuckDB both do, leaving the left range.
        greatest(open_stage_days.from_date, owner_days.from_date) as from_date,
        least(open_stage_days.to_date, owner_days.to_date) as to_date

    from open_stage_days
    left join owner_days
        on open_stage_days.deal_id = owner_days.deal_id
        and owner_days.from_date < open_stage_days.to_date
        and owner_days.to_date > open_stage_days.from_date
    where open_stage_days.from_date < open_stage_days.to_date

),

with_amount as (

    select
        with_owner.deal_id,
        with_owner.pipeline_id,
        with_owner.stage_id,
        with_owner.owner_id,
        amount_days.deal_id is not null as has_amount_history,
        amount_days.amount,
        greatest(with_owner.from_date, amount_days.from_date) as from_date,
        least(with_owner.to_date, amount_days.to_date) as to_date

    from with_owner
    left join amount_days
        on with_owner.deal_id = amount_days.deal_id
        and amount_days.from_date < with_owner.to_date
        and amount_days.to_date > with_owner.from_date

),

-- Day ranges of one state: stage, owner, amount and currency all constant.
deal_states as (

    select
        with_amount.deal_id,
        with_amount.pipeline_id,
        with_amount.stage_id,
        with_amount.owner_id,
        -- No recorded history at all: the current value is the only evidence.
        case
            when with_amount.has_amount_history then with_amount.amount
            else counted_deals.amount
        end as amount,
        coalesce(currency_days.currency_code, counted_deals.currency_code) as currency_code,
        greatest(with_amount.from_date, currency_days.from_date) as from_date,
        least(with_amount.to_date, currency_days.to_date) as to_date

    from with_amount
    inner join counted_deals
        on with_amount.deal_id = counted_deals.deal_id
    left join currency_days
        on with_amount.deal_id = currency_days.deal_id
        and currency_days.from_date < with_amount.to_date
        and currency_days.to_date > with_amount.from_date

),

snapshot_days as (

    select date_day
    from calendar
    where date_day >= (select min(created_date) from counted_deals)
        and date_day <= {{ as_of_date() }}

),

-- One row per deal and day it was open: a range join, linear in its output.
open_deal_days as (

    select
        snapshot_days.date_day as snapshot_date,
        deal_states.deal_id,
        deal_states.pipeline_id,
        deal_states.stage_id,
        deal_states.owner_id,
        deal_states.currency_code,
        deal_states.amount

    from deal_states
    inner join snapshot_days
        on snapshot_days.date_day >= deal_states.from_date
        and snapshot_days.date_day < deal_states.to_date

),

converted as (

    select
        open_deal_days.*,
        {{ convert_to_reporting('open_deal_days.amount', 'fx') }} as amount_reporting,
        {{ is_missing_fx_rate('open_deal_days.amount', 'fx') }} as is_missing_fx_rate

    from open_deal_days
    {{ fx_daily_rate_joins('fx_rates', 'open_deal_days.currency_code', 'open_deal_days.snapshot_date', 'fx') }}

),

daily as (

    select
        snapshot_date,
        pipeline_id,
        stage_id,
        owner_id,
        count(*) as open_deals,
        sum(amount_reporting) as open_amount,
        count(case when is_missing_fx_rate then 1 end) as open_deals_missing_fx_rate

    from converted
    group by snapshot_date, pipeline_id, stage_id, owner_id

),

final as (

    select
        daily.snapshot_date,
        stages.pipeline_name,
        stages.stage_name,
        daily.owner_id as rep_id,
        cast(daily.open_deals as integer) as open_deals,
        cast(coalesce(daily.open_amount, 0) as {{ type_money() }}) as open_amount,
        -- The stage is constant in the row: sum(amount x p) = p x sum(amount), exactly,
        -- rounded half up to cents once per row.
        cast(
            round(
                -- 28 digits: DuckDB sizes a product of 18-digit decimals at 18 digits,
                -- only 10 of them before the point.
                cast(coalesce(daily.open_amount, 0) as numeric(28, 2))
                    * cast(stages.probability as numeric(9, 6)),
                2
            )
            as {{ type_money() }}
        ) as weighted_amount,
        cast(daily.open_deals_missing_fx_rate as integer) as open_deals_missing_fx_rate

    from daily
    inner join stages
        on daily.pipeline_id = stages.pipeline_id
        and daily.stage_id = stages.stage_id

)

select * from final
