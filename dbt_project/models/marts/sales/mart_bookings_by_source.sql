{#-
    Bookings per original lead source and month (company time), for every source and
    month with a won deal. The source is fct_deals.original_lead_source (the earliest
    source of the deal's primary contact, else its company's, else `unknown`: the
    fallback is core's, int_deal_original_lead_source). Amounts as they stood at the
    close, as in mart_rep_performance_monthly, so that both marts add up to the same
    bookings.
-#}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

won_deals as (

    select
        original_lead_source,
        {{ month_start('close_date') }} as month_start_date,
        amount_at_close_reporting as amount_reporting,
        amount_at_close is not null
        and amount_at_close_reporting is null as is_missing_fx_rate

    from deals
    where is_won
        and not is_archived
        and not is_test_deal

),

monthly as (

    select
        original_lead_source,
        month_start_date,
        sum(amount_reporting) as won_amount,
        count(*) as deals_won,
        count(case when is_missing_fx_rate then 1 end) as deals_missing_fx_rate

    from won_deals
    group by
        original_lead_source,
        month_start_date

),

final as (

    select
        original_lead_source as lead_source,
        month_start_date as month,
        cast(coalesce(won_amount, 0) as {{ type_money() }}) as bookings_amount,
        cast(deals_won as integer) as deals_won,
        cast(deals_missing_fx_rate as integer) as deals_missing_fx_rate

    from monthly

)

select * from final
