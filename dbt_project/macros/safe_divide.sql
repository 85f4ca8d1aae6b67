{#- numerator / denominator as a ratio, null where the denominator is zero or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_ratio() }}) / nullif(cast({{ denominator }} as {{ type_ratio() }}), 0)
{%- endmacro %}
