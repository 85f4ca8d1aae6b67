-- Floor of mart_bookings_by_source: original lead source x month (Asia/Jakarta) of won deals,
-- straight from staging. Source: the earliest non-empty lead_source in the primary contact's
-- history (else its earliest hs_analytics_source, else its current lead_source), else the
-- company's by the same rule, else 'unknown'. Amount at close (ASOF on the amount history), USD
-- at the close day's rate, half away from zero to cents.
with
won as (
    select d.deal_id, d.currency_code, d.amount, d.closed_at,
           cast(timezone('Asia/Jakarta', d.closed_at) as date) as close_date
    from staging.stg_crm__deals d
    join staging.stg_crm__deal_pipeline_stages s on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
    where s.is_won and not d.is_test_deal and not d.is_archived
),
history as (
    select deal_id, property_name, changed_at, max(nullif(property_value, '')) as property_value
    from staging.stg_crm__deal_property_history
    where property_name = 'amount' and changed_at is not null
    group by all
),
amount_changes as (select * from history where property_name = 'amount'),
with_amount as (
    select w.*,
           case when a.changed_at is not null then cast(a.property_value as decimal(28, 6))
                else w.amount end as amount_at_close
    from won w
    asof left join amount_changes a on w.deal_id = a.deal_id and w.closed_at >= a.changed_at
),
fx as (
    select currency_code, rate_date, units_per_usd from staging.stg_files__fx_rates
    where currency_code <> 'USD'
    union all
    select 'USD', date '1900-01-01', 1
),
links as (
    select from_id as deal_id, to_object_type as object_type, to_id as object_id, association_type
    from staging.stg_crm__associations
    where from_object_type = 'deals' and to_object_type in ('contacts', 'companies')
    union all
    select to_id, from_object_type, from_id, association_type
    from staging.stg_crm__associations
    where to_object_type = 'deals' and from_object_type in ('contacts', 'companies')
),
primary_contacts as (
    select l.deal_id,
           arg_min(l.object_id, (l.association_type like '%unlabeled%', c.contact_created_at is null,
                                 c.contact_created_at, l.object_id)) as contact_id
    from links l left join staging.stg_crm__contacts c on c.contact_id = l.object_id
    where l.object_type = 'contacts' group by l.deal_id
),
deal_companies as (
    select deal_id, arg_min(object_id, (association_type like '%unlabeled%', object_id)) as company_id
    from links where object_type = 'companies' group by deal_id
),
source_history as (
    select 'contact' as object_type, contact_id as object_id, property_name, property_value, changed_at
    from staging.stg_crm__contact_property_history
    union all
    select 'company', company_id, property_name, property_value, changed_at
    from staging.stg_crm__company_property_history
),
earliest_sources as (
    select object_type, object_id,
           arg_min(nullif(lower(trim(property_value)), ''),
                   (property_name <> 'lead_source', changed_at is null, changed_at,
                    nullif(lower(trim(property_value)), ''))) as lead_source
    from source_history
    where property_name in ('lead_source', 'hs_analytics_source')
        and nullif(lower(trim(property_value)), '') is not null
    group by all
),
sources as (
    select 'contact' as object_type, contact_id as object_id, nullif(lower(trim(lead_source)), '') as current_source
    from staging.stg_crm__contacts
    union all
    select 'company', company_id, nullif(lower(trim(lead_source)), '') from staging.stg_crm__companies
),
original_sources as (
    select s.object_type, s.object_id, coalesce(e.lead_source, s.current_source) as lead_source
    from sources s left join earliest_sources e using (object_type, object_id)
),
deal_sources as (
    select w.deal_id,
           coalesce(cs.lead_source, ms.lead_source, 'unknown') as lead_source
    from won w
    left join primary_contacts p on p.deal_id = w.deal_id
    left join deal_companies dc on dc.deal_id = w.deal_id
    left join staging.stg_crm__contacts c on c.contact_id = p.contact_id
    left join original_sources cs on cs.object_type = 'contact' and cs.object_id = p.contact_id
    left join original_sources ms on ms.object_type = 'company'
        and ms.object_id = coalesce(dc.company_id, c.company_id)
),
deal_rows as (
    select s.lead_source, date_trunc('month', d.close_date)::date as month,
           case when f.units_per_usd is not null and d.amount_at_close is not null then
               sign(d.amount_at_close)
               * ((2 * cast(abs(d.amount_at_close) * 1000000 as hugeint) * 1000000
                   + cast(f.units_per_usd * 1000000 as hugeint) * 10000)
                  // (2 * cast(f.units_per_usd * 1000000 as hugeint) * 10000))
           end as cents,
           d.amount_at_close is not null and f.units_per_usd is null as is_missing_fx_rate
    from with_amount d
    join deal_sources s on s.deal_id = d.deal_id
    asof left join fx f on d.currency_code = f.currency_code and d.close_date >= f.rate_date
)
select
    lead_source,
    month,
    cast(cast(coalesce(sum(cents), 0) as decimal(38, 0)) * 0.01 as decimal(18, 2)) as bookings_amount,
    count(*)::integer as deals_won,
    (count(*) filter (where is_missing_fx_rate))::integer as deals_missing_fx_rate
from deal_rows
group by all
