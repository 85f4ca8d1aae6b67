with

source as (

    {{ raw_table('crm', 'notes') }}

),

renamed as (

    select
        id as note_id,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        {{ crm_timestamp('hs_timestamp') }} as activity_at,
        {{ crm_property('hs_note_body') }} as note_body,
        coalesce({{ crm_timestamp('createdate') }}, created_at) as note_created_at,
        updated_at,
        coalesce(archived, false) as is_archived,
        archived_at

    from source

)

select * from renamed
