{#-
    Email activity: one row per message and rep taking part in it, as `sender` (From) or
    `recipient` (To or Cc), one row per message however many mailboxes hold a copy. A rep
    in both roles of one message has a row for each; a message no rep takes part in keeps
    one row, of role `none`, so that every message is in history.
    kpis.md's emails sent / received per rep per day are the rows flagged
    `is_email_sent` (the sender of an outbound message) and `is_email_received` (a
    recipient of an inbound message; an inbound message to two reps counts for each),
    auto-replies excluded, cut by `sent_date` (company time).

    Incremental: the staging messages carry no load timestamp, so a run re-reads the
    messages sent from `incremental_lookback_days` (default 3) days before the latest
    `sent_at` already loaded, plus every message without a send time, and replaces all the
    rows of those messages (delete+insert on message_key). Mail arriving later than that
    window (a mailbox added with its old mail), or a change of the reps' addresses, needs
    a --full-refresh.
-#}

{{ config(
    materialized='incremental',
    unique_key='message_key',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}

{%- set lookback_days = var('incremental_lookback_days', 3) | int -%}

with

messages as (

    select * from {{ ref('stg_email__messages') }}
    {% if is_incremental() %}
    where sent_at is null
        or sent_at >= (
            select
                coalesce(
                    {{ dbt.dateadd('day', -1 * lookback_days, 'max(sent_at)') }},
                    cast('1970-01-01 00:00:00+00:00' as {{ type_timestamp_tz() }})
                )
            from {{ this }}
        )
    {% endif %}

),

recipients as (

    select * from {{ ref('stg_email__message_recipients') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

threads as (

    select * from {{ ref('int_email_threads') }}

),

contacts_by_email as (

    select
        email,
        contact_id,
        -- Duplicate contacts of one address: the live one, then the oldest.
        row_number() over (
            partition by email
            order by is_archived, contact_created_at nulls last, contact_id
        ) as contact_rank

    from contacts
    where email is not null

),

sender_reps as (

    select
        messages.message_key,
        rep_addresses.rep_id,
        'sender' as rep_role,
        cast(null as {{ dbt.type_string() }}) as recipient_type

    from messages
    inner join rep_addresses
        on messages.from_address = rep_addresses.email_address

),

recipient_rep_addresses as (

    select
        recipients.message_key,
        rep_addresses.rep_id,
        recipients.recipient_type,
        -- A rep addressed twice (two of their addresses): one row, To before Cc.
        row_number() over (
            partition by recipients.message_key, rep_addresses.rep_id
            order by case recipients.recipient_type when 'to' then 1 else 2 end
        ) as address_rank

    from recipients
    inner join messages
        on recipients.message_key = messages.message_key
    inner join rep_addresses
        on recipients.recipient_address = rep_addresses.email_address

),

recipient_reps as (

    select
        message_key,
        rep_id,
        'recipient' as rep_role,
        recipient_type

    from recipient_rep_addresses
    where address_rank = 1

),

rep_roles as (

    select * from sender_reps
    union all
    select * from recipient_reps

),

unattributed as (

    select
        messages.message_key,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        'none' as rep_role,
        cast(null as {{ dbt.type_string() }}) as recipient_type

    from messages
    where messages.message_key not in (select message_key from rep_roles)

),

participations as (

    select * from rep_roles
    union all
    select * from unattributed

),

recipient_contacts as (

    select
        recipients.message_key,
        contacts_by_email.contact_id,
        row_number() over (
            partition by recipients.message_key
            order by
                case recipients.recipient_type when 'to' then 1 else 2 end,
                recipients.recipient_address
        ) as contact_order

    from recipients
    inner join messages
        on recipients.message_key = messages.message_key
    inner join contacts_by_email
        on recipients.recipient_address = contacts_by_email.email
        and contacts_by_email.contact_rank = 1

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'participations.message_key', "'|'",
            'participations.rep_role', "'|'",
            "coalesce(participations.rep_id, '')",
        ])) }} as email_key,
        participations.message_key,
        participations.rep_id,
        participations.rep_role,
        participations.recipient_type,
        messages.sent_at,
        {{ company_date('messages.sent_at') }} as sent_date,
        messages.direction,
        messages.is_auto_reply,
        participations.rep_role = 'sender'
        and messages.direction = 'outbound'
        and not messages.is_auto_reply as is_email_sent,
        participations.rep_role = 'recipient'
        and messages.direction = 'inbound'
        and not messages.is_auto_reply as is_email_received,
        -- The counterpart: the sender when a contact wrote, else the first contact addressed.
        coalesce(sender_contact.contact_id, recipient_contact.contact_id) as contact_id,
        messages.from_address,
        messages.recipient_count,
        messages.subject,
        messages.has_date_problem,
        threads.thread_key,
        threads.thread_position,
        threads.is_thread_root

    from participations
    inner join messages
        on participations.message_key = messages.message_key
    left join contacts_by_email as sender_contact
        on messages.from_address = sender_contact.email
        and sender_contact.contact_rank = 1
    left join recipient_contacts as recipient_contact
        on participations.message_key = recipient_contact.message_key
        and recipient_contact.contact_order = 1
    left join threads
        on participations.message_key = threads.message_key

)

select * from final
