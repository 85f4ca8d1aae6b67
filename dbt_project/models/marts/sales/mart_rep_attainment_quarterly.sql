{#-
    Quota attainment per rep and calendar quarter (company time, kpis.md "quota
    attainment"): the quarter's bookings over the sum of its monthly quotas. A rep has a
    row for every quarter in which they had a quota or won a deal; rolled up from
    mart_rep_performance_monthly, so bookings and quotas are those of its months.
-#}

with

rep_months as (

    select * from {{ ref('mart_rep_performance_monthly') }}

),

quarterly as (

    select
        rep_id,
        cast({{ dbt.date_trunc('quarter', 'month') }} as date) as quarter_start_date,
        sum(bookings_amount) as bookings_amount,
        sum(deals_won) as deals_won,
        -- Null when no month of the quarter had a quota (sum of nulls).
        sum(quota_amount) as quota_amount,
        count(quota_amount) as months_with_quota,
        sum(quotas_missing_fx_rate) as quotas_missing_fx_rate

    from rep_months
    group by
        rep_id,
        cast({{ dbt.date_trunc('quarter', 'month') }} as date)

),

final as (

    select
        rep_id,
        quarter_start_date as quarter,
        cast(bookings_amount as {{ type_money() }}) as bookings_amount,
        cast(deals_won as integer) as deals_won,
        cast(quota_amount as {{ type_money() }}) as quota_amount,
        cast(months_with_quota as integer) as months_with_quota,
        {{ safe_divide('bookings_amount', 'quota_amount') }} as quota_attainment,
        cast(quotas_missing_fx_rate as integer) as quotas_missing_fx_rate

    from quarterly
    -- A quarter of lost deals or activity only carries no attainment.
    where deals_won > 0
        or months_with_quota > 0

)

select * from final
