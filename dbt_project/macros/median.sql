{#- The median of `expression` as an aggregate, interpolating between the two middle values. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'sales_tracker')(expression)) }}
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}
