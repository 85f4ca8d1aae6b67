{#-
    One row per rep and quota month, from the quota file: the quota in its own currency
    and in the reporting currency, the rep resolved from the file's address and the
    rep's team in that month.
    - FX: a quota has no event day; it converts at the rate of the month's first day (the
      latest earlier published rate when that day has none), flagged when none exists.
    - Team: the team of the rep on the month's first day the rep was employed (the first
      interval of dim_rep that overlaps the month), as the rep's quota rolls up to it.
-#}

with

quotas as (

    select * from {{ ref('stg_files__quotas') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

reps as (

    select * from {{ ref('dim_rep') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

quota_reps as (

    select
        quotas.rep_email,
        quotas.quota_month,
        {{ dbt.dateadd('month', 1, 'quotas.quota_month') }} as next_month,
        quotas.currency_code,
        quotas.quota_amount,
        rep_addresses.rep_id

    from quotas
    left join rep_addresses
        on quotas.rep_email = rep_addresses.email_address

),

month_teams as (

    select
        quota_reps.rep_email,
        quota_reps.quota_month,
        reps.team_id,
        reps.team_name,
        row_number() over (
            partition by quota_reps.rep_email, quota_reps.quota_month
            order by reps.valid_from
        ) as spell_rank

    from quota_reps
    inner join reps
        on quota_reps.rep_id = reps.rep_id
        and reps.valid_from < quota_reps.next_month
        and (reps.valid_to > quota_reps.quota_month or reps.valid_to is null)

),

quota_rates as (

    select
        quota_reps.*,
        month_teams.team_id,
        month_teams.team_name,
        -- At the month's first day's rate, the latest earlier if none; rounded to cents
        -- per rep and month, half away from zero, exactly, before any sum.
        {{ convert_to_reporting('quota_reps.quota_amount', 'fx') }} as quota_amount_reporting,
        {{ is_missing_fx_rate('quota_reps.quota_amount', 'fx') }} as is_missing_fx_rate

    from quota_reps
    left join month_teams
        on quota_reps.rep_email = month_teams.rep_email
        and quota_reps.quota_month = month_teams.quota_month
        and month_teams.spell_rank = 1
    {{ fx_daily_rate_joins('fx_rates', 'quota_reps.currency_code', 'quota_reps.quota_month', 'fx') }}

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'rep_email', "'|'",
            dbt.cast('quota_month', api.Column.translate_type('string')),
        ])) }} as quota_key,
        rep_email,
        rep_id,
        quota_month,
        team_id,
        team_name,
        currency_code,
        quota_amount,
        quota_amount_reporting,
        is_missing_fx_rate,
        rep_id is null as is_rep_unknown

    from quota_rates

)

select * from final
