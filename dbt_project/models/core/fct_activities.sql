{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{#-
    One row per activity a rep logged in the CRM: calls, meetings, notes and tasks. The
    CRM's logged emails are left out on purpose (docs/decisions.md "CRM email engagements
    are not counted": email measures count the mail stores).
    - activity_id: '<type>:<CRM id>' (HubSpot ids are unique per object type only).
    - rep_id: the activity's owner (`hubspot_owner_id`), who did it.
    - contact, company, deal: the associated record of each type, either direction of the
      link, a labeled association before an `..._unlabeled` one, then the lowest id; the
      company falls back on the contact's primary company.
    - counted_date: the company-time day the activity counts on in per-day measures, its
      activity_date, but a task's completion date (a task counts when completed; an open
      task has none).
    Incremental: each run re-reads the source rows of each type modified
    (`hs_lastmodifieddate`, else created) since the latest already loaded of that type,
    and replaces them by key. A link or a disposition label that changes without touching
    the activity, or a record purged from the raw tables, needs a --full-refresh.
-#}

{%- set epoch = "cast('1970-01-01 00:00:00+00' as " ~ type_timestamp_tz() ~ ")" -%}
{%- set connected_labels = call_connected_dispositions() -%}

with

calls as (

    select * from {{ ref('stg_crm__calls') }}
    {% if is_incremental() %}
    where coalesce(updated_at, call_created_at) >= (
        select coalesce(max(source_updated_at), {{ epoch }})
        from {{ this }}
        where activity_type = 'call'
    )
    {% endif %}

),

meetings as (

    select * from {{ ref('stg_crm__meetings') }}
    {% if is_incremental() %}
    where coalesce(updated_at, meeting_created_at) >= (
        select coalesce(max(source_updated_at), {{ epoch }})
        from {{ this }}
        where activity_type = 'meeting'
    )
    {% endif %}

),

notes as (

    select * from {{ ref('stg_crm__notes') }}
    {% if is_incremental() %}
    where coalesce(updated_at, note_created_at) >= (
        select coalesce(max(source_updated_at), {{ epoch }})
        from {{ this }}
        where activity_type = 'note'
    )
    {% endif %}

),

tasks as (

    select * from {{ ref('stg_crm__tasks') }}
    {% if is_incremental() %}
    where coalesce(updated_at, task_created_at) >= (
        select coalesce(max(source_updated_at), {{ epoch }})
        from {{ this }}
        where activity_type = 'task'
    )
    {% endif %}

),

dispositions as (

    select * from {{ ref('stg_crm__call_dispositions') }}

),

associations as (

    select * from {{ ref('stg_crm__associations') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

call_activities as (

    select
        'call' as activity_type,
        calls.call_id as crm_activity_id,
        calls.owner_id,
        calls.activity_at,
        calls.call_title as activity_title,
        calls.call_direction,
        calls.call_status,
        calls.disposition_id,
        dispositions.disposition_label,
        coalesce(
            lower(trim(dispositions.disposition_label)) in {{ lower_literal_list(connected_labels) }},
            false
        ) as is_connected,
        calls.call_duration_ms,
        cast(null as {{ dbt.type_string() }}) as meeting_type,
        cast(null as {{ dbt.type_string() }}) as meeting_outcome,
        cast(null as {{ type_timestamp_tz() }}) as meeting_start_at,
        cast(null as {{ type_timestamp_tz() }}) as meeting_end_at,
        false as is_visit,
        cast(null as {{ dbt.type_string() }}) as task_type,
        cast(null as {{ dbt.type_string() }}) as task_status,
        false as is_completed,
        cast(null as {{ type_timestamp_tz() }}) as completed_at,
        calls.call_created_at as created_at,
        coalesce(calls.updated_at, calls.call_created_at) as source_updated_at,
        calls.is_archived,
        calls.archived_at

    from calls
    left join dispositions
        on calls.disposition_id = dispositions.disposition_id

),

meeting_activities as (

    select
        'meeting' as activity_type,
        meeting_id as crm_activity_id,
        owner_id,
        activity_at,
        meeting_title as activity_title,
        cast(null as {{ dbt.type_string() }}) as call_direction,
        cast(null as {{ dbt.type_string() }}) as call_status,
        cast(null as {{ dbt.type_string() }}) as disposition_id,
        cast(null as {{ dbt.type_string() }}) as disposition_label,
        false as is_connected,
        cast(null as bigint) as call_duration_ms,
        meeting_type,
        meeting_outcome,
        meeting_start_at,
        meeting_end_at,
        is_in_person as is_visit,
        cast(null as {{ dbt.type_string() }}) as task_type,
        cast(null as {{ dbt.type_string() }}) as task_status,
        false as is_completed,
        cast(null as {{ type_timestamp_tz() }}) as completed_at,
        meeting_created_at as created_at,
        coalesce(updated_at, meeting_created_at) as source_updated_at,
        is_archived,
        archived_at

    from meetings

),

note_activities as (

    select
        'note' as activity_type,
        note_id as crm_activity_id,
        owner_id,
        activity_at,
        cast(null as {{ dbt.type_string() }}) as activity_title,
        cast(null as {{ dbt.type_string() }}) as call_direction,
        cast(null as {{ dbt.type_string() }}) as call_status,
        cast(null as {{ dbt.type_string() }}) as disposition_id,
        cast(null as {{ dbt.type_string() }}) as disposition_label,
        false as is_connected,
        cast(null as bigint) as call_duration_ms,
        cast(null as {{ dbt.type_string() }}) as meeting_type,
        cast(null as {{ dbt.type_string() }}) as meeting_outcome,
        cast(null as {{ type_timestamp_tz() }}) as meeting_start_at,
        cast(null as {{ type_timestamp_tz() }}) as meeting_end_at,
        false as is_visit,
        cast(null as {{ dbt.type_string() }}) as task_type,
        cast(null as {{ dbt.type_string() }}) as task_status,
        false as is_completed,
        cast(null as {{ type_timestamp_tz() }}) as completed_at,
        note_created_at as created_at,
        coalesce(updated_at, note_created_at) as source_updated_at,
        is_archived,
        archived_at

    from notes

),

task_activities as (

    select
        'task' as activity_type,
        task_id as crm_activity_id,
        owner_id,
        activity_at,
        task_subject as activity_title,
        cast(null as {{ dbt.type_string() }}) as call_direction,
        cast(null as {{ dbt.type_string() }}) as call_status,
        cast(null as {{ dbt.type_string() }}) as disposition_id,
        cast(null as {{ dbt.type_string() }}) as disposition_label,
        false as is_connected,
        cast(null as bigint) as call_duration_ms,
        cast(null as {{ dbt.type_string() }}) as meeting_type,
        cast(null as {{ dbt.type_string() }}) as meeting_outcome,
        cast(null as {{ type_timestamp_tz() }}) as meeting_start_at,
        cast(null as {{ type_timestamp_tz() }}) as meeting_end_at,
        false as is_visit,
        task_type,
        task_status,
        is_completed,
        -- A completed task without a completion date was completed at its last change.
        case
            when is_completed then coalesce(completed_at, updated_at)
            else completed_at
        end as completed_at,
        task_created_at as created_at,
        coalesce(updated_at, task_created_at) as source_updated_at,
        is_archived,
        archived_at

    from tasks

),

activities as (

    select * from call_activities
    union all
    select * from meeting_activities
    union all
    select * from note_activities
    union all
    select * from task_activities

),

activity_links as (

    -- Either direction of a link; the CRM types of activities are plural ('calls').
    select
        from_object_type as activity_object_type,
        from_id as crm_activity_id,
        to_object_type as linked_object_type,
        to_id as linked_id,
        association_type

    from associations
    where from_object_type in ('calls', 'meetings', 'notes', 'tasks')
        and to_object_type in ('contacts', 'companies', 'deals')

    union all

    select
        to_object_type as activity_object_type,
        to_id as crm_activity_id,
        from_object_type as linked_object_type,
        from_id as linked_id,
        association_type

    from associations
    where to_object_type in ('calls', 'meetings', 'notes', 'tasks')
        and from_object_type in ('contacts', 'companies', 'deals')

),

ranked_links as (

    select
        case activity_object_type
            when 'calls' then 'call'
            when 'meetings' then 'meeting'
            when 'notes' then 'note'
            when 'tasks' then 'task'
        end as activity_type,
        crm_activity_id,
        linked_object_type,
        linked_id,
        row_number() over (
            partition by activity_object_type, crm_activity_id, linked_object_type
            order by
                case when association_type like '%unlabeled%' then 1 else 0 end,
                linked_id
        ) as link_rank

    from activity_links

),

first_links as (

    select
        activity_type,
        crm_activity_id,
        max(case when linked_object_type = 'contacts' then linked_id end) as contact_id,
        max(case when linked_object_type = 'companies' then linked_id end) as company_id,
        max(case when linked_object_type = 'deals' then linked_id end) as deal_id

    from ranked_links
    where link_rank = 1
    group by activity_type, crm_activity_id

),

final as (

    select
        {{ dbt.concat(["activities.activity_type", "':'", "activities.crm_activity_id"]) }}
            as activity_id,
        activities.activity_type,
        activities.crm_activity_id,
        activities.owner_id as rep_id,
        activities.activity_at,
        {{ company_date('activities.activity_at') }} as activity_date,
        case
            when activities.activity_type = 'task' then
                case when activities.is_completed then {{ company_date('activities.completed_at') }} end
            else {{ company_date('activities.activity_at') }}
        end as counted_date,
        first_links.contact_id,
        coalesce(first_links.company_id, contacts.company_id) as company_id,
        first_links.deal_id,
        activities.activity_title,
        activities.call_direction,
        activities.call_status,
        activities.disposition_id,
        activities.disposition_label,
        activities.is_connected,
        activities.call_duration_ms,
        cast(activities.call_duration_ms as {{ type_ratio() }}) / 1000.0 as call_duration_seconds,
        activities.meeting_type,
        activities.meeting_outcome,
        activities.meeting_start_at,
        activities.meeting_end_at,
        activities.is_visit,
        activities.task_type,
        activities.task_status,
        activities.is_completed,
        activities.completed_at,
        {{ company_date('activities.completed_at') }} as completed_date,
        activities.created_at,
        activities.source_updated_at,
        activities.is_archived,
        activities.archived_at

    from activities
    left join first_links
        on activities.activity_type = first_links.activity_type
        and activities.crm_activity_id = first_links.crm_activity_id
    left join contacts
        on first_links.contact_id = contacts.contact_id

)

select * from final
