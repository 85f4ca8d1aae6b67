{#-
    One row per rep and quota month, from the quota file: the quota in its own currency
    and in the reporting currency, the rep resolved from the file's address and the
    rep's team in that month.
    - FX: a quota has no event day; it converts at the rate of the month's first day (the
      latest earlier published rate when that day has none), flagged when none exists.
    - Team: the team of the rep on the month's first day the rep was employed (the first
      interval of dim_rep that overlaps the month), as the rep's quota rolls up to it.
-#}

{%- set reporting_currency = var('reporting_currency') -%}

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

    select * from {{ ref('int_fx_rate_periods') }}

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
        quota_rate.units_per_usd as quota_units_per_usd,
        reporting_rate.units_per_usd as reporting_units_per_usd

    from quota_reps
    left join month_teams
        on quota_reps.rep_email = month_teams.rep_email
        and quota_reps.quota_month = month_teams.quota_month
        and month_teams.spell_rank = 1
    left join fx_rates as quota_rate
        on quota_reps.currency_code = quota_rate.currency_code
        and quota_reps.quota_month >= quota_rate.valid_from
        and (quota_reps.quota_month < quota_rate.valid_to or quota_rate.valid_to is null)
    left join fx_rates as reporting_rate
        on reporting_rate.currency_code = '{{ reporting_currency }}'
        and quota_reps.quota_month >= reporting_rate.valid_from
        and (quota_reps.quota_month < reporting_rate.valid_to or reporting_rate.valid_to is null)

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
        -- Rounded to cents per rep and month, half away from zero, before any sum.
        cast(round(
            quota_amount / quota_units_per_usd * reporting_units_per_usd, 2
        ) as {{ type_money() }}) as quota_amount_reporting,
        quota_amount is not null
        and (quota_units_per_usd is null or reporting_units_per_usd is null) as is_missing_fx_rate,
        rep_id is null as is_rep_unknown

    from quota_rates

)

select * from final
