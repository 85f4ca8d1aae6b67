{#-
    Every email address (lower-cased, trimmed) of a CRM contact, one row per address, to
    tie email messages to contacts and customers. stg_crm__contacts keeps one address per
    contact (HubSpot's `hs_additional_emails` is not staged).
    - An address of several contacts (duplicates, a re-created contact) belongs to one: a
      live contact before an archived one, then the earliest created, then the lowest id.
    - A rep's own address (int_rep_addresses) is never a contact's: mail from it is the
      rep's, not a customer's.
    - The company is the contact's primary company; without one, the company that owns
      the address's domain (int_identity__company_domains: never a free-mail domain).
-#}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

company_domains as (

    select * from {{ ref('int_identity__company_domains') }}

),

addresses as (

    select
        contact_id,
        email as email_address,
        {{ email_domain('email') }} as email_domain,
        company_id,
        is_archived,
        contact_created_at

    from contacts
    where email like '%@%'

),

ranked as (

    select
        *,
        count(*) over (partition by email_address) as contacts_with_address,
        row_number() over (
            partition by email_address
            order by is_archived, contact_created_at nulls last, contact_id
        ) as contact_rank

    from addresses
    where not exists (
        select 1
        from rep_addresses
        where rep_addresses.email_address = addresses.email_address
    )

),

final as (

    select
        ranked.email_address,
        ranked.email_domain,
        ranked.contact_id,
        coalesce(ranked.company_id, company_domains.company_id) as company_id,
        case
            when ranked.company_id is not null then 'contact_company'
            when company_domains.company_id is not null then 'email_domain'
        end as company_match_rule,
        {{ is_free_email_domain('ranked.email_domain') }} as is_free_email_domain,
        cast(ranked.contacts_with_address as integer) as contacts_with_address,
        ranked.is_archived as is_contact_archived

    from ranked
    left join company_domains
        on ranked.email_domain = company_domains.domain
    where ranked.contact_rank = 1

)

select * from final
