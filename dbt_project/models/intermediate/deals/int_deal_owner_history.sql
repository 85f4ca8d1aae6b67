{#-
    Who owned each deal when: ownership periods [valid_from, valid_to) from the deal's
    `hubspot_owner_id` history, for the owner at any instant (at close, at a stage entry,
    on a snapshot date). A deal whose owner has no recorded history gets one period with
    its current owner from its creation, flagged: the current state is the only evidence.
-#}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

owner_periods as (

    select * from {{ ref('int_deal_property_periods') }}
    where property_name = 'hubspot_owner_id'

),

recorded as (

    select
        deal_id,
        period_number,
        property_value as owner_id,
        valid_from,
        valid_to,
        false as is_from_current_state

    from owner_periods

),

unrecorded as (

    select
        deals.deal_id,
        1 as period_number,
        deals.owner_id,
        deals.deal_created_at as valid_from,
        cast(null as {{ type_timestamp_tz() }}) as valid_to,
        true as is_from_current_state

    from deals
    where deals.deal_created_at is not null
        and not exists (
            select 1
            from owner_periods
            where owner_periods.deal_id = deals.deal_id
        )

),

unioned as (

    select * from recorded
    union all
    select * from unrecorded

),

final as (

    select
        deal_id,
        cast(period_number as integer) as period_number,
        owner_id,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        is_from_current_state

    from unioned

)

select * from final
