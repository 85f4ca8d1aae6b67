{#- Money as exact decimals: source amounts keep their precision, reported amounts are cents. -#}
{% macro type_source_amount() -%}
    numeric(28, 6)
{%- endmacro %}

{% macro type_money() -%}
    numeric(18, 2)
{%- endmacro %}

{#- Ratios and durations in fractional units. -#}
{% macro type_ratio() -%}
    double precision
{%- endmacro %}
