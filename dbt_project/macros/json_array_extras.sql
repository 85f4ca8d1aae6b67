{#-
    More readers of JSON text arrays (nested payloads such as a message's address and
    reference lists), beside those in json.sql; engine-specific SQL lives only here.
-#}

{#- The number of elements (an integer) of the JSON array at `path` in `column`; 0 when it is null or not an array. -#}
{% macro json_array_size(column, path=[]) -%}
    {{ return(adapter.dispatch('json_array_size', 'sales_tracker')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_array_size(column, path) -%}
    cast(coalesce(json_array_length({{ column }}, '{{ _duckdb_json_path(path) }}'), 0) as integer)
{%- endmacro %}

{% macro postgres__json_array_size(column, path) -%}
    cast(coalesce(jsonb_array_length(
        case
            when jsonb_typeof(cast({{ column }} as jsonb) #> '{ {{- path | join(",") -}} }') = 'array'
                then cast({{ column }} as jsonb) #> '{ {{- path | join(",") -}} }'
        end
    ), 0) as integer)
{%- endmacro %}

{% macro default__json_array_size(column, path) -%}
    {{ exceptions.raise_compiler_error("json_array_size is not implemented for " ~ target.type) }}
{%- endmacro %}

{#-
    The text value of element `index` (0-based; negative counts from the end, -1 is the
    last) of the JSON array in `column`; null when there is no such element.
-#}
{% macro json_array_item_text(column, index) -%}
    {{ return(adapter.dispatch('json_array_item_text', 'sales_tracker')(column, index)) }}
{%- endmacro %}

{% macro duckdb__json_array_item_text(column, index) -%}
    {%- set position = index if index >= 0 else '#' ~ index -%}
    json_extract_string({{ column }}, '$[{{ position }}]')
{%- endmacro %}

{% macro postgres__json_array_item_text(column, index) -%}
    (cast({{ column }} as jsonb) ->> {{ index }})
{%- endmacro %}

{% macro default__json_array_item_text(column, index) -%}
    {{ exceptions.raise_compiler_error("json_array_item_text is not implemented for " ~ target.type) }}
{%- endmacro %}

{#-
    Like json_array_elements (json.sql): a join clause turning each element of the JSON
    array at `path` in `column` into a row, exposed as `<alias>.element` (JSON, readable
    with json_text), plus `<alias>.position`, the element's 1-based place in the array.
    Rows whose array is null or empty are dropped, as an inner join would.
-#}
{% macro json_array_elements_ordered(column, alias, path=[]) -%}
    {{ return(adapter.dispatch('json_array_elements_ordered', 'sales_tracker')(column, alias, path)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements_ordered(column, alias, path) -%}
    cross join unnest(
        cast(json_extract({{ column }}, '{{ _duckdb_json_path(path) }}') as json[])
    ) with ordinality as {{ alias }}(element, position)
{%- endmacro %}

{% macro postgres__json_array_elements_ordered(column, alias, path) -%}
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(cast({{ column }} as jsonb) #> '{ {{- path | join(",") -}} }') = 'array'
                then cast({{ column }} as jsonb) #> '{ {{- path | join(",") -}} }'
            else '[]'::jsonb
        end
    ) with ordinality as {{ alias }}(element, position)
{%- endmacro %}

{% macro default__json_array_elements_ordered(column, alias, path) -%}
    {{ exceptions.raise_compiler_error("json_array_elements_ordered is not implemented for " ~ target.type) }}
{%- endmacro %}
