{#-
    The numerator of pipeline coverage (kpis.md "pipeline coverage"): per rep and month,
    the deals open at the month's first instant (company-time midnight) whose close date,
    as it stood then, falls in that month; for every month starting on or before
    as_of_date().

    A deal's state at the instant is the latest value of each history changed strictly
    before it: a change at instant t is in force at the midnight starting month M when
    company_date(t) < M. So a period [valid_from, valid_to) holds at M when its
    from_date < M <= to_date (company dates), the first recorded value also holding before
    its change, as mart_pipeline_daily reads the state at the end of M's previous day.
    Owner, amount, currency and close date are those of the instant; the amount converts
    at M's rate (the latest earlier one when none was published), rounded to cents.
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
    where property_name in ('amount', 'deal_currency_code', 'closedate')

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
        amount,
        close_date

    from deals
    where not is_test_deal
        and not is_archived
        and created_date is not null

),

month_starts as (

    select date_day as month_start_date
    from calendar
    where date_day = {{ month_start('date_day') }}
        and date_day > (select min(created_date) from counted_deals)
        and date_day <= {{ as_of_date() }}

),

-- Open-stage stays, as company-date ranges (from_date, to_date] holding at a midnight.
open_stage_periods as (

    select
        transitions.deal_id,
        {{ company_date('transitions.entered_at') }} as from_date,
        {{ company_date_or_still_current('transitions.exited_at') }} as to_date

    from transitions
    inner join stages
        on transitions.pipeline_id = stages.pipeline_id
        and transitions.to_stage_id = stages.stage_id
        and stages.is_open

),

open_at_month_start as (

    select
        counted_deals.deal_id,
        counted_deals.amount as current_amount,
        counted_deals.currency_code as current_currency_code,
        counted_deals.close_date as current_close_date,
        month_starts.month_start_date

    from open_stage_periods
    inner join counted_deals
        on open_stage_periods.deal_id = counted_deals.deal_id
    inner join month_starts
        on month_starts.month_start_date > open_stage_periods.from_date
        and month_starts.month_start_date <= open_stage_periods.to_date
        and month_starts.month_start_date > counted_deals.created_date

),

owner_periods as (

    select
        deal_id,
        owner_id,
        {{ period_company_dates() }}

    from owner_history

),

value_periods as (

    select
        deal_id,
        property_name,
        property_value,
        {{ period_company_dates() }}

    from property_periods

),

deal_states as (

    select
        open_at_month_start.deal_id,
        open_at_month_start.month_start_date,
        owner_periods.owner_id,
        -- No recorded history at all: the current value is the only evidence.
        case
            when amount_periods.deal_id is not null
                then cast(amount_periods.property_value as {{ type_source_amount() }})
            else open_at_month_start.current_amount
        end as amount,
        case
            -- A cleared currency is the CRM's default one, as stg_crm__deals reads it.
            when currency_periods.deal_id is not null
                then upper(coalesce(currency_periods.property_value, '{{ default_currency }}'))
            else open_at_month_start.current_currency_code
        end as currency_code,
        case
            when close_periods.deal_id is not null
                then {{ company_date(iso_timestamp('close_periods.property_value')) }}
            else open_at_month_start.current_close_date
        end as close_date

    from open_at_month_start
    left join owner_periods
        on open_at_month_start.deal_id = owner_periods.deal_id
        and open_at_month_start.month_start_date > owner_periods.from_date
        and open_at_month_start.month_start_date <= owner_periods.to_date
    left join value_periods as amount_periods
        on open_at_month_start.deal_id = amount_periods.deal_id
        and amount_periods.property_name = 'amount'
        and open_at_month_start.month_start_date > amount_periods.from_date
        and open_at_month_start.month_start_date <= amount_periods.to_date
    left join value_periods as currency_periods
        on open_at_month_start.deal_id = currency_periods.deal_id
        and currency_periods.property_name = 'deal_currency_code'
        and open_at_month_start.month_start_date > currency_periods.from_date
        and open_at_month_start.month_start_date <= currency_periods.to_date
    left join value_periods as close_periods
        on open_at_month_start.deal_id = close_periods.deal_id
        and close_periods.property_name = 'closedate'
        and open_at_month_start.month_start_date > close_periods.from_date
        and open_at_month_start.month_start_date <= close_periods.to_date

),

closing_in_month as (

    select * from deal_states
    where owner_id is not null
        and {{ month_start('close_date') }} = month_start_date

),

converted as (

    select
        closing_in_month.*,
        {{ convert_to_reporting('closing_in_month.amount', 'fx') }} as amount_reporting,
        {{ is_missing_fx_rate('closing_in_month.amount', 'fx') }} as is_missing_fx_rate

    from closing_in_month
    {{ fx_daily_rate_joins('fx_rates', 'closing_in_month.currency_code', 'closing_in_month.month_start_date', 'fx') }}

),

final as (

    select
        owner_id as rep_id,
        month_start_date,
        cast(count(*) as integer) as open_deals,
        cast(coalesce(sum(amount_reporting), 0) as {{ type_money() }}) as open_pipeline_amount,
        cast(count(case when is_missing_fx_rate then 1 end) as integer)
            as open_deals_missing_fx_rate

    from converted
    group by
        owner_id,
        month_start_date

)

select * from final
