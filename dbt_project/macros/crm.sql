{#-
    Shared SQL for the HubSpot CRM staging models. Every CRM object lands with its
    `properties`, `properties_with_history` and `associations` as JSON text.
-#}

{#- A CRM property's current value as text, null when unset or empty. -#}
{% macro crm_property(property_name, column='properties') -%}
    nullif({{ json_text(column, [property_name]) }}, '')
{%- endmacro %}

{#- A CRM number property (validated at ingestion) as an exact decimal. -#}
{% macro crm_number(property_name, column='properties') -%}
    cast({{ crm_property(property_name, column) }} as {{ type_source_amount() }})
{%- endmacro %}

{#- A CRM whole-number property; a fractional value rounds half away from zero. -#}
{% macro crm_integer(property_name, column='properties') -%}
    cast({{ crm_number(property_name, column) }} as bigint)
{%- endmacro %}

{#- A CRM date-time property (ISO 8601, validated at ingestion) as an instant. -#}
{% macro crm_timestamp(property_name, column='properties') -%}
    {{ iso_timestamp(json_text(column, [property_name])) }}
{%- endmacro %}

{#-
    A CRM date property as the calendar date it names: the first ten characters of its
    ISO 8601 text, so that no session time zone shifts it.
-#}
{% macro crm_date(property_name, column='properties') -%}
    cast(substr({{ crm_property(property_name, column) }}, 1, 10) as date)
{%- endmacro %}

{#-
    The union of one select per tracked property: each change recorded in
    `propertiesWithHistory`, for the CRM objects in `relation` (a CTE with HubSpot's record
    columns). Columns: `<object_id_column>`, property_name, property_value, changed_at,
    change_source, is_archived. An entry repeated verbatim in the payload carries no extra
    information and is kept once.
-#}
{% macro crm_property_history(relation, object_id_column, tracked_properties) -%}
    {%- for property_name in tracked_properties %}
    select distinct
        {{ relation }}.id as {{ object_id_column }},
        '{{ property_name }}' as property_name,
        {{ json_text('change.element', ['value']) }} as property_value,
        {{ iso_timestamp(json_text('change.element', ['timestamp'])) }} as changed_at,
        {{ json_text('change.element', ['sourceType']) }} as change_source,
        coalesce({{ relation }}.archived, false) as is_archived

    from {{ relation }}
    {{ json_array_elements(relation ~ '.properties_with_history', 'change', [property_name]) }}
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The key of one property change: a hash of object, property, time and value. -#}
{% macro crm_property_change_id(object_id_column) -%}
    {{ dbt.hash(dbt.concat([
        object_id_column, "'|'", 'property_name', "'|'",
        dbt.cast('changed_at', api.Column.translate_type('string')), "'|'",
        "coalesce(property_value, '')",
    ])) }}
{%- endmacro %}

{#-
    The objects of type `to_object_type` (a key of HubSpot's `associations`, e.g.
    `companies`) linked from each object in `relation`: one row per link, with
    `<from_id_column>`, `<to_id_column>` and `association_type`. Rows without links are
    dropped, as an inner join would.
-#}
{% macro crm_association_links(relation, to_object_type, from_id_column, to_id_column) -%}
    select
        {{ relation }}.id as {{ from_id_column }},
        {{ json_text('link.element', ['id']) }} as {{ to_id_column }},
        {{ json_text('link.element', ['type']) }} as association_type

    from {{ relation }}
    {{ json_array_elements(relation ~ '.associations', 'link', [to_object_type, 'results']) }}
{%- endmacro %}

{#-
    Orders the links of one object so that the first is the one to keep: a labeled
    association (HubSpot's primary, e.g. `contact_to_company`) before an `..._unlabeled`
    one, then by association type and id, so the choice is deterministic.
-#}
{% macro crm_association_preference(to_id_column) -%}
    case when association_type like '%unlabeled%' then 1 else 0 end,
    association_type nulls last,
    {{ to_id_column }}
{%- endmacro %}

{#-
    A join clause turning each key of the JSON object in `column` into a row, exposed as
    `<alias>.key` (text) and `<alias>.value` (JSON, readable with json_text and
    json_array_elements). Rows whose value is null or not an object are dropped.
-#}
{% macro json_object_entries(column, alias) -%}
    {{ return(adapter.dispatch('json_object_entries', 'sales_tracker')(column, alias)) }}
{%- endmacro %}

{% macro duckdb__json_object_entries(column, alias) -%}
    cross join json_each(
        case when json_type(cast({{ column }} as json)) = 'OBJECT' then cast({{ column }} as json) end
    ) as {{ alias }}
{%- endmacro %}

{% macro postgres__json_object_entries(column, alias) -%}
    cross join lateral jsonb_each(
        case
            when jsonb_typeof(cast({{ column }} as jsonb)) = 'object' then cast({{ column }} as jsonb)
            else '{}'::jsonb
        end
    ) as {{ alias }}(key, value)
{%- endmacro %}

{% macro default__json_object_entries(column, alias) -%}
    {{ exceptions.raise_compiler_error("json_object_entries is not implemented for " ~ target.type) }}
{%- endmacro %}
