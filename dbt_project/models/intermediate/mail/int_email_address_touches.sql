{#-
    The mail between reps and outside addresses, one row per message and outside address,
    for lead response (kpis.md "lead response time"). The kind of a message is decided on
    the reps' addresses (int_rep_addresses), as kpis.md words it, not on email domains:
    - `inbound`: sent from an outside address (not a rep's) with at least one rep address
      in To or Cc; the address is the sender's;
    - `outbound`: sent from a rep's address; one row for each outside address in To or Cc.
    Auto-replies (out-of-office, RFC 3834) are neither; a message without a send time
    cannot be placed in time and is left out. Addresses stay unresolved: marts tie them to
    contacts with dim_contact (a table), which is much cheaper than resolving them here.
-#}

with

messages as (

    select * from {{ ref('stg_email__messages') }}

),

recipients as (

    select * from {{ ref('stg_email__message_recipients') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

timed_messages as (

    select
        messages.message_key,
        messages.from_address,
        messages.sent_at,
        rep_addresses.email_address is not null as is_from_rep

    from messages
    left join rep_addresses
        on messages.from_address = rep_addresses.email_address
    where messages.sent_at is not null
        and not messages.is_auto_reply

),

classified_recipients as (

    select
        recipients.message_key,
        recipients.recipient_address,
        rep_addresses.email_address is not null as is_rep_recipient

    from recipients
    left join rep_addresses
        on recipients.recipient_address = rep_addresses.email_address

),

messages_to_reps as (

    select distinct message_key

    from classified_recipients
    where is_rep_recipient

),

inbound as (

    select
        timed_messages.message_key,
        timed_messages.from_address as email_address,
        'inbound' as touch_type,
        timed_messages.sent_at

    from timed_messages
    inner join messages_to_reps
        on timed_messages.message_key = messages_to_reps.message_key
    where not timed_messages.is_from_rep
        and timed_messages.from_address is not null

),

outbound as (

    select
        timed_messages.message_key,
        classified_recipients.recipient_address as email_address,
        'outbound' as touch_type,
        timed_messages.sent_at

    from timed_messages
    inner join classified_recipients
        on timed_messages.message_key = classified_recipients.message_key
    where timed_messages.is_from_rep
        and not classified_recipients.is_rep_recipient

),

final as (

    select * from inbound
    union all
    select * from outbound

)

select * from final
