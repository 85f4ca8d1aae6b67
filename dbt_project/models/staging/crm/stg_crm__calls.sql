with

source as (

    {{ raw_table('crm', 'calls') }}

),

renamed as (

    select
        id as call_id,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        {{ crm_timestamp('hs_timestamp') }} as activity_at,
        upper({{ crm_property('hs_call_direction') }}) as call_direction,
        {{ crm_property('hs_call_disposition') }} as disposition_id,
        upper({{ crm_property('hs_call_status') }}) as call_status,
        {{ crm_property('hs_call_title') }} as call_title,
        {{ crm_integer('hs_call_duration') }} as call_duration_ms,
        coalesce({{ crm_timestamp('createdate') }}, created_at) as call_created_at,
        updated_at,
        coalesce(archived, false) as is_archived,
        archived_at

    from source

)

select * from renamed
