{#-
    Meeting types (HubSpot's portal-defined `hs_activity_type`) that count as in-person
    visits; compared case-insensitively.
-#}
{%- set in_person_types = var('crm_in_person_meeting_types', ['In-person Visit']) -%}

with

source as (

    {{ raw_table('crm', 'meetings') }}

),

renamed as (

    select
        id as meeting_id,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        {{ crm_timestamp('hs_timestamp') }} as activity_at,
        {{ crm_property('hs_meeting_title') }} as meeting_title,
        {{ crm_property('hs_activity_type') }} as meeting_type,
        {{ crm_property('hs_meeting_location') }} as meeting_location,
        {{ crm_timestamp('hs_meeting_start_time') }} as meeting_start_at,
        {{ crm_timestamp('hs_meeting_end_time') }} as meeting_end_at,
        upper({{ crm_property('hs_meeting_outcome') }}) as meeting_outcome,
        coalesce(
            lower({{ crm_property('hs_activity_type') }}) in (
                {%- for meeting_type in in_person_types %}
                '{{ meeting_type | lower }}'{{ "," if not loop.last }}
                {%- endfor %}
            ),
            false
        ) as is_in_person,
        coalesce({{ crm_timestamp('createdate') }}, created_at) as meeting_created_at,
        updated_at,
        coalesce(archived, false) as is_archived,
        archived_at

    from source

)

select * from renamed
