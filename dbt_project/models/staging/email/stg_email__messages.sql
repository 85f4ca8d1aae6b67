with

source as (

    {{ raw_table('email', 'messages') }}

),

renamed as (

    select
        message_key,
        message_id,
        coalesce(synthesized, false) as has_synthesized_key,
        sent_at,
        date_header,
        date_problem,
        date_problem is not null as has_date_problem,
        lower(trim(from_address)) as from_address,
        nullif(trim(from_name), '') as from_name,
        {{ email_domain('trim(from_address)') }} as from_domain,
        {{ json_array_size('to_addresses') }} as to_recipient_count,
        {{ json_array_size('cc_addresses') }} as cc_recipient_count,
        subject,
        in_reply_to as in_reply_to_message_key,
        -- RFC 5322: References ends with the parent's id; used when In-Reply-To is missing.
        coalesce(
            in_reply_to,
            {{ json_array_item_text(adapter.quote('references'), -1) }}
        ) as parent_message_key,
        {{ json_array_size(adapter.quote('references')) }} as reference_count,
        auto_submitted,
        precedence,
        coalesce(is_auto_reply, false) as is_auto_reply,
        direction

    from source

),

derived as (

    select
        message_key,
        message_id,
        has_synthesized_key,
        sent_at,
        date_header,
        date_problem,
        has_date_problem,
        from_address,
        from_name,
        from_domain,
        to_recipient_count,
        cc_recipient_count,
        to_recipient_count + cc_recipient_count as recipient_count,
        subject,
        in_reply_to_message_key,
        parent_message_key,
        parent_message_key is not null as is_reply,
        reference_count,
        auto_submitted,
        precedence,
        is_auto_reply,
        direction

    from renamed

)

select * from derived
