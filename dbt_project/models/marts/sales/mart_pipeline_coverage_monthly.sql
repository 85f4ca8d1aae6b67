{#-
    Pipeline coverage per rep and month (kpis.md "pipeline coverage"), measured at the
    month's first instant (company-time midnight): the open pipeline closing in the month,
    as it stood then, over the quota left to book. A rep has a row for every month starting
    on or before as_of_date() in which they had a quota or owned, at that instant, an open
    deal closing in the month.

    At the first instant nothing of the month has closed yet, so bookings so far are 0 and
    the denominator is the whole quota. Without a quota left to book (none, or 0) there is
    no coverage.
-#}

with

open_pipeline as (

    select * from {{ ref('int_rep_month_open_pipeline') }}

),

quotas as (

    select * from {{ ref('fct_quotas') }}

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
        and quota_month <= {{ as_of_date() }}
    group by
        rep_id,
        quota_month

),

rep_months as (

    select
        coalesce(open_pipeline.rep_id, quota_months.rep_id) as rep_id,
        coalesce(open_pipeline.month_start_date, quota_months.month_start_date)
            as month_start_date,
        coalesce(open_pipeline.open_deals, 0) as open_deals,
        coalesce(open_pipeline.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(open_pipeline.open_deals_missing_fx_rate, 0) as open_deals_missing_fx_rate,
        quota_months.quota_amount,
        -- Bookings of the month closed before its first instant: none.
        0 as bookings_so_far_amount,
        coalesce(quota_months.quotas_missing_fx_rate, 0) as quotas_missing_fx_rate

    from open_pipeline
    full outer join quota_months
        on open_pipeline.rep_id = quota_months.rep_id
        and open_pipeline.month_start_date = quota_months.month_start_date

),

final as (

    select
        rep_id,
        month_start_date as month,
        cast(open_deals as integer) as open_deals,
        cast(open_pipeline_amount as {{ type_money() }}) as open_pipeline_amount,
        cast(quota_amount as {{ type_money() }}) as quota_amount,
        cast(bookings_so_far_amount as {{ type_money() }}) as bookings_so_far_amount,
        -- Nothing left to book (no quota, or a quota of 0 or less): nothing to cover.
        case
            when quota_amount - bookings_so_far_amount > 0
                then {{ safe_divide('open_pipeline_amount', 'quota_amount - bookings_so_far_amount') }}
        end as pipeline_coverage,
        cast(open_deals_missing_fx_rate as integer) as open_deals_missing_fx_rate,
        cast(quotas_missing_fx_rate as integer) as quotas_missing_fx_rate

    from rep_months

)

select * from final
