{#-
    Every tracked deal property as validity periods: a value holds from the instant it was
    set until the next change of the same property (exclusive), the "as of" lookup of any
    deal property at any past instant. Two changes at the same instant keep the greater
    value (deterministic; the payload's order is not kept by staging); consecutive equal
    values are one period. Before its first change a property has no recorded value.
-#}

{#- A table, not a view: the deal facts, owner history, stage transitions and the
    pipeline marts each read it, and at scale m each read of a view recomputes 13 s. -#}
{{ config(materialized='table') }}

with

changes as (

    select
        deal_id,
        property_name,
        nullif(property_value, '') as property_value,
        changed_at

    from {{ ref('stg_crm__deal_property_history') }}
    where changed_at is not null

),

ordered as (

    select
        deal_id,
        property_name,
        property_value,
        changed_at as valid_from,
        lead(changed_at) over (
            partition by deal_id, property_name
            order by changed_at, property_value nulls first
        ) as valid_to

    from changes

),

effective as (

    -- A change overwritten at the same instant never held.
    select * from ordered
    where valid_to is null or valid_to > valid_from

),

flagged as (

    select
        *,
        case
            when lag(property_value) over (
                partition by deal_id, property_name order by valid_from
            ) is not distinct from property_value
            and lag(valid_from) over (
                partition by deal_id, property_name order by valid_from
            ) is not null
            then 0
            else 1
        end as is_new_value

    from effective

),

grouped as (

    select
        *,
        sum(is_new_value) over (
            partition by deal_id, property_name
            order by valid_from
            rows between unbounded preceding and current row
        ) as period_number

    from flagged

),

periods as (

    select
        deal_id,
        property_name,
        period_number,
        min(property_value) as property_value,
        min(valid_from) as valid_from,
        case when count(valid_to) = count(*) then max(valid_to) end as valid_to

    from grouped
    group by deal_id, property_name, period_number

),

final as (

    select
        deal_id,
        property_name,
        cast(period_number as integer) as period_number,
        property_value,
        valid_from,
        valid_to,
        valid_to is null as is_current

    from periods

)

select * from final
