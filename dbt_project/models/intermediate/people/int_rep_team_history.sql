{#-
    Each rep's team over time (SCD2): one row per rep and validity interval, `valid_to`
    exclusive. Per rep, one source of history, in this order of precedence:
    1. the HR rep roster (stg_files__rep_roster), whenever it lists the rep: it is the
       only source that knows the past, so its spells are taken as they are;
    2. else the snapshot of the CRM owner teams (snap_crm__owner_teams): a new interval at
       every captured change of the primary team, the first captured team held since the
       owner was created (nothing older is known);
    3. else, for an owner the snapshot has not seen yet, today's primary team in the CRM,
       held since the owner was created.
-#}

{%- set floor_date = "cast('1900-01-01' as date)" -%}

with

roster as (

    select * from {{ ref('stg_files__rep_roster') }}

),

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

owner_teams as (

    select * from {{ ref('stg_crm__owner_teams') }}

),

owner_team_snapshots as (

    select * from {{ ref('snap_crm__owner_teams') }}

),

owners_by_email as (

    select
        owner_email,
        owner_id,
        -- An address shared by two owners resolves to the active one, then the lowest id.
        row_number() over (
            partition by owner_email
            order by is_archived, owner_id
        ) as owner_rank

    from owners
    where owner_email is not null

),

crm_team_names as (

    select
        team_id,
        team_name

    from owner_teams
    where team_id is not null

    union

    select
        team_id,
        team_name

    from owner_team_snapshots
    where team_id is not null

),

team_ids_by_name as (

    -- The roster names teams; the CRM id of a team of that name (case-insensitive).
    select
        lower(trim(team_name)) as team_name_key,
        min(team_id) as team_id

    from crm_team_names
    group by lower(trim(team_name))

),

roster_spells as (

    select
        -- The roster's owner id, else the CRM owner with the roster's address.
        coalesce(roster.rep_id, owners_by_email.owner_id) as rep_id,
        roster.team_name,
        roster.valid_from,
        roster.valid_to

    from roster
    left join owners_by_email
        on roster.rep_email = owners_by_email.owner_email
        and owners_by_email.owner_rank = 1

),

roster_history as (

    select
        roster_spells.rep_id,
        -- A team only the roster knows gets a stable key made from its name.
        coalesce(
            team_ids_by_name.team_id,
            {{ dbt.concat(["'roster:'", 'lower(trim(roster_spells.team_name))']) }}
        ) as team_id,
        roster_spells.team_name,
        roster_spells.valid_from,
        roster_spells.valid_to,
        'roster' as history_source

    from roster_spells
    left join team_ids_by_name
        on lower(trim(roster_spells.team_name)) = team_ids_by_name.team_name_key
    -- A roster line that names no CRM owner (no id, unknown address) cannot be keyed.
    where roster_spells.rep_id is not null

),

roster_reps as (

    select distinct rep_id from roster_history

),

crm_owners as (

    select
        owner_id,
        coalesce({{ company_date('created_at') }}, {{ floor_date }}) as created_date,
        -- The CRM records no departure date: an archived owner's last update stands for it.
        case when is_archived then {{ company_date('updated_at') }} end as archived_date

    from owners
    where owner_id not in (select rep_id from roster_reps)

),

snapshot_versions as (

    select
        owner_team_snapshots.owner_id,
        owner_team_snapshots.team_id,
        owner_team_snapshots.team_name,
        {{ company_date('owner_team_snapshots.captured_at') }} as captured_date,
        owner_team_snapshots.captured_at,
        'crm_snapshot' as history_source

    from owner_team_snapshots
    inner join crm_owners
        on owner_team_snapshots.owner_id = crm_owners.owner_id

),

ranked_owner_teams as (

    select
        owner_id,
        team_id,
        team_name,
        row_number() over (
            partition by owner_id
            order by is_primary_team desc, team_id
        ) as team_rank

    from owner_teams

),

current_versions as (

    select
        crm_owners.owner_id,
        ranked_owner_teams.team_id,
        ranked_owner_teams.team_name,
        crm_owners.created_date as captured_date,
        cast(null as {{ type_timestamp_tz() }}) as captured_at,
        'crm_current' as history_source

    from crm_owners
    left join ranked_owner_teams
        on crm_owners.owner_id = ranked_owner_teams.owner_id
        and ranked_owner_teams.team_rank = 1
    where crm_owners.owner_id not in (select owner_id from snapshot_versions)

),

crm_versions as (

    select * from snapshot_versions
    union all
    select * from current_versions

),

daily_crm_versions as (

    select
        *,
        -- Several changes captured on one day: the day's last one holds from that day.
        row_number() over (
            partition by owner_id, captured_date
            order by captured_at desc nulls last
        ) as day_rank

    from crm_versions

),

dated_crm_versions as (

    select
        daily_crm_versions.owner_id as rep_id,
        daily_crm_versions.team_id,
        daily_crm_versions.team_name,
        daily_crm_versions.history_source,
        -- The first version known holds since the owner was created.
        case
            when row_number() over (
                partition by daily_crm_versions.owner_id
                order by daily_crm_versions.captured_date
            ) = 1
                then least(crm_owners.created_date, daily_crm_versions.captured_date)
            else daily_crm_versions.captured_date
        end as valid_from,
        crm_owners.archived_date

    from daily_crm_versions
    inner join crm_owners
        on daily_crm_versions.owner_id = crm_owners.owner_id
    where daily_crm_versions.day_rank = 1

),

crm_changes as (

    select
        *,
        -- A version with the team of the one before it (a same-day flip-flop) starts nothing.
        case
            when lag(valid_from) over (partition by rep_id order by valid_from) is null then 1
            when coalesce(lag(team_id) over (partition by rep_id order by valid_from), '')
                = coalesce(team_id, '')
                and coalesce(lag(team_name) over (partition by rep_id order by valid_from), '')
                = coalesce(team_name, '')
                then 0
            else 1
        end as is_change

    from dated_crm_versions

),

crm_history as (

    select
        rep_id,
        team_id,
        team_name,
        valid_from,
        -- The next change, else the archived owner's departure (when after the start).
        coalesce(
            lead(valid_from) over (partition by rep_id order by valid_from),
            case when archived_date > valid_from then archived_date end
        ) as valid_to,
        history_source

    from crm_changes
    where is_change = 1

),

unioned as (

    select
        rep_id,
        team_id,
        team_name,
        valid_from,
        valid_to,
        history_source

    from roster_history

    union all

    select
        rep_id,
        team_id,
        team_name,
        valid_from,
        valid_to,
        history_source

    from crm_history

),

final as (

    select
        rep_id,
        team_id,
        team_name,
        valid_from,
        valid_to,
        history_source,
        row_number() over (partition by rep_id order by valid_from desc) = 1 as is_latest

    from unioned

)

select * from final
