{#-
    The CRM keeps only each owner's teams of today: this snapshot records every change of
    an owner's primary team from the first run on (dbt's check strategy on team_id and
    team_name), so that team history the CRM forgets is kept. `captured_at` is when a
    version was first seen, an instant (UTC) on every target: dbt's own dbt_valid_from is
    a timestamp without time zone in the session's zone.
-#}
{% snapshot snap_crm__owner_teams %}

{{ config(
    schema='snapshots',
    unique_key='owner_id',
    strategy='check',
    check_cols=['team_id', 'team_name'],
) }}

with

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

owner_teams as (

    select * from {{ ref('stg_crm__owner_teams') }}

),

ranked_teams as (

    select
        owner_id,
        team_id,
        team_name,
        -- The primary team; an owner without one is counted in their lowest team id.
        row_number() over (
            partition by owner_id
            order by is_primary_team desc, team_id
        ) as team_rank

    from owner_teams

),

primary_teams as (

    select
        owners.owner_id,
        ranked_teams.team_id,
        ranked_teams.team_name,
        cast({{ dbt.current_timestamp() }} as {{ type_timestamp_tz() }}) as captured_at

    from owners
    left join ranked_teams
        on owners.owner_id = ranked_teams.owner_id
        and ranked_teams.team_rank = 1

)

select * from primary_teams

{% endsnapshot %}
