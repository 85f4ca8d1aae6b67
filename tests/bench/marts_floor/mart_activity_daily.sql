-- Floor of mart_activity_daily: hand-written DuckDB over the staging views only.
-- Rep x company-time day (Asia/Jakarta): CRM calls (connected: disposition label
-- 'Connected', trimmed, any case), meetings (visits: in person), tasks on their completion
-- day; emails from the mailboxes: sent = outbound from a rep address, received = inbound
-- with the rep in To/Cc (once per rep), auto-replies excluded. Archived activities out.
with
owner_addresses as (
    select owner_email as email_address, owner_id as rep_id, case when is_archived then 2 else 1 end as source_rank, created_at as listed_at
    from staging.stg_crm__owners
    where owner_email is not null and owner_email <> ''
),
rep_addresses as (
    select email_address, rep_id
    from (
        select * from owner_addresses
        union all
        select r.rep_email, coalesce(r.rep_id, o.rep_id), 3, cast(r.valid_from as timestamptz)
        from staging.stg_files__rep_roster r
        left join owner_addresses o on r.rep_email = o.email_address
        where r.rep_email is not null and r.rep_email <> ''
    )
    where rep_id is not null
    qualify row_number() over (partition by email_address order by source_rank, listed_at desc nulls last, rep_id) = 1
),
messages as (
    select message_key, from_address, direction, cast(timezone('Asia/Jakarta', sent_at) as date) as day
    from staging.stg_email__messages
    where sent_at is not null and not is_auto_reply and direction in ('inbound', 'outbound')
),
events as (
    select c.owner_id as rep_id, cast(timezone('Asia/Jakarta', c.activity_at) as date) as day,
        1 as calls, coalesce(lower(trim(d.disposition_label)) = 'connected', false)::int as connected,
        0 as meetings, 0 as visits, 0 as sent, 0 as received, 0 as tasks
    from staging.stg_crm__calls c
    left join staging.stg_crm__call_dispositions d on c.disposition_id = d.disposition_id
    where not c.is_archived
    union all
    select owner_id, cast(timezone('Asia/Jakarta', activity_at) as date), 0, 0, 1, is_in_person::int, 0, 0, 0
    from staging.stg_crm__meetings
    where not is_archived
    union all
    select owner_id, cast(timezone('Asia/Jakarta', coalesce(completed_at, updated_at)) as date), 0, 0, 0, 0, 0, 0, 1
    from staging.stg_crm__tasks
    where not is_archived and is_completed
    union all
    select a.rep_id, m.day, 0, 0, 0, 0, 1, 0, 0
    from messages m
    join rep_addresses a on m.from_address = a.email_address
    where m.direction = 'outbound'
    union all
    select rep_id, day, 0, 0, 0, 0, 0, 1, 0
    from (
        select distinct m.message_key, a.rep_id, m.day
        from messages m
        join staging.stg_email__message_recipients r on m.message_key = r.message_key
        join rep_addresses a on r.recipient_address = a.email_address
        where m.direction = 'inbound'
    )
)
select
    rep_id,
    day as activity_date,
    sum(calls)::int as calls,
    sum(connected)::int as calls_connected,
    sum(connected)::double / nullif(sum(calls), 0) as call_connect_rate,
    sum(meetings)::int as meetings,
    sum(visits)::int as visits,
    sum(sent)::int as emails_sent,
    sum(received)::int as emails_received,
    sum(tasks)::int as tasks_completed
from events
where rep_id is not null and day is not null
group by all
