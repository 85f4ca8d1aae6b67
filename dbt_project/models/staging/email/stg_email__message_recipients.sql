with

messages as (

    {{ raw_table('email', 'messages') }}

),

to_recipients as (

    select
        messages.message_key,
        'to' as recipient_type,
        lower(trim({{ json_text('recipient.element', []) }})) as recipient_address

    from messages
    {{ json_array_elements('messages.to_addresses', 'recipient') }}

),

cc_recipients as (

    select
        messages.message_key,
        'cc' as recipient_type,
        lower(trim({{ json_text('recipient.element', []) }})) as recipient_address

    from messages
    {{ json_array_elements('messages.cc_addresses', 'recipient') }}

),

unioned as (

    select * from to_recipients
    union all
    select * from cc_recipients

),

ranked as (

    select
        *,
        -- an address listed twice (in To and Cc, or twice in one) is one recipient: To wins
        row_number() over (
            partition by message_key, recipient_address
            order by case recipient_type when 'to' then 1 else 2 end
        ) as address_rank

    from unioned
    where recipient_address is not null
        and recipient_address <> ''

),

final as (

    select
        message_key,
        recipient_address,
        recipient_type,
        {{ email_domain('recipient_address') }} as recipient_domain

    from ranked
    where address_rank = 1

)

select * from final
