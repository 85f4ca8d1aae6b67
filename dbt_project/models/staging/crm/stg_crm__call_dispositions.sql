with

source as (

    {{ raw_table('crm', 'call_dispositions') }}

),

renamed as (

    select
        id as disposition_id,
        label as disposition_label,
        -- HubSpot cannot archive a call outcome: kept for the uniform soft-delete interface
        false as is_archived

    from source

)

select * from renamed
