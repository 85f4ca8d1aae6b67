{#-
    The thread of every message, as a reader of the headers would group them. A thread is
    keyed by its root: the first id of the message's References (RFC 5322 lists the
    oldest ancestor first), else, for a reply without References, the root of the message
    it replies to (In-Reply-To, followed up through the loaded messages), else the
    message's own key. The root may be a message no loaded mailbox holds.

    Thread facts for the email reply rate (kpis.md): a thread is outbound when its root is
    a loaded outbound message (not an auto-reply); it is replied when it holds an inbound
    message, not an auto-reply, sent after the root.
-#}

with recursive

messages as (

    select * from {{ ref('stg_email__messages') }}

),

message_references as (

    select * from {{ ref('stg_email__message_references') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

message_links as (

    select
        messages.message_key,
        messages.parent_message_key,
        first_reference.referenced_message_key as first_reference_key,
        parent.message_key is not null as is_parent_loaded

    from messages
    left join message_references as first_reference
        on messages.message_key = first_reference.message_key
        and first_reference.is_first_reference
    left join messages as parent
        on messages.parent_message_key = parent.message_key

),

thread_roots (message_key, thread_key, depth) as (

    -- Messages whose own headers name their root: References, an unloaded parent, or none.
    select
        message_key,
        coalesce(first_reference_key, parent_message_key, message_key) as thread_key,
        0 as depth

    from message_links
    where first_reference_key is not null
        or parent_message_key is null
        or not is_parent_loaded

    union all

    -- Replies without References inherit the root of the loaded message they answer.
    select
        child.message_key,
        thread_roots.thread_key,
        thread_roots.depth + 1 as depth

    from thread_roots
    inner join message_links as child
        on thread_roots.message_key = child.parent_message_key
    where child.first_reference_key is null
        and child.is_parent_loaded
        and thread_roots.depth < 1000

),

threaded as (

    select
        messages.message_key,
        -- A reply loop with no way out (never in real mail) is a thread of its own.
        coalesce(thread_roots.thread_key, messages.message_key) as thread_key,
        messages.sent_at,
        messages.from_address,
        messages.direction,
        messages.is_auto_reply,
        not messages.is_reply and messages.reference_count = 0 as is_thread_root

    from messages
    left join thread_roots
        on messages.message_key = thread_roots.message_key

),

roots as (

    select
        threaded.thread_key,
        threaded.sent_at as root_sent_at,
        threaded.direction = 'outbound' and not threaded.is_auto_reply as is_outbound_root,
        rep_addresses.rep_id as root_sender_rep_id

    from threaded
    left join rep_addresses
        on threaded.from_address = rep_addresses.email_address
    where threaded.is_thread_root
        and threaded.message_key = threaded.thread_key

),

inbound_replies as (

    select
        threaded.thread_key,
        min(threaded.sent_at) as first_inbound_reply_at

    from threaded
    inner join roots
        on threaded.thread_key = roots.thread_key
    where threaded.direction = 'inbound'
        and not threaded.is_auto_reply
        and threaded.sent_at > roots.root_sent_at
    group by threaded.thread_key

),

final as (

    select
        threaded.message_key,
        threaded.thread_key,
        row_number() over (
            partition by threaded.thread_key
            order by threaded.sent_at nulls last, threaded.message_key
        ) as thread_position,
        threaded.is_thread_root,
        roots.thread_key is not null as is_root_loaded,
        roots.root_sent_at,
        coalesce(roots.is_outbound_root, false) as is_outbound_thread,
        roots.root_sender_rep_id,
        inbound_replies.first_inbound_reply_at,
        coalesce(roots.is_outbound_root, false)
        and inbound_replies.thread_key is not null as is_replied_outbound_thread

    from threaded
    left join roots
        on threaded.thread_key = roots.thread_key
    left join inbound_replies
        on threaded.thread_key = inbound_replies.thread_key

)

select * from final
