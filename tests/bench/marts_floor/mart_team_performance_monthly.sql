-- Floor of mart_team_performance_monthly: team x month (Asia/Jakarta), straight from staging.
-- Deals: owner and amount at close (deal property history, ASOF), USD at the close day's rate,
-- half away from zero to cents; team of the owner on the close date (the latest spell started
-- on or before it, else the first). Quotas: the rep's team on the month's first employed day.
with
stages as (
    select pipeline_id, stage_id, is_won, is_lost
    from staging.stg_crm__deal_pipeline_stages
    where is_closed
),
closed as (
    select d.deal_id, d.owner_id, d.currency_code, d.amount, d.closed_at, s.is_won, s.is_lost,
           cast(timezone('Asia/Jakarta', d.closed_at) as date) as close_date,
           cast(timezone('Asia/Jakarta', d.deal_created_at) as date) as created_date
    from staging.stg_crm__deals d
    join stages s on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
    where not d.is_test_deal and not d.is_archived
),
history as (
    select deal_id, property_name, changed_at, max(nullif(property_value, '')) as property_value
    from staging.stg_crm__deal_property_history
    where property_name in ('hubspot_owner_id', 'amount') and changed_at is not null
    group by all
),
owner_changes as (select * from history where property_name = 'hubspot_owner_id'),
amount_changes as (select * from history where property_name = 'amount'),
with_owner as (
    select c.*, o.changed_at as owner_changed_at, o.property_value as owner_at_close
    from closed c asof left join owner_changes o
        on c.deal_id = o.deal_id and c.closed_at >= o.changed_at
),
with_amount as (
    select w.*,
           case when w.owner_changed_at is not null then w.owner_at_close else w.owner_id end as rep_id,
           case when a.changed_at is not null then cast(a.property_value as decimal(28, 6))
                else w.amount end as amount_at_close
    from with_owner w
    asof left join amount_changes a on w.deal_id = a.deal_id and w.closed_at >= a.changed_at
),
fx as (
    select currency_code, rate_date, units_per_usd from staging.stg_files__fx_rates
    where currency_code <> 'USD'
    union all
    select 'USD', date '1900-01-01', 1
),
deal_rows as (
    select d.deal_id, d.rep_id, d.close_date, date_trunc('month', d.close_date)::date as month, d.is_won, d.is_lost,
           case when d.is_won then d.close_date - d.created_date end as cycle_days,
           case when f.units_per_usd is not null and d.amount_at_close is not null then
               sign(d.amount_at_close)
               * ((2 * cast(abs(d.amount_at_close) * 1000000 as hugeint) * 1000000
                   + cast(f.units_per_usd * 1000000 as hugeint) * 10000)
                  // (2 * cast(f.units_per_usd * 1000000 as hugeint) * 10000))
           end as cents,
           d.amount_at_close is not null and f.units_per_usd is null as is_missing_fx_rate
    from with_amount d
    asof left join fx f on d.currency_code = f.currency_code and d.close_date >= f.rate_date
    where d.rep_id is not null
),
-- Rep addresses: the CRM owner's (active before archived), then the roster's; one rep each.
ranked_addresses as (
    select *, row_number() over (partition by email_address
                                 order by source_rank, listed_at desc nulls last, rep_id) as address_rank
    from (
        select owner_email as email_address, owner_id as rep_id,
               case when is_archived then 2 else 1 end as source_rank, created_at as listed_at
        from staging.stg_crm__owners where coalesce(owner_email, '') <> ''
        union all
        select r.rep_email, coalesce(r.rep_id, o.owner_id), 3, cast(r.valid_from as timestamptz)
        from staging.stg_files__rep_roster r
        left join staging.stg_crm__owners o on o.owner_email = r.rep_email and coalesce(o.owner_email, '') <> ''
        where coalesce(r.rep_email, '') <> ''
    ) a
    where rep_id is not null
),
addresses as (select email_address, rep_id from ranked_addresses where address_rank = 1),
-- Team spells: the roster's where it lists the rep, else today's CRM primary team since the
-- owner was created (the warehouse's owner-team snapshot is not a staging view).
owners_by_email as (
    select owner_email, arg_min(owner_id, (is_archived, owner_id)) as owner_id
    from staging.stg_crm__owners where owner_email is not null group by all
),
roster_spells as (
    select coalesce(r.rep_id, o.owner_id) as rep_id, r.team_name, r.valid_from, r.valid_to
    from staging.stg_files__rep_roster r left join owners_by_email o on o.owner_email = r.rep_email
    where coalesce(r.rep_id, o.owner_id) is not null
),
crm_spells as (
    select o.owner_id as rep_id,
           arg_min(t.team_name, (not t.is_primary_team, t.team_id)) as team_name,
           coalesce(cast(timezone('Asia/Jakarta', o.created_at) as date), date '1900-01-01') as valid_from,
           -- an archived owner's last update stands for the departure
           case when o.is_archived and cast(timezone('Asia/Jakarta', o.updated_at) as date)
                    > coalesce(cast(timezone('Asia/Jakarta', o.created_at) as date), date '1900-01-01')
                then cast(timezone('Asia/Jakarta', o.updated_at) as date) end as valid_to
    from staging.stg_crm__owners o
    left join staging.stg_crm__owner_teams t on t.owner_id = o.owner_id
    where o.owner_id not in (select rep_id from roster_spells)
    group by o.owner_id, o.created_at, o.updated_at, o.is_archived
),
crm_team_names as (
    select team_id, min(team_name) as team_name from staging.stg_crm__owner_teams
    where team_id is not null group by team_id
),
spells as (
    select s.rep_id, coalesce(n.team_id, 'roster:' || lower(trim(s.team_name))) as team_id,
           s.team_name, s.valid_from, s.valid_to
    from roster_spells s
    left join (select lower(trim(team_name)) as name_key, min(team_id) as team_id
               from staging.stg_crm__owner_teams where team_id is not null group by 1) n
        on n.name_key = lower(trim(s.team_name))
    union all
    select c.rep_id, t.team_id, c.team_name, c.valid_from, c.valid_to
    from crm_spells c
    left join (select owner_id, arg_min(team_id, (not is_primary_team, team_id)) as team_id
               from staging.stg_crm__owner_teams group by 1) t on t.owner_id = c.rep_id
),
teams as (
    select team_id, coalesce(any_value(c.team_name),
                             arg_min(s.team_name, (-epoch(s.valid_from), s.team_name))) as team_name
    from spells s left join crm_team_names c using (team_id)
    where team_id is not null group by team_id
),
deal_teams as (
    select d.*, arg_min(s.team_id, (s.valid_from > d.close_date,
                        case when s.valid_from <= d.close_date then -epoch(s.valid_from) else epoch(s.valid_from) end)) as team_id
    from deal_rows d left join spells s on s.rep_id = d.rep_id
    group by all
),
deal_months as (
    select team_id, month,
           sum(cents) filter (where is_won) as won_cents,
           sum(cents) filter (where is_lost) as lost_cents,
           count(*) filter (where is_won) as deals_won,
           count(*) filter (where is_lost) as deals_lost,
           count(*) filter (where is_missing_fx_rate) as deals_missing_fx_rate
    from deal_teams group by all
),
quota_teams as (
    select q.quota_month as month, f.units_per_usd, q.quota_amount,
           arg_min(s.team_id, s.valid_from) as team_id
    from staging.stg_files__quotas q
    join addresses a on a.email_address = q.rep_email
    asof left join fx f on q.currency_code = f.currency_code and q.quota_month >= f.rate_date
    left join spells s on s.rep_id = a.rep_id and s.valid_from < q.quota_month + interval 1 month
        and (s.valid_to > q.quota_month or s.valid_to is null)
    group by q.rep_email, q.quota_month, f.units_per_usd, q.quota_amount
),
quota_months as (
    select team_id, month,
           sum(case when units_per_usd is not null then
               sign(quota_amount)
               * ((2 * cast(abs(quota_amount) * 1000000 as hugeint) * 1000000
                   + cast(units_per_usd * 1000000 as hugeint) * 10000)
                  // (2 * cast(units_per_usd * 1000000 as hugeint) * 10000)) end) as quota_cents,
           count(*) filter (where quota_amount is not null and units_per_usd is null) as quotas_missing_fx_rate
    from quota_teams group by all
)
select
    t.team_name,
    k.team_id,
    k.month,
    cast(cast(coalesce(d.won_cents, 0) as decimal(38, 0)) * 0.01 as decimal(18, 2)) as bookings_amount,
    coalesce(d.deals_won, 0)::integer as deals_won,
    coalesce(d.deals_lost, 0)::integer as deals_lost,
    d.deals_won::double / nullif(d.deals_won + d.deals_lost, 0) as win_rate,
    (coalesce(d.won_cents, 0) * 0.01)::double
        / nullif((coalesce(d.won_cents, 0) * 0.01 + coalesce(d.lost_cents, 0) * 0.01)::double, 0)
        as win_rate_by_amount,
    cast(cast(q.quota_cents as decimal(38, 0)) * 0.01 as decimal(18, 2)) as quota_amount,
    (coalesce(d.won_cents, 0) * 0.01)::double / nullif((q.quota_cents * 0.01)::double, 0) as quota_attainment,
    coalesce(d.deals_missing_fx_rate, 0)::integer as deals_missing_fx_rate,
    coalesce(q.quotas_missing_fx_rate, 0)::integer as quotas_missing_fx_rate
from (select team_id, month from deal_months union select team_id, month from quota_months) k
left join deal_months d on d.team_id is not distinct from k.team_id and d.month = k.month
left join quota_months q on q.team_id is not distinct from k.team_id and q.month = k.month
left join teams t on t.team_id = k.team_id
