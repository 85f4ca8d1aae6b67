{#- Every CRM object type whose records embed their associations (products have none). -#}
{%- set object_types = [
    'contacts',
    'companies',
    'deals',
    'calls',
    'meetings',
    'notes',
    'tasks',
    'emails',
    'line_items',
    'quotes',
] -%}

with

{% for object_type in object_types %}
{{ object_type }} as (

    {{ raw_table('crm', object_type) }}

),

{% endfor %}
links as (

    {% for object_type in object_types %}
    select
        '{{ object_type }}' as from_object_type,
        {{ object_type }}.id as from_id,
        -- the API names the associated type in the plural; older APIs wrote `line items`
        replace(lower(linked_type.key), ' ', '_') as to_object_type,
        {{ json_text('link.element', ['id']) }} as to_id,
        {{ json_text('link.element', ['type']) }} as association_type,
        coalesce({{ object_type }}.archived, false) as is_archived

    from {{ object_type }}
    {{ json_object_entries(object_type ~ '.associations', 'linked_type') }}
    {{ json_array_elements('linked_type.value', 'link', ['results']) }}
    {% if not loop.last %}
    union all
    {% endif %}
    {% endfor %}

),

ranked as (

    select
        *,
        -- the same pair can come twice (a labeled and an unlabeled association type)
        row_number() over (
            partition by from_object_type, from_id, to_object_type, to_id
            order by {{ crm_association_preference('to_id') }}
        ) as link_rank

    from links
    where to_id is not null

),

deduplicated as (

    select
        from_object_type,
        from_id,
        to_object_type,
        to_id,
        association_type,
        is_archived

    from ranked
    where link_rank = 1

)

select * from deduplicated
