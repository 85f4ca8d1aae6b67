{#-
    Unix seconds (an integer, or its text as read from a JSON payload such as Stripe's
    `status_transitions`) as an instant, a timestamp with time zone in UTC.
-#}
{% macro unix_seconds_to_timestamp(expression) -%}
    {{ return(adapter.dispatch('unix_seconds_to_timestamp', 'sales_tracker')(expression)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL both read `to_timestamp(double)` as seconds since the epoch, UTC. -#}
{% macro default__unix_seconds_to_timestamp(expression) -%}
    to_timestamp(cast(cast({{ expression }} as bigint) as double precision))
{%- endmacro %}
