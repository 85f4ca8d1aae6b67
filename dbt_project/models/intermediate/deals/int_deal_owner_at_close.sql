{#-
    Who owned each closed deal when it closed: attribution never follows later
    reassignments. The ownership period of int_deal_owner_history that holds the close
    instant (a change at the very instant of the close counts); without a recorded period
    holding it, the current owner is the best evidence.
-#}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

owner_history as (

    select * from {{ ref('int_deal_owner_history') }}
    where not is_from_current_state

),

owner_at_close as (

    select
        deals.deal_id,
        case
            when owner_at_close.deal_id is not null then owner_at_close.owner_id
            else deals.owner_id
        end as owner_id_at_close,
        owner_at_close.deal_id is null as is_owner_from_current_state

    from deals
    left join owner_history as owner_at_close
        on deals.deal_id = owner_at_close.deal_id
        and {{ instant_in_period('deals.closed_at', 'owner_at_close') }}
    where deals.closed_at is not null

)

select * from owner_at_close
