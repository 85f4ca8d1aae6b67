{#-
    Lead response time (kpis.md "lead response time", "response SLA"): for each contact's
    first inbound email, the first response after it - an outbound email from a rep to the
    contact, or a call or meeting logged with the contact - in calendar and business
    minutes, credited to the contact's owner when the email came in.
-#}

with

touches as (

    select * from {{ ref('int_email_address_touches') }}

),

activities as (

    select * from {{ ref('fct_activities') }}

),

contacts as (

    select * from {{ ref('dim_contact') }}

),

-- One contact per address, never a rep's (the rule lives in int_contact_addresses).
contact_addresses as (

    select * from {{ ref('int_contact_addresses') }}

),

owner_history as (

    select * from {{ ref('int_contact_owner_history') }}
    where not is_from_current_state

),

contact_touches as (

    select
        contact_addresses.contact_id,
        contact_addresses.is_contact_archived,
        touches.touch_type,
        touches.sent_at

    from touches
    inner join contact_addresses
        on touches.email_address = contact_addresses.email_address

),

first_inbound as (

    select
        contact_id,
        min(sent_at) as first_inbound_at

    from contact_touches
    where touch_type = 'inbound'
        and not is_contact_archived
    group by contact_id

),

responses as (

    select
        contact_id,
        sent_at as responded_at

    from contact_touches
    where touch_type = 'outbound'

    union all

    select
        contact_id,
        activity_at as responded_at

    from activities
    where activity_type in ('call', 'meeting')
        and not is_archived
        and contact_id is not null
        and activity_at is not null

),

first_responses as (

    select
        first_inbound.contact_id,
        min(responses.responded_at) as first_response_at

    from first_inbound
    inner join responses
        on first_inbound.contact_id = responses.contact_id
        and responses.responded_at > first_inbound.first_inbound_at
    group by first_inbound.contact_id

),

timed as (

    select
        first_inbound.contact_id,
        -- The owner when the email came in; without recorded owner history, today's.
        case
            when owner_at_inbound.contact_id is not null then owner_at_inbound.owner_id
            else contacts.owner_rep_id
        end as rep_id,
        owner_at_inbound.contact_id is null as is_rep_from_current_owner,
        first_inbound.first_inbound_at,
        first_responses.first_response_at,
        {{ elapsed_microseconds(
            'first_inbound.first_inbound_at', 'first_responses.first_response_at'
        ) }} as response_microseconds

    from first_inbound
    inner join contacts
        on first_inbound.contact_id = contacts.contact_id
    left join first_responses
        on first_inbound.contact_id = first_responses.contact_id
    left join owner_history as owner_at_inbound
        on first_inbound.contact_id = owner_at_inbound.contact_id
        and {{ instant_in_period('first_inbound.first_inbound_at', 'owner_at_inbound') }}

),

final as (

    select
        contact_id,
        rep_id,
        is_rep_from_current_owner,
        first_inbound_at,
        {{ company_date('first_inbound_at') }} as first_inbound_date,
        first_response_at,
        cast(response_microseconds as {{ type_ratio() }})
            / cast(60000000 as {{ type_ratio() }}) as response_minutes,
        {{ business_minutes_between('first_inbound_at', 'first_response_at') }}
            as response_business_minutes,
        coalesce(response_microseconds <= 3600000000, false) as answered_within_1h,
        coalesce(response_microseconds <= 86400000000, false) as answered_within_24h,
        -- Open at the end of the as-of day, 7 days (168 hours) or more after it came in.
        (
            first_response_at is null
            or {{ company_date('first_response_at') }} > {{ as_of_date() }}
        )
        and {{ company_date('(' ~ dbt.dateadd('hour', 168, 'first_inbound_at') ~ ')') }}
            <= {{ as_of_date() }} as is_unanswered_after_7_days

    from timed

)

select * from final
