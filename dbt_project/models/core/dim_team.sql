{#-
    One row per team: the CRM teams (today's and those the owner-team snapshot saw), and
    the teams only the rep roster names, keyed by `roster:` + their lower-cased name
    (the key int_rep_team_history gives them). A team's name is its CRM name of today,
    else the latest the snapshot captured, else the roster's.
-#}

with

owner_teams as (

    select * from {{ ref('stg_crm__owner_teams') }}

),

owner_team_snapshots as (

    select * from {{ ref('snap_crm__owner_teams') }}

),

team_history as (

    select * from {{ ref('int_rep_team_history') }}

),

team_names as (

    select distinct
        team_id,
        team_name,
        1 as source_rank,
        cast(null as {{ type_timestamp_tz() }}) as named_at,
        cast(null as date) as named_on

    from owner_teams
    where team_id is not null

    union all

    select
        team_id,
        team_name,
        2 as source_rank,
        captured_at as named_at,
        cast(null as date) as named_on

    from owner_team_snapshots
    where team_id is not null

    union all

    select
        team_id,
        team_name,
        3 as source_rank,
        cast(null as {{ type_timestamp_tz() }}) as named_at,
        valid_from as named_on

    from team_history
    where team_id is not null

),

ranked as (

    select
        team_id,
        team_name,
        source_rank,
        row_number() over (
            partition by team_id
            order by source_rank, named_at desc nulls last, named_on desc nulls last, team_name
        ) as name_rank

    from team_names

),

final as (

    select
        team_id,
        team_name,
        source_rank < 3 as is_crm_team

    from ranked
    where name_rank = 1

)

select * from final
