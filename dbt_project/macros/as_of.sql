{#- The company-time date open items are reported as of: the `as_of_date` var, else today. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', '') -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        {{ company_date(dbt.current_timestamp()) }}
    {%- endif -%}
{%- endmacro %}
