{#-
    The FX rate of every currency on every day of the calendar (var calendar_start_date to
    calendar_end_date, as dim_date): the rate published that day, else the latest earlier
    one (kpis.md); no row before a currency's first published rate. Facts join it on
    (currency, day), an equality join that stays a hash join on every engine, where a
    join on int_fx_rate_periods' validity ranges compares every rate of the currency
    (see fx_daily_rate_joins in macros/fx.sql).
-#}

with

rate_periods as (

    select * from {{ ref('int_fx_rate_periods') }}

),

days as (

    -- The spine excludes its end: one day past the calendar's last.
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        dbt.dateadd('day', 1, "cast('" ~ var('calendar_end_date') ~ "' as date)"),
    ) }}

),

currencies as (

    select
        currency_code,
        min(valid_from) as first_rate_date

    from rate_periods
    group by currency_code

),

currency_days as (

    select
        currencies.currency_code,
        cast(days.date_day as date) as rate_date

    from currencies
    cross join days
    where cast(days.date_day as date) >= currencies.first_rate_date

),

-- The day of the rate in force: the latest published day on or before each day.
carried as (

    select
        currency_days.currency_code,
        currency_days.rate_date,
        max(published.valid_from) over (
            partition by currency_days.currency_code
            order by currency_days.rate_date
            rows between unbounded preceding and current row
        ) as rate_published_on

    from currency_days
    left join rate_periods as published
        on currency_days.currency_code = published.currency_code
        and currency_days.rate_date = published.valid_from

),

-- A currency whose first rate predates the calendar starts with that rate in force.
daily_rates as (

    select
        carried.currency_code,
        carried.rate_date,
        coalesce(carried.rate_published_on, opening.valid_from) as rate_published_on,
        coalesce(in_force.units_per_usd, opening.units_per_usd) as units_per_usd

    from carried
    left join rate_periods as in_force
        on carried.currency_code = in_force.currency_code
        and carried.rate_published_on = in_force.valid_from
    left join rate_periods as opening
        on carried.rate_published_on is null
        and carried.currency_code = opening.currency_code
        and opening.valid_from < cast('{{ var("calendar_start_date") }}' as date)
        and (opening.valid_to > cast('{{ var("calendar_start_date") }}' as date) or opening.valid_to is null)

)

select * from daily_rates
