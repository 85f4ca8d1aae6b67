-- Floor of mart_lead_response: hand-written DuckDB over the staging views only.
-- One row per live contact with a first inbound email (from the contact's address to a rep
-- address, not an auto-reply); first response = earliest outbound email from a rep with
-- the contact in To/Cc, or call/meeting linked to the contact (first contact link, as
-- fct_activities), strictly after it. Owner at the inbound from hubspot_owner_id history,
-- else today's. Business minutes: Mon-Fri 09:00-17:00 Asia/Jakarta, no holidays, as
-- business microseconds since a Monday (closed form). As of the variable as_of_date (Jakarta).
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
contact_addresses as (
    select email as email_address, contact_id, is_archived, owner_id
    from staging.stg_crm__contacts
    where email like '%@%' and email not in (select email_address from rep_addresses)
    qualify row_number() over (partition by email order by is_archived, contact_created_at nulls last, contact_id) = 1
),
messages as (
    select message_key, from_address, sent_at
    from staging.stg_email__messages
    where sent_at is not null and not is_auto_reply
),
first_inbound as (
    select c.contact_id, any_value(c.owner_id) as current_owner_id, min(m.sent_at) as first_inbound_at
    from messages m
    join contact_addresses c on m.from_address = c.email_address
    where not c.is_archived
        and exists (
            select 1 from staging.stg_email__message_recipients r
            join rep_addresses a on r.recipient_address = a.email_address
            where r.message_key = m.message_key
        )
    group by c.contact_id
),
activity_contacts as (
    select activity_type, activity_id, contact_id
    from (
        select from_object_type as activity_type, from_id as activity_id, to_id as contact_id, association_type
        from staging.stg_crm__associations
        where from_object_type in ('calls', 'meetings') and to_object_type = 'contacts'
        union all
        select to_object_type, to_id, from_id, association_type
        from staging.stg_crm__associations
        where to_object_type in ('calls', 'meetings') and from_object_type = 'contacts'
    )
    qualify row_number() over (
        partition by activity_type, activity_id
        order by case when association_type like '%unlabeled%' then 1 else 0 end, contact_id
    ) = 1
),
responses as (
    select c.contact_id, m.sent_at as responded_at
    from messages m
    join rep_addresses a on m.from_address = a.email_address
    join staging.stg_email__message_recipients r on m.message_key = r.message_key
    join contact_addresses c on r.recipient_address = c.email_address
    union all
    select l.contact_id, x.activity_at
    from (
        select 'calls' as activity_type, call_id as activity_id, activity_at, is_archived from staging.stg_crm__calls
        union all
        select 'meetings', meeting_id, activity_at, is_archived from staging.stg_crm__meetings
    ) x
    join activity_contacts l on x.activity_type = l.activity_type and x.activity_id = l.activity_id
    where not x.is_archived and x.activity_at is not null
),
first_responses as (
    select f.contact_id, min(r.responded_at) as first_response_at
    from first_inbound f
    join responses r on f.contact_id = r.contact_id and r.responded_at > f.first_inbound_at
    group by f.contact_id
),
owners_at_inbound as (
    select f.contact_id, nullif(h.property_value, '') as owner_id
    from first_inbound f
    join staging.stg_crm__contact_property_history h
        on f.contact_id = h.contact_id
        and h.property_name = 'hubspot_owner_id'
        and h.changed_at <= f.first_inbound_at
    qualify row_number() over (
        partition by f.contact_id order by h.changed_at desc, nullif(h.property_value, '') desc nulls last
    ) = 1
),
timed as (
    select
        f.contact_id,
        case when o.contact_id is not null then o.owner_id else f.current_owner_id end as rep_id,
        o.contact_id is null as is_rep_from_current_owner,
        f.first_inbound_at,
        r.first_response_at,
        epoch_us(r.first_response_at) - epoch_us(f.first_inbound_at) as response_us,
        -- wall-clock microseconds since Monday 1970-01-05 - 5200 weeks
        epoch_us(timezone('Asia/Jakarta', f.first_inbound_at)) + 36396 * 86400000000 as start_wall,
        epoch_us(timezone('Asia/Jakarta', r.first_response_at)) + 36396 * 86400000000 as end_wall
    from first_inbound f
    left join first_responses r on f.contact_id = r.contact_id
    left join owners_at_inbound o on f.contact_id = o.contact_id
),
business as (
    select
        *,
        (start_wall // 604800000000) * 144000000000
            + least((start_wall // 86400000000) % 7, 5) * 28800000000
            + case when (start_wall // 86400000000) % 7 < 5
                then least(greatest(start_wall % 86400000000 - 32400000000, 0), 28800000000) else 0 end
            as start_business_us,
        (end_wall // 604800000000) * 144000000000
            + least((end_wall // 86400000000) % 7, 5) * 28800000000
            + case when (end_wall // 86400000000) % 7 < 5
                then least(greatest(end_wall % 86400000000 - 32400000000, 0), 28800000000) else 0 end
            as end_business_us
    from timed
)
select
    contact_id,
    rep_id,
    is_rep_from_current_owner,
    first_inbound_at,
    cast(timezone('Asia/Jakarta', first_inbound_at) as date) as first_inbound_date,
    first_response_at,
    response_us::double / 60000000 as response_minutes,
    (end_business_us - start_business_us)::double / 60000000 as response_business_minutes,
    coalesce(response_us <= 3600000000, false) as answered_within_1h,
    coalesce(response_us <= 86400000000, false) as answered_within_24h,
    (first_response_at is null or cast(timezone('Asia/Jakarta', first_response_at) as date) > getvariable('as_of_date'))
        and cast(timezone('Asia/Jakarta', first_inbound_at + interval 168 hour) as date) <= getvariable('as_of_date')
        as is_unanswered_after_7_days
from business
