with

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

primary_teams as (

    select
        owner_id,
        team_id,
        team_name,
        row_number() over (partition by owner_id order by is_primary_team desc, team_id) as team_rank

    from {{ ref('stg_crm__owner_teams') }}

),

reps as (

    select
        owners.owner_id as rep_id,
        owners.owner_email as rep_email,
        owners.owner_name as rep_name,
        primary_teams.team_id,
        primary_teams.team_name,
        not owners.is_archived as is_active

    from owners
    left join primary_teams
        on owners.owner_id = primary_teams.owner_id
        and primary_teams.team_rank = 1

)

select * from reps
