{#- Shared SQL for the deal-history models (stage stays, owner periods, "as of" lookups). -#}

{#-
    Whole microseconds elapsed from one instant to a later one, exact on every engine
    (DuckDB's `extract(epoch ...)` is a double and loses the last digits).
-#}
{% macro elapsed_microseconds(start_instant, end_instant) -%}
    {{ return(adapter.dispatch('elapsed_microseconds', 'sales_tracker')(start_instant, end_instant)) }}
{%- endmacro %}

{% macro duckdb__elapsed_microseconds(start_instant, end_instant) -%}
    (epoch_us({{ end_instant }}) - epoch_us({{ start_instant }}))
{%- endmacro %}

{#- PostgreSQL's `extract(epoch ...)` is an exact numeric with microseconds. -#}
{% macro default__elapsed_microseconds(start_instant, end_instant) -%}
    cast(round(
        (extract(epoch from {{ end_instant }}) - extract(epoch from {{ start_instant }})) * 1000000
    ) as bigint)
{%- endmacro %}

{#-
    Fractional days elapsed from one instant to a later one, as a double: exact elapsed
    microseconds over 86,400,000,000 (the same double on every engine), so that no engine
    rounds to whole units as `datediff` does (stack-notes.md).
-#}
{% macro elapsed_days_between(start_instant, end_instant) -%}
    (cast({{ elapsed_microseconds(start_instant, end_instant) }} as {{ type_ratio() }})
        / cast(86400000000 as {{ type_ratio() }}))
{%- endmacro %}

{#-
    The condition "`instant` falls in the period [valid_from, valid_to)" of the relation
    alias `period` (valid_to null: still current).
-#}
{% macro instant_in_period(instant, period) -%}
    {{ instant }} >= {{ period }}.valid_from
    and ({{ instant }} < {{ period }}.valid_to or {{ period }}.valid_to is null)
{%- endmacro %}

{#- The key of a pipeline stage in dim_stage: a hash of pipeline and stage ids. -#}
{% macro deal_stage_key(pipeline_id_column, stage_id_column) -%}
    {{ dbt.hash(dbt.concat([
        "coalesce(" ~ pipeline_id_column ~ ", '')", "'|'", "coalesce(" ~ stage_id_column ~ ", '')",
    ])) }}
{%- endmacro %}

{#- A lead source value as stored in the dims and facts: trimmed, lower case, null if empty. -#}
{% macro normalized_lead_source(expression) -%}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}

{#-
    The company date an instant falls on, 9999-12-31 for a null one: the end of a period
    or a stay that is still current.
-#}
{% macro company_date_or_still_current(instant) -%}
    coalesce({{ company_date(instant) }}, cast('9999-12-31' as date))
{%- endmacro %}

{#-
    A history period (int_deal_property_periods, int_deal_owner_history) as the company
    dates of its two ends, `from_date` and `to_date`, for reading a deal's state by day. The
    first recorded value also holds before its change, as fct_deal_stage_events reads the
    owner at a stage entry, so its from_date is 1900-01-01.
-#}
{% macro period_company_dates() -%}
    case
        when period_number = 1 then cast('1900-01-01' as date)
        else {{ company_date('valid_from') }}
    end as from_date,
    {{ company_date_or_still_current('valid_to') }} as to_date
{%- endmacro %}
