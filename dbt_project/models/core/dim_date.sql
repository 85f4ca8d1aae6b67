{%- set fiscal_start = var('fiscal_year_start_month') | int -%}
{%- if fiscal_start < 1 or fiscal_start > 12 -%}
    {{ exceptions.raise_compiler_error("fiscal_year_start_month must be 1..12, got " ~ fiscal_start) }}
{%- endif -%}

with

days as (

    -- The spine excludes its end: one day past the calendar's last.
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        dbt.dateadd('day', 1, "cast('" ~ var('calendar_end_date') ~ "' as date)"),
    ) }}

),

calendar as (

    select
        cast(date_day as date) as date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week

    from days

),

fiscal as (

    select
        *,
        -- Months since the fiscal year began, 0..11.
        mod(calendar_month - {{ fiscal_start }} + 12, 12) as fiscal_month_offset

    from calendar

),

final as (

    select
        date_day,
        calendar_year,
        calendar_quarter,
        calendar_month,
        day_of_month,
        iso_day_of_week,
        iso_day_of_week >= 6 as is_weekend,
        cast({{ dbt.dateadd('day', '1 - iso_day_of_week', 'date_day') }} as date) as week_start_date,
        {{ month_start('date_day') }} as month_start_date,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end_date,
        date_day = cast({{ dbt.last_day('date_day', 'month') }} as date) as is_month_end,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        calendar_year
            + case when {{ fiscal_start }} > 1 and calendar_month >= {{ fiscal_start }} then 1 else 0 end
            as fiscal_year,
        cast(floor(fiscal_month_offset / 3.0) as integer) + 1 as fiscal_quarter,
        fiscal_month_offset + 1 as fiscal_month

    from fiscal

)

select * from final
