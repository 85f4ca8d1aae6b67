{#-
    Each deal's primary contact, company and original lead source (kpis.md "bookings by
    source"): the earliest source of its primary contact, else its company's, else
    `unknown`.
    - Primary contact: int_deal_contacts.
    - Company: the deal's associated company (labeled, HubSpot's primary, first), else its
      primary contact's company.
    - Original source of a contact or company: int_crm_original_lead_sources.
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

deal_contacts as (

    select * from {{ ref('int_deal_contacts') }}

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

original_sources as (

    select * from {{ ref('int_crm_original_lead_sources') }}

),

deal_parties as (

    select
        deals.deal_id,
        primary_contact.contact_id as primary_contact_id,
        coalesce(deal_company.company_id, contact.company_id) as company_id,
        contact_source.original_lead_source as contact_lead_source

    from deals
    left join deal_contacts as primary_contact
        on deals.deal_id = primary_contact.deal_id
        and primary_contact.is_primary_contact
    left join ranked_companies as deal_company
        on deals.deal_id = deal_company.deal_id
        and deal_company.company_rank = 1
    left join contacts as contact
        on primary_contact.contact_id = contact.contact_id
    left join original_sources as contact_source
        on contact_source.object_type = 'contact'
        and primary_contact.contact_id = contact_source.object_id

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
    left join original_sources as company_source
        on company_source.object_type = 'company'
        and deal_parties.company_id = company_source.object_id

)

select * from final
