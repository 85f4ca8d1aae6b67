with

source as (

    {{ raw_table('files', 'rep_roster') }}

),

renamed as (

    select
        lower(trim(rep_email)) as rep_email,
        nullif(trim(rep_id), '') as rep_id,
        team_name,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        valid_to is null as is_current

    from source

)

select * from renamed
