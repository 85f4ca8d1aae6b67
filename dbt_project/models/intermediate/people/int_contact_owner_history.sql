{#-
    Who owned each contact when: ownership periods [valid_from, valid_to) from the
    contact's `hubspot_owner_id` history, for the owner at any instant (a lead's response
    time is attributed to the owner when the lead wrote in). Two changes at the same
    instant keep the greater value, as for deals (int_deal_property_periods). A contact
    whose portal recorded no owner history gets one period with its current owner from
    its creation, flagged: the current state is the only evidence.
-#}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

owner_changes as (

    select
        contact_id,
        nullif(property_value, '') as owner_id,
        changed_at

    from {{ ref('stg_crm__contact_property_history') }}
    where property_name = 'hubspot_owner_id'
        and changed_at is not null

),

ordered as (

    select
        contact_id,
        owner_id,
        changed_at as valid_from,
        lead(changed_at) over (
            partition by contact_id
            order by changed_at, owner_id nulls first
        ) as valid_to

    from owner_changes

),

recorded as (

    -- A change overwritten at the same instant never held.
    select
        contact_id,
        owner_id,
        valid_from,
        valid_to,
        false as is_from_current_state

    from ordered
    where valid_to is null or valid_to > valid_from

),

unrecorded as (

    select
        contacts.contact_id,
        contacts.owner_id,
        contacts.contact_created_at as valid_from,
        cast(null as {{ type_timestamp_tz() }}) as valid_to,
        true as is_from_current_state

    from contacts
    where contacts.contact_created_at is not null
        and not exists (
            select 1
            from owner_changes
            where owner_changes.contact_id = contacts.contact_id
        )

),

unioned as (

    select * from recorded
    union all
    select * from unrecorded

),

final as (

    select
        contact_id,
        owner_id,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        is_from_current_state

    from unioned

)

select * from final
