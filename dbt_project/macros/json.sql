{#-
    Raw tables keep nested API payloads as JSON text. These macros read them the same way
    on every target; engine-specific SQL lives only here.
-#}

{#- The text value at `path` (a list of keys) inside the JSON text in `column`. -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'sales_tracker')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ _duckdb_json_path(path) }}')
{%- endmacro %}

{% macro postgres__json_text(column, path) -%}
    (cast({{ column }} as jsonb) #>> '{ {{- path | join(",") -}} }')
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    {{ exceptions.raise_compiler_error("json_text is not implemented for " ~ target.type) }}
{%- endmacro %}

{#-
    A join clause turning each element of the JSON array at `path` in `column` into a row,
    exposed as `<alias>.element` (JSON, readable with json_text). Rows whose array is null or
    empty are dropped, as an inner join would.
-#}
{% macro json_array_elements(column, alias, path=[]) -%}
    {{ return(adapter.dispatch('json_array_elements', 'sales_tracker')(column, alias, path)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements(column, alias, path) -%}
    cross join unnest(
        cast(json_extract({{ column }}, '{{ _duckdb_json_path(path) }}') as json[])
    ) as {{ alias }}(element)
{%- endmacro %}

{% macro postgres__json_array_elements(column, alias, path) -%}
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(cast({{ column }} as jsonb) #> '{ {{- path | join(",") -}} }') = 'array'
                then cast({{ column }} as jsonb) #> '{ {{- path | join(",") -}} }'
            else '[]'::jsonb
        end
    ) as {{ alias }}(element)
{%- endmacro %}

{% macro default__json_array_elements(column, alias, path) -%}
    {{ exceptions.raise_compiler_error("json_array_elements is not implemented for " ~ target.type) }}
{%- endmacro %}

{% macro _duckdb_json_path(path) -%}
    ${% for key in path %}."{{ key }}"{% endfor %}
{%- endmacro %}
