{#-
    The rows of a raw table for a staging model's `source` CTE.

    Every source is optional (an unconfigured Stripe, a portal without quotes): a raw
    table dlt never created reads as an empty relation of the columns its source YAML
    declares, so the models built on it are empty instead of failing. The `source()` call
    keeps the lineage either way.
-#}
{% macro raw_table(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- In a unit test, source() is a CTE standing in for the table: read it as it is. -#}
    {%- if execute and not relation.is_cte and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {%- set declared = graph.sources.values()
            | selectattr('source_name', 'equalto', source_name)
            | selectattr('name', 'equalto', table_name)
            | first -%}
        {%- set columns = declared.columns.values() | list -%}
        {%- if not columns or columns | rejectattr('data_type') | list -%}
            {{ exceptions.raise_compiler_error(
                "source " ~ source_name ~ "." ~ table_name ~ " does not exist yet, and its YAML "
                ~ "does not declare every column with a data_type to stand in for it"
            ) }}
        {%- endif -%}
        select
        {%- for column in columns %}
            cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- else -%}
        select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}
