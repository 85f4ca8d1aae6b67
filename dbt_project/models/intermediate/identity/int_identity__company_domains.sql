{#-
    The web domains that identify a CRM company, one row per domain: an email address at
    the domain belongs to the company. A company's domain is its `domain` property reduced
    to the bare host (stg_crm__companies keeps one domain per company; HubSpot's
    `hs_additional_domains` is not staged).
    Never matched, and so absent here:
    - free-mail domains (the var `free_email_domains`): anyone can have an address there;
    - the reps' own domains (int_rep_addresses): mail at them is internal;
    - a domain shared by several live companies (ambiguous). A domain shared by a live
      company and archived ones belongs to the live one; shared by archived companies
      only, to the most recently created of them (then the lowest id).
-#}

with

companies as (

    select * from {{ ref('stg_crm__companies') }}

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

company_domains as (

    select
        company_id,
        {{ bare_domain('domain') }} as domain,
        is_archived,
        company_created_at

    from companies

),

internal_domains as (

    select distinct email_domain as domain
    from rep_addresses
    where email_domain is not null

),

eligible as (

    select company_domains.*
    from company_domains
    where company_domains.domain is not null
        and not {{ is_free_email_domain('company_domains.domain') }}
        and not exists (
            select 1
            from internal_domains
            where internal_domains.domain = company_domains.domain
        )

),

ranked as (

    select
        *,
        sum(case when is_archived then 0 else 1 end) over (partition by domain) as live_companies,
        count(*) over (partition by domain) as companies,
        row_number() over (
            partition by domain
            order by is_archived, company_created_at desc nulls last, company_id
        ) as company_rank

    from eligible

),

final as (

    select
        domain,
        company_id,
        cast(companies as integer) as company_count,
        is_archived as is_company_archived

    from ranked
    where company_rank = 1
        and live_companies <= 1

)

select * from final
