{#-
    Business time (kpis.md "Business hours"), set by the vars `business_days` (ISO
    weekdays, 1 = Monday), `business_day_start` / `business_day_end` ("HH:MM" on the
    company wall clock) and `holidays` (company-time dates, skipped).

    Closed form, no calendar join: each instant is placed on a count of business
    microseconds since a fixed Monday 00:00 (company wall clock) - whole weeks x business
    days, the business days before it in its week, the part of its own day inside the
    window, less the holidays before it - and a duration is the difference of two counts.
    Integer arithmetic on wall-clock microseconds, so that every engine agrees to the
    microsecond (the ground truth's business_minutes works the same way).
-#}

{#-
    Minutes of business time in [start_instant, end_instant) (timestamps with time zone),
    as a double: null when either is null, 0 when the end is not after the start.
-#}
{% macro business_minutes_between(start_instant, end_instant) -%}
    case
        when {{ start_instant }} is null or {{ end_instant }} is null then null
        when {{ end_instant }} <= {{ start_instant }} then cast(0 as {{ type_ratio() }})
        else cast(
            {{ business_microseconds_since_epoch(end_instant) }}
            - {{ business_microseconds_since_epoch(start_instant) }}
            as {{ type_ratio() }}
        ) / cast(60000000 as {{ type_ratio() }})
    end
{%- endmacro %}

{#-
    Business microseconds (a bigint) from the epoch Monday 00:00 on the company wall clock
    to `instant`. The epoch is 1970-01-05 (a Monday) less 5,200 weeks, so that every
    count is non-negative and floor division is plain integer division.
-#}
{% macro business_microseconds_since_epoch(instant) -%}
    {%- set day_us = 86400000000 -%}
    {%- set week_us = 7 * day_us -%}
    {%- set epoch_weeks_back = 5200 -%}
    {%- set epoch_monday = modules.datetime.date(1970, 1, 5) -%}
    {%- set opens_us = _clock_microseconds(var('business_day_start', '09:00')) | int -%}
    {%- set closes_us = _clock_microseconds(var('business_day_end', '17:00')) | int -%}
    {%- set open_us = [closes_us - opens_us, 0] | max -%}
    {#- Business weekdays as 0 = Monday .. 6 = Sunday, once each. -#}
    {%- set weekdays = [] -%}
    {%- for iso_day in var('business_days', [1, 2, 3, 4, 5]) -%}
        {%- if (iso_day | int) - 1 not in weekdays and 1 <= (iso_day | int) <= 7 -%}
            {%- do weekdays.append((iso_day | int) - 1) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- Holidays that fall on a business weekday, once each, as day numbers since the epoch. -#}
    {%- set holiday_days = [] -%}
    {%- for holiday in var('holidays', []) -%}
        {%- set day = modules.datetime.date.fromisoformat((holiday | string)[:10]) -%}
        {%- set day_number = (day - epoch_monday).days + 7 * epoch_weeks_back -%}
        {%- if day.weekday() in weekdays and day_number not in holiday_days -%}
            {%- do holiday_days.append(day_number) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set wall_us -%}
        ({{ wall_clock_microseconds(to_company_time(instant)) }} + {{ (7 * epoch_weeks_back - 4) * day_us }})
    {%- endset -%}
    {%- set day_number = integer_floor_divide(wall_us, day_us) -%}
    {%- set weeks = integer_floor_divide(wall_us, week_us) -%}
    {%- set in_window -%}
        least(greatest({{ wall_us }} - {{ day_number }} * {{ day_us }} - {{ opens_us }}, 0), {{ open_us }})
    {%- endset -%}
    cast((
        {{ weeks }} * {{ (weekdays | length) * open_us }}
        {%- if weekdays %}
        {#- business days before this one in its week #}
        + case {{ day_number }} - 7 * {{ weeks }}
            {%- for weekday in range(1, 7) %}
            when {{ weekday }} then {{ (weekdays | select('lessthan', weekday) | list | length) * open_us }}
            {%- endfor %}
            else 0
        end
        {#- the part of this day inside the window, on a business day #}
        + case when {{ day_number }} - 7 * {{ weeks }} in ({{ weekdays | join(', ') }})
            then {{ in_window }}
            else 0
        end
        {%- endif %}
        {%- if holiday_days %}
        {#- less the holidays: whole ones before this day, the part of this day if one #}
        - {{ open_us }} * (
            {%- for holiday_day in holiday_days %}
            case when {{ day_number }} > {{ holiday_day }} then 1 else 0 end{{ ' +' if not loop.last }}
            {%- endfor %}
        )
        - case when {{ day_number }} in ({{ holiday_days | join(', ') }})
            then {{ in_window }}
            else 0
        end
        {%- endif %}
    ) as bigint)
{%- endmacro %}

{#- Microseconds since midnight of an "HH:MM" (or "HH:MM:SS") time of day. -#}
{% macro _clock_microseconds(clock) -%}
    {%- set parts = (clock | string).split(':') -%}
    {%- set seconds = (parts[0] | int) * 3600 + (parts[1] | int) * 60
        + ((parts[2] | int) if parts | length > 2 else 0) -%}
    {{- return(seconds * 1000000) -}}
{%- endmacro %}

{#-
    Microseconds since 1970-01-01 00:00 of a wall-clock timestamp (without time zone), as
    a bigint, read as if the wall clock were UTC.
-#}
{% macro wall_clock_microseconds(timestamp_expression) -%}
    {{ return(adapter.dispatch('wall_clock_microseconds', 'sales_tracker')(timestamp_expression)) }}
{%- endmacro %}

{% macro duckdb__wall_clock_microseconds(timestamp_expression) -%}
    epoch_us({{ timestamp_expression }})
{%- endmacro %}

{#- PostgreSQL's `extract(epoch ...)` of a timestamp is an exact numeric with microseconds. -#}
{% macro default__wall_clock_microseconds(timestamp_expression) -%}
    cast(round(extract(epoch from {{ timestamp_expression }}) * 1000000) as bigint)
{%- endmacro %}
