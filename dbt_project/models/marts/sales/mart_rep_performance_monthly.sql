with

deals as (

    select * from {{ ref('fct_deals') }}

),

reps as (

    select * from {{ ref('dim_rep') }}

),

closed_deals as (

    select
        rep_id,
        {{ month_start('close_date') }} as closed_month,
        is_won,
        is_lost,
        amount_reporting,
        is_missing_fx_rate,
        sales_cycle_days

    from deals
    where is_closed
        and not is_archived
        and not is_test_deal
        and rep_id is not null

),

monthly as (

    select
        rep_id,
        closed_month,
        sum(case when is_won then amount_reporting end) as won_amount,
        sum(case when is_lost then amount_reporting end) as lost_amount,
        count(case when is_won then 1 end) as deals_won,
        count(case when is_lost then 1 end) as deals_lost,
        count(case when is_missing_fx_rate then 1 end) as deals_missing_fx_rate,
        {{ mean_money('case when is_won then amount_reporting end') }} as avg_deal_size,
        {{ median_money('case when is_won then amount_reporting end') }} as median_deal_size,
        avg(case when is_won then sales_cycle_days end) as avg_sales_cycle,
        {{ median('case when is_won then sales_cycle_days end') }} as median_sales_cycle

    from closed_deals
    group by rep_id, closed_month

),

month_teams as (

    -- The team of the month: the rep's team on the month's first day they were employed
    -- (the first dim_rep interval overlapping the month), as their quota rolls up to it.
    select
        monthly.rep_id,
        monthly.closed_month,
        reps.team_name,
        row_number() over (
            partition by monthly.rep_id, monthly.closed_month
            order by reps.valid_from
        ) as spell_rank

    from monthly
    inner join reps
        on monthly.rep_id = reps.rep_id
        and reps.valid_from < {{ dbt.dateadd('month', 1, 'monthly.closed_month') }}
        and (reps.valid_to > monthly.closed_month or reps.valid_to is null)

),

final as (

    select
        monthly.rep_id,
        current_reps.rep_email,
        current_reps.rep_name,
        -- No interval overlaps the month (a deal credited outside the rep's known
        -- spells): today's team.
        case
            when month_teams.rep_id is not null then month_teams.team_name
            else current_reps.team_name
        end as team_name,
        monthly.closed_month as month,
        cast(coalesce(monthly.won_amount, 0) as {{ type_money() }}) as bookings_amount,
        monthly.deals_won,
        monthly.deals_lost,
        {{ safe_divide('monthly.deals_won', 'monthly.deals_won + monthly.deals_lost') }}
            as win_rate,
        {{ safe_divide(
            'coalesce(monthly.won_amount, 0)',
            'coalesce(monthly.won_amount, 0) + coalesce(monthly.lost_amount, 0)'
        ) }} as win_rate_by_amount,
        monthly.avg_deal_size as avg_deal_size_amount,
        monthly.median_deal_size as median_deal_size_amount,
        cast(monthly.avg_sales_cycle as {{ type_ratio() }}) as avg_sales_cycle_days,
        cast(monthly.median_sales_cycle as {{ type_ratio() }}) as median_sales_cycle_days,
        monthly.deals_missing_fx_rate

    from monthly
    left join reps as current_reps
        on monthly.rep_id = current_reps.rep_id
        and current_reps.is_current
    left join month_teams
        on monthly.rep_id = month_teams.rep_id
        and monthly.closed_month = month_teams.closed_month
        and month_teams.spell_rank = 1

)

select * from final
