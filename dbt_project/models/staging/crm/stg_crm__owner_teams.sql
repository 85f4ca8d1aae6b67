with

owners as (

    {{ raw_table('crm', 'owners') }}

),

memberships as (

    select
        owners.id as owner_id,
        {{ json_text('team.element', ['id']) }} as team_id,
        {{ json_text('team.element', ['name']) }} as team_name,
        coalesce({{ json_text('team.element', ['primary']) }} = 'true', false) as is_primary_team

    from owners
    {{ json_array_elements('owners.teams', 'team') }}

)

select * from memberships
