{#-
    Sales results, activity and quota per rep and month (company time). A rep has a row
    for every month in which they closed a deal, had a quota or logged an activity (a
    call, a meeting or an email sent); counts and bookings are zero, not null, on a row
    without such events. Deals are credited to their owner at close, at their amount as
    it stood at the close (the "as of" rule of kpis.md). Discount depth reads the CRM line
    items of the month's won deals; the email reply rate the outbound threads the rep
    started in the month (int_email_threads), which are also emails sent.
-#}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

activities as (

    select * from {{ ref('fct_activities') }}

),

emails as (

    select * from {{ ref('fct_emails') }}

),

quotas as (

    select * from {{ ref('fct_quotas') }}

),

reps as (

    select * from {{ ref('dim_rep') }}

),

quote_lines as (

    select * from {{ ref('fct_quote_lines') }}

),

email_threads as (

    select * from {{ ref('int_email_threads') }}

),

closed_deals as (

    select
        rep_id,
        {{ month_start('close_date') }} as month_start_date,
        is_won,
        is_lost,
        amount_at_close_reporting as amount_reporting,
        amount_at_close is not null
        and amount_at_close_reporting is null as is_missing_fx_rate,
        sales_cycle_days

    from deals
    where is_closed
        and not is_archived
        and not is_test_deal
        and rep_id is not null

),

deal_months as (

    select
        rep_id,
        month_start_date,
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
    group by
        rep_id,
        month_start_date

),

activity_months as (

    -- Calls and meetings count on their own day (counted_date); notes and tasks not here.
    select
        rep_id,
        {{ month_start('counted_date') }} as month_start_date,
        count(case when activity_type = 'call' then 1 end) as calls,
        count(case when activity_type = 'meeting' then 1 end) as meetings

    from activities
    where activity_type in ('call', 'meeting')
        and not is_archived
        and rep_id is not null
        and counted_date is not null
    group by
        rep_id,
        {{ month_start('counted_date') }}

),

email_months as (

    select
        rep_id,
        {{ month_start('sent_date') }} as month_start_date,
        count(*) as emails_sent

    from emails
    where is_email_sent
        and rep_id is not null
        and sent_date is not null
    group by
        rep_id,
        {{ month_start('sent_date') }}

),

quota_months as (

    -- A rep listed under two addresses in one month: both quotas are theirs.
    select
        rep_id,
        quota_month as month_start_date,
        sum(quota_amount_reporting) as quota_amount,
        count(case when is_missing_fx_rate then 1 end) as quotas_missing_fx_rate

    from quotas
    where rep_id is not null
    group by
        rep_id,
        quota_month

),

won_deal_lines as (

    -- Each won deal's line items summed, each line already in cents. A line without a
    -- list price has no discount to measure: it is in neither sum.
    select
        deals.deal_id,
        deals.rep_id,
        {{ month_start('deals.close_date') }} as month_start_date,
        sum(
            case when not quote_lines.is_missing_list_price then quote_lines.net_amount_reporting end
        ) as line_net_amount,
        sum(
            case when not quote_lines.is_missing_list_price then quote_lines.list_amount_reporting end
        ) as line_list_amount,
        count(case when quote_lines.is_missing_fx_rate then 1 end) as line_items_missing_fx_rate

    from quote_lines
    inner join deals
        on quote_lines.deal_id = deals.deal_id
    where deals.is_won
        and not deals.is_archived
        and not deals.is_test_deal
        and not quote_lines.is_archived
        and deals.rep_id is not null
    group by
        deals.deal_id,
        deals.rep_id,
        {{ month_start('deals.close_date') }}

),

line_months as (

    select
        rep_id,
        month_start_date,
        count(*) as deals_won_with_lines,
        sum(line_net_amount) as line_net_amount,
        sum(line_list_amount) as line_list_amount,
        sum(line_items_missing_fx_rate) as line_items_missing_fx_rate

    from won_deal_lines
    group by
        rep_id,
        month_start_date

),

outbound_thread_months as (

    -- A thread started by the rep's outbound root counts in the root's month.
    select
        root_sender_rep_id as rep_id,
        {{ month_start(company_date('root_sent_at')) }} as month_start_date,
        count(*) as outbound_threads,
        count(case when is_replied_outbound_thread then 1 end) as replied_threads

    from email_threads
    where is_thread_root
        and is_outbound_thread
        and root_sender_rep_id is not null
        and root_sent_at is not null
    group by
        root_sender_rep_id,
        {{ month_start(company_date('root_sent_at')) }}

),

rep_months as (

    -- A month of any of the rep's events.
    select rep_id, month_start_date from deal_months
    union
    select rep_id, month_start_date from activity_months
    union
    select rep_id, month_start_date from email_months
    union
    select rep_id, month_start_date from quota_months
    union
    select rep_id, month_start_date from line_months
    union
    select rep_id, month_start_date from outbound_thread_months

),

monthly as (

    select
        rep_months.rep_id,
        rep_months.month_start_date,
        deal_months.won_amount,
        deal_months.lost_amount,
        coalesce(deal_months.deals_won, 0) as deals_won,
        coalesce(deal_months.deals_lost, 0) as deals_lost,
        coalesce(deal_months.deals_missing_fx_rate, 0) as deals_missing_fx_rate,
        deal_months.avg_deal_size,
        deal_months.median_deal_size,
        deal_months.avg_sales_cycle,
        deal_months.median_sales_cycle,
        coalesce(activity_months.calls, 0) as calls,
        coalesce(activity_months.meetings, 0) as meetings,
        coalesce(email_months.emails_sent, 0) as emails_sent,
        quota_months.quota_amount,
        coalesce(quota_months.quotas_missing_fx_rate, 0) as quotas_missing_fx_rate,
        coalesce(line_months.deals_won_with_lines, 0) as deals_won_with_lines,
        line_months.line_net_amount,
        line_months.line_list_amount,
        coalesce(line_months.line_items_missing_fx_rate, 0) as line_items_missing_fx_rate,
        coalesce(outbound_thread_months.outbound_threads, 0) as outbound_threads,
        coalesce(outbound_thread_months.replied_threads, 0) as replied_threads

    from rep_months
    left join deal_months
        on rep_months.rep_id = deal_months.rep_id
        and rep_months.month_start_date = deal_months.month_start_date
    left join activity_months
        on rep_months.rep_id = activity_months.rep_id
        and rep_months.month_start_date = activity_months.month_start_date
    left join email_months
        on rep_months.rep_id = email_months.rep_id
        and rep_months.month_start_date = email_months.month_start_date
    left join quota_months
        on rep_months.rep_id = quota_months.rep_id
        and rep_months.month_start_date = quota_months.month_start_date
    left join line_months
        on rep_months.rep_id = line_months.rep_id
        and rep_months.month_start_date = line_months.month_start_date
    left join outbound_thread_months
        on rep_months.rep_id = outbound_thread_months.rep_id
        and rep_months.month_start_date = outbound_thread_months.month_start_date

),

month_teams as (

    -- The team of the month: the rep's team on the month's first day they were employed
    -- (the first dim_rep interval overlapping the month), as their quota rolls up to it.
    select
        monthly.rep_id,
        monthly.month_start_date,
        reps.team_name,
        row_number() over (
            partition by monthly.rep_id, monthly.month_start_date
            order by reps.valid_from
        ) as spell_rank

    from monthly
    inner join reps
        on monthly.rep_id = reps.rep_id
        and reps.valid_from < {{ dbt.dateadd('month', 1, 'monthly.month_start_date') }}
        and (reps.valid_to > monthly.month_start_date or reps.valid_to is null)

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
        monthly.avg_deal_size as avg_deal_size_amount,
        monthly.median_deal_size as median_deal_size_amount,
        cast(monthly.avg_sales_cycle as {{ type_ratio() }}) as avg_sales_cycle_days,
        cast(monthly.median_sales_cycle as {{ type_ratio() }}) as median_sales_cycle_days,
        cast(monthly.calls as integer) as calls,
        cast(monthly.meetings as integer) as meetings,
        cast(monthly.emails_sent as integer) as emails_sent,
        -- Null without a quota that month (sum of nulls); a quota of 0 stays 0.
        cast(monthly.quota_amount as {{ type_money() }}) as quota_amount,
        {{ safe_divide('coalesce(monthly.won_amount, 0)', 'monthly.quota_amount') }}
            as quota_attainment,
        cast(monthly.deals_missing_fx_rate as integer) as deals_missing_fx_rate,
        cast(monthly.quotas_missing_fx_rate as integer) as quotas_missing_fx_rate,
        cast(monthly.deals_won_with_lines as integer) as deals_won_with_lines,
        cast(coalesce(monthly.line_net_amount, 0) as {{ type_money() }}) as line_net_amount,
        cast(coalesce(monthly.line_list_amount, 0) as {{ type_money() }}) as line_list_amount,
        -- Null without lines at a list price (0 / 0).
        1 - {{ safe_divide('monthly.line_net_amount', 'monthly.line_list_amount') }}
            as discount_depth_rate,
        cast(monthly.outbound_threads as integer) as outbound_threads,
        cast(monthly.replied_threads as integer) as replied_threads,
        {{ safe_divide('monthly.replied_threads', 'monthly.outbound_threads') }}
            as email_reply_rate,
        cast(monthly.line_items_missing_fx_rate as integer) as line_items_missing_fx_rate

    from monthly
    left join reps as current_reps
        on monthly.rep_id = current_reps.rep_id
        and current_reps.is_current
    left join month_teams
        on monthly.rep_id = month_teams.rep_id
        and monthly.month_start_date = month_teams.month_start_date
        and month_teams.spell_rank = 1

)

select * from final
