{#-
    Mean and median of money amounts, exact to the cent and rounded half up, on every
    engine: computed on integer cents, because DuckDB averages decimals as doubles and
    would round a mean of 100.015 down.
-#}
{% macro mean_money(expression) -%}
    cast(
        floor((2 * sum(round({{ expression }} * 100)) + count({{ expression }}))
            / (2.0 * nullif(count({{ expression }}), 0)))
        / 100.0
        as {{ type_money() }}
    )
{%- endmacro %}

{#- The median of whole cents is whole or half a cent; as a double, both are exact. -#}
{% macro median_money(expression) -%}
    {%- set cents = 'cast(round(' ~ expression ~ ' * 100) as ' ~ type_ratio() ~ ')' -%}
    cast(floor({{ median(cents) }} + 0.5) / 100.0 as {{ type_money() }})
{%- endmacro %}
