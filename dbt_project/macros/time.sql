{#- The data type of an instant: a timestamp with time zone (stored as UTC). -#}
{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz', 'sales_tracker')()) }}
{%- endmacro %}

{% macro default__type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{#- An ISO 8601 text (validated at ingestion) as an instant. -#}
{% macro iso_timestamp(expression) -%}
    cast(nullif({{ expression }}, '') as {{ type_timestamp_tz() }})
{%- endmacro %}

{#- The wall-clock time of an instant in the company time zone, where periods are cut. -#}
{% macro to_company_time(expression) -%}
    {{ return(adapter.dispatch('to_company_time', 'sales_tracker')(expression)) }}
{%- endmacro %}

{% macro default__to_company_time(expression) -%}
    ({{ expression }} at time zone '{{ var("company_timezone") }}')
{%- endmacro %}

{#- The company-time calendar date of an instant. -#}
{% macro company_date(expression) -%}
    cast({{ to_company_time(expression) }} as date)
{%- endmacro %}

{#- The first day of the company-time month of a date. -#}
{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}
