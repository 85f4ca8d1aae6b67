{#-
    Reps with their team over time (SCD2): one row per rep and validity interval of a team
    (int_rep_team_history). The team is the only tracked attribute; email, name and
    is_active are today's values on every row of the rep. Current-state consumers take
    `is_current` (exactly one row per rep); facts take the row whose interval holds the
    event's company-time date: `valid_from <= d and (valid_to > d or valid_to is null)`.
-#}

with

team_history as (

    select * from {{ ref('int_rep_team_history') }}

),

owners as (

    select * from {{ ref('stg_crm__owners') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

roster_addresses as (

    -- For a rep the CRM does not know: the address the roster lists (any, deterministic).
    select
        rep_id,
        min(email_address) as rep_email

    from rep_addresses
    where address_source = 'roster'
    group by rep_id

),

latest_spells as (

    select
        rep_id,
        valid_to is null as is_open

    from team_history
    where is_latest

),

reps as (

    select
        {{ dbt.hash(dbt.concat([
            'team_history.rep_id', "'|'",
            dbt.cast('team_history.valid_from', api.Column.translate_type('string')),
        ])) }} as rep_key,
        team_history.rep_id,
        coalesce(owners.owner_email, roster_addresses.rep_email) as rep_email,
        owners.owner_name as rep_name,
        team_history.team_id,
        team_history.team_name,
        team_history.valid_from,
        team_history.valid_to,
        team_history.is_latest as is_current,
        -- Employed today: the CRM user is not deactivated and the last spell has no end.
        coalesce(not owners.is_archived, true) and latest_spells.is_open as is_active,
        team_history.history_source

    from team_history
    left join owners
        on team_history.rep_id = owners.owner_id
    left join roster_addresses
        on team_history.rep_id = roster_addresses.rep_id
    left join latest_spells
        on team_history.rep_id = latest_spells.rep_id

)

select * from reps
