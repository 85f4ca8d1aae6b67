{#-
    The original lead source of every CRM contact and company (kpis.md "bookings by
    source"): the earliest non-empty value in the history of `lead_source` (a later
    overwrite does not count), else of `hs_analytics_source`, else the record's current
    source (no history loaded). Values are trimmed and lower-cased.
-#}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

companies as (

    select * from {{ ref('stg_crm__companies') }}

),

contact_history as (

    select * from {{ ref('stg_crm__contact_property_history') }}

),

company_history as (

    select * from {{ ref('stg_crm__company_property_history') }}

),

current_sources as (

    select
        'contact' as object_type,
        contact_id as object_id,
        {{ normalized_lead_source('lead_source') }} as current_lead_source

    from contacts

    union all

    select
        'company' as object_type,
        company_id as object_id,
        {{ normalized_lead_source('lead_source') }} as current_lead_source

    from companies

),

history as (

    select
        'contact' as object_type,
        contact_id as object_id,
        property_name,
        property_value,
        changed_at

    from contact_history

    union all

    select
        'company' as object_type,
        company_id as object_id,
        property_name,
        property_value,
        changed_at

    from company_history

),

history_sources as (

    select
        object_type,
        object_id,
        {{ normalized_lead_source('property_value') }} as lead_source,
        case when property_name = 'lead_source' then 1 else 2 end as property_rank,
        changed_at

    from history
    where property_name in ('lead_source', 'hs_analytics_source')
        and {{ normalized_lead_source('property_value') }} is not null

),

ranked_sources as (

    select
        object_type,
        object_id,
        lead_source,
        row_number() over (
            partition by object_type, object_id
            order by property_rank, changed_at nulls last, lead_source
        ) as source_rank

    from history_sources

),

final as (

    select
        current_sources.object_type,
        current_sources.object_id,
        coalesce(ranked_sources.lead_source, current_sources.current_lead_source)
            as original_lead_source,
        current_sources.current_lead_source

    from current_sources
    left join ranked_sources
        on current_sources.object_type = ranked_sources.object_type
        and current_sources.object_id = ranked_sources.object_id
        and ranked_sources.source_rank = 1

)

select * from final
