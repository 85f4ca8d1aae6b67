with

source as (

    {{ raw_table('crm', 'tasks') }}

),

renamed as (

    select
        id as task_id,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        {{ crm_timestamp('hs_timestamp') }} as activity_at,
        {{ crm_property('hs_task_subject') }} as task_subject,
        upper({{ crm_property('hs_task_type') }}) as task_type,
        upper({{ crm_property('hs_task_status') }}) as task_status,
        coalesce(upper({{ crm_property('hs_task_status') }}) = 'COMPLETED', false) as is_completed,
        {{ crm_timestamp('hs_task_completion_date') }} as completed_at,
        coalesce({{ crm_timestamp('createdate') }}, created_at) as task_created_at,
        updated_at,
        coalesce(archived, false) as is_archived,
        archived_at

    from source

)

select * from renamed
