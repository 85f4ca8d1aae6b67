-- Floor of mart_lead_conversion_monthly: month of contact creation (Asia/Jakarta), straight
-- from staging. Every contact associated with a deal (either direction) may convert.
with
links as (
    select from_id as deal_id, to_id as contact_id
    from staging.stg_crm__associations where from_object_type = 'deals' and to_object_type = 'contacts'
    union all
    select to_id, from_id
    from staging.stg_crm__associations where from_object_type = 'contacts' and to_object_type = 'deals'
),
converted as (
    select distinct c.contact_id
    from staging.stg_crm__contacts c
    join links p on p.contact_id = c.contact_id
    join staging.stg_crm__deals d on d.deal_id = p.deal_id
    where not d.is_test_deal and not d.is_archived
      and d.deal_created_at >= c.contact_created_at
      and d.deal_created_at <= c.contact_created_at + interval 90 day
),
monthly as (
    select date_trunc('month', timezone('Asia/Jakarta', c.contact_created_at))::date as month,
           count(*) as leads_created,
           count(v.contact_id) as leads_converted
    from staging.stg_crm__contacts c
    left join converted v using (contact_id)
    where c.contact_created_at is not null
    group by all
)
select month,
       leads_created::integer as leads_created,
       leads_converted::integer as leads_converted,
       leads_converted::double / leads_created as lead_to_deal_rate,
       month + interval 1 month + interval 90 day <= getvariable('as_of_date') + interval 1 day as is_mature
from monthly
