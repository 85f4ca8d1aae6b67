{#-
    One row per CRM contact (a lead or a person at a customer): email, name, customer
    (CRM company), owner rep, lead source original and current, created, archived.
    The original lead source follows the rule of int_deal_original_lead_source (kpis.md
    "bookings by source"): the earliest non-empty value in the history of `lead_source`
    (a later overwrite does not count), else of `hs_analytics_source`, else the current
    source (no history loaded). Lead sources are trimmed and lower-cased.
-#}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

contact_history as (

    select * from {{ ref('stg_crm__contact_property_history') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

history_sources as (

    select
        contact_id,
        {{ normalized_lead_source('property_value') }} as lead_source,
        case when property_name = 'lead_source' then 1 else 2 end as property_rank,
        changed_at

    from contact_history
    where property_name in ('lead_source', 'hs_analytics_source')
        and {{ normalized_lead_source('property_value') }} is not null

),

ranked_sources as (

    select
        contact_id,
        lead_source,
        row_number() over (
            partition by contact_id
            order by property_rank, changed_at nulls last, lead_source
        ) as source_rank

    from history_sources

),

final as (

    select
        contacts.contact_id,
        contacts.email,
        contacts.email_domain,
        contacts.first_name,
        contacts.last_name,
        contacts.contact_name,
        contacts.company_id as customer_id,
        contacts.owner_id as owner_rep_id,
        contacts.lifecycle_stage,
        coalesce(
            ranked_sources.lead_source,
            {{ normalized_lead_source('contacts.lead_source') }}
        ) as lead_source_original,
        {{ normalized_lead_source('contacts.lead_source') }} as lead_source_current,
        contacts.contact_created_at as created_at,
        {{ company_date('contacts.contact_created_at') }} as created_date,
        rep_addresses.email_address is not null as is_rep_address,
        contacts.is_archived,
        contacts.archived_at,
        contacts.updated_at

    from contacts
    left join ranked_sources
        on contacts.contact_id = ranked_sources.contact_id
        and ranked_sources.source_rank = 1
    left join rep_addresses
        on contacts.email = rep_addresses.email_address

)

select * from final
