with

messages as (

    {{ raw_table('email', 'messages') }}

),

message_references as (

    select
        messages.message_key,
        cast(referenced.position as integer) as reference_position,
        {{ json_text('referenced.element', []) }} as referenced_message_key

    from messages
    {{ json_array_elements_ordered('messages.' ~ adapter.quote('references'), 'referenced') }}

),

final as (

    select
        message_key,
        reference_position,
        referenced_message_key,
        reference_position = 1 as is_first_reference,
        reference_position = max(reference_position) over (partition by message_key)
            as is_last_reference

    from message_references
    where referenced_message_key is not null
        and referenced_message_key <> ''

)

select * from final
