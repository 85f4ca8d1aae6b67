with

source as (

    {{ raw_table('crm', 'owners') }}

),

renamed as (

    select
        id as owner_id,
        lower(trim(email)) as owner_email,
        first_name,
        last_name,
        nullif(trim(concat(concat(coalesce(first_name, ''), ' '), coalesce(last_name, ''))), '')
            as owner_name,
        type as owner_type,
        coalesce(archived, false) as is_archived,
        created_at,
        updated_at

    from source

)

select * from renamed
