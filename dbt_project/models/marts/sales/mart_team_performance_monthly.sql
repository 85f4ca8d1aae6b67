{#-
    Sales results and quota per team and month (company time), for every team-month with
    a closed deal or a quota.
    - A closed deal counts for the team its owner at close (fct_deals.rep_id) belonged to
      on the close date in company time: dim_rep's intervals are company-time days, so
      the interval holding the close date is the one holding the close instant. A close
      outside every interval of the rep counts for the latest team the rep joined before
      it, else (a close before the rep's first known day) for the rep's first team.
    - Quotas: fct_quotas' team of the month (the rep's team on the month's first day
      they were employed), so that a rep moving mid-month brings the month's whole quota
      to the team they started the month in.
-#}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

quotas as (

    select * from {{ ref('fct_quotas') }}

),

reps as (

    select * from {{ ref('dim_rep') }}

),

teams as (

    select * from {{ ref('dim_team') }}

),

closed_deals as (

    select
        deal_id,
        rep_id,
        close_date,
        {{ month_start('close_date') }} as month_start_date,
        is_won,
        is_lost,
        amount_at_close_reporting as amount_reporting,
        amount_at_close is not null
        and amount_at_close_reporting is null as is_missing_fx_rate

    from deals
    where is_closed
        and not is_archived
        and not is_test_deal
        and rep_id is not null

),

deal_team_candidates as (

    select
        closed_deals.deal_id,
        reps.team_id,
        reps.team_name,
        row_number() over (
            partition by closed_deals.deal_id
            order by
                -- The latest interval started on or before the close date (the one
                -- holding it, or the last before a gap or the rep's departure) ...
                case when reps.valid_from <= closed_deals.close_date then 0 else 1 end,
                case when reps.valid_from <= closed_deals.close_date then reps.valid_from end desc,
                -- ... else the rep's first.
                reps.valid_from
        ) as team_rank

    from closed_deals
    inner join reps
        on closed_deals.rep_id = reps.rep_id

),

deal_events as (

    select
        deal_team_candidates.team_id,
        deal_team_candidates.team_name,
        closed_deals.month_start_date,
        closed_deals.is_won,
        closed_deals.is_lost,
        closed_deals.amount_reporting,
        closed_deals.is_missing_fx_rate,
        cast(null as {{ type_money() }}) as quota_amount,
        0 as quotas_missing_fx_rate

    from closed_deals
    left join deal_team_candidates
        on closed_deals.deal_id = deal_team_candidates.deal_id
        and deal_team_candidates.team_rank = 1

),

quota_events as (

    select
        team_id,
        team_name,
        quota_month as month_start_date,
        false as is_won,
        false as is_lost,
        cast(null as {{ type_money() }}) as amount_reporting,
        false as is_missing_fx_rate,
        quota_amount_reporting as quota_amount,
        case when is_missing_fx_rate then 1 else 0 end as quotas_missing_fx_rate

    from quotas
    where rep_id is not null

),

team_month_events as (

    select * from deal_events
    union all
    select * from quota_events

),

monthly as (

    select
        team_id,
        -- A team's name as dim_rep spells it for a team missing from dim_team.
        min(team_name) as spelled_team_name,
        month_start_date,
        sum(case when is_won then amount_reporting end) as won_amount,
        sum(case when is_lost then amount_reporting end) as lost_amount,
        count(case when is_won then 1 end) as deals_won,
        count(case when is_lost then 1 end) as deals_lost,
        count(case when is_missing_fx_rate then 1 end) as deals_missing_fx_rate,
        sum(quota_amount) as quota_amount,
        sum(quotas_missing_fx_rate) as quotas_missing_fx_rate

    from team_month_events
    group by
        team_id,
        month_start_date

),

final as (

    select
        coalesce(teams.team_name, monthly.spelled_team_name) as team_name,
        monthly.team_id,
        monthly.month_start_date as month,
        cast(coalesce(monthly.won_amount, 0) as {{ type_money() }}) as bookings_amount,
        cast(monthly.deals_won as integer) as deals_won,
        cast(monthly.deals_lost as integer) as deals_lost,
        {{ safe_divide('monthly.deals_won', 'monthly.deals_won + monthly.deals_lost') }}
            as win_rate,
        {{ safe_divide(
            'coalesce(monthly.won_amount, 0)',
            'coalesce(monthly.won_amount, 0) + coalesce(monthly.lost_amount, 0)'
        ) }} as win_rate_by_amount,
        cast(monthly.quota_amount as {{ type_money() }}) as quota_amount,
        {{ safe_divide('coalesce(monthly.won_amount, 0)', 'monthly.quota_amount') }}
            as quota_attainment,
        cast(monthly.deals_missing_fx_rate as integer) as deals_missing_fx_rate,
        cast(monthly.quotas_missing_fx_rate as integer) as quotas_missing_fx_rate

    from monthly
    left join teams
        on monthly.team_id = teams.team_id

)

select * from final
