{#-
    Each deal's primary contact, company and original lead source (kpis.md "bookings by
    source"): the earliest source of its primary contact, else its company's, else
    `unknown`.
    - Primary contact: of the contacts associated with the deal (either direction), a
      labeled association before an `..._unlabeled` one, then the earliest-created
      contact, then the lowest id. HubSpot's deal-to-contact link carries no primary flag;
      the earliest contact is the one the deal was opened with.
    - Company: the deal's associated company (labeled, HubSpot's primary, first), else its
      primary contact's company.
    - Original source of a contact or company: the earliest non-empty value in the history
      of `lead_source` (a later overwrite does not count), else of `hs_analytics_source`,
      else its current source (no history loaded). Values are trimmed and lower-cased.
-#}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

associations as (

    select * from {{ ref('stg_crm__associations') }}

),

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

deal_contact_links as (

    select
        from_id as deal_id,
        to_id as contact_id,
        association_type

    from associations
    where from_object_type = 'deals'
        and to_object_type = 'contacts'

    union all

    select
        to_id as deal_id,
        from_id as contact_id,
        association_type

    from associations
    where from_object_type = 'contacts'
        and to_object_type = 'deals'

),

ranked_contacts as (

    select
        deal_contact_links.deal_id,
        deal_contact_links.contact_id,
        row_number() over (
            partition by deal_contact_links.deal_id
            order by
                case when deal_contact_links.association_type like '%unlabeled%' then 1 else 0 end,
                contacts.contact_created_at nulls last,
                deal_contact_links.contact_id
        ) as contact_rank

    from deal_contact_links
    left join contacts
        on deal_contact_links.contact_id = contacts.contact_id

),

deal_company_links as (

    select
        from_id as deal_id,
        to_id as company_id,
        association_type

    from associations
    where from_object_type = 'deals'
        and to_object_type = 'companies'

    union all

    select
        to_id as deal_id,
        from_id as company_id,
        association_type

    from associations
    where from_object_type = 'companies'
        and to_object_type = 'deals'

),

ranked_companies as (

    select
        deal_id,
        company_id,
        row_number() over (
            partition by deal_id
            order by
                case when association_type like '%unlabeled%' then 1 else 0 end,
                company_id
        ) as company_rank

    from deal_company_links

),

contact_sources as (

    select
        contact_id,
        {{ normalized_lead_source('property_value') }} as lead_source,
        case when property_name = 'lead_source' then 1 else 2 end as property_rank,
        changed_at

    from contact_history
    where property_name in ('lead_source', 'hs_analytics_source')
        and {{ normalized_lead_source('property_value') }} is not null

),

ranked_contact_sources as (

    select
        contact_id,
        lead_source,
        row_number() over (
            partition by contact_id
            order by property_rank, changed_at nulls last, lead_source
        ) as source_rank

    from contact_sources

),

contact_original_sources as (

    select
        contacts.contact_id,
        contacts.company_id,
        coalesce(
            ranked_contact_sources.lead_source,
            {{ normalized_lead_source('contacts.lead_source') }}
        ) as original_lead_source

    from contacts
    left join ranked_contact_sources
        on contacts.contact_id = ranked_contact_sources.contact_id
        and ranked_contact_sources.source_rank = 1

),

company_sources as (

    select
        company_id,
        {{ normalized_lead_source('property_value') }} as lead_source,
        case when property_name = 'lead_source' then 1 else 2 end as property_rank,
        changed_at

    from company_history
    where property_name in ('lead_source', 'hs_analytics_source')
        and {{ normalized_lead_source('property_value') }} is not null

),

ranked_company_sources as (

    select
        company_id,
        lead_source,
        row_number() over (
            partition by company_id
            order by property_rank, changed_at nulls last, lead_source
        ) as source_rank

    from company_sources

),

company_original_sources as (

    select
        companies.company_id,
        coalesce(
            ranked_company_sources.lead_source,
            {{ normalized_lead_source('companies.lead_source') }}
        ) as original_lead_source

    from companies
    left join ranked_company_sources
        on companies.company_id = ranked_company_sources.company_id
        and ranked_company_sources.source_rank = 1

),

deal_parties as (

    select
        deals.deal_id,
        primary_contact.contact_id as primary_contact_id,
        coalesce(deal_company.company_id, contact_source.company_id) as company_id,
        contact_source.original_lead_source as contact_lead_source

    from deals
    left join ranked_contacts as primary_contact
        on deals.deal_id = primary_contact.deal_id
        and primary_contact.contact_rank = 1
    left join ranked_companies as deal_company
        on deals.deal_id = deal_company.deal_id
        and deal_company.company_rank = 1
    left join contact_original_sources as contact_source
        on primary_contact.contact_id = contact_source.contact_id

),

final as (

    select
        deal_parties.deal_id,
        deal_parties.primary_contact_id,
        deal_parties.company_id,
        deal_parties.contact_lead_source,
        company_source.original_lead_source as company_lead_source,
        coalesce(
            deal_parties.contact_lead_source,
            company_source.original_lead_source,
            'unknown'
        ) as original_lead_source,
        case
            when deal_parties.contact_lead_source is not null then 'contact'
            when company_source.original_lead_source is not null then 'company'
            else 'none'
        end as original_lead_source_basis

    from deal_parties
    left join company_original_sources as company_source
        on deal_parties.company_id = company_source.company_id

)

select * from final
