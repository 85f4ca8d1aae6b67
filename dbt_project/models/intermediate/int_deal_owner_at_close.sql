{#- Who owned each closed deal when it closed: attribution never follows later reassignments. -#}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

owner_changes as (

    select
        deal_id,
        nullif(property_value, '') as owner_id,
        changed_at

    from {{ ref('stg_crm__deal_property_history') }}
    where property_name = 'hubspot_owner_id'

),

owner_changes_before_close as (

    select
        deals.deal_id,
        owner_changes.owner_id,
        row_number() over (
            partition by deals.deal_id
            order by owner_changes.changed_at desc
        ) as recency_rank

    from deals
    inner join owner_changes
        on deals.deal_id = owner_changes.deal_id
        and owner_changes.changed_at <= deals.closed_at

),

owner_at_close as (

    select
        deals.deal_id,
        -- Without any owner history before the close, the current owner is the best evidence.
        case
            when last_change.deal_id is not null then last_change.owner_id
            else deals.owner_id
        end as owner_id_at_close,
        last_change.deal_id is null as is_owner_from_current_state

    from deals
    left join owner_changes_before_close as last_change
        on deals.deal_id = last_change.deal_id
        and last_change.recency_rank = 1
    where deals.closed_at is not null

)

select * from owner_at_close
