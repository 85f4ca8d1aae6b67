{#-
    Which CRM company (the master of customer identity) each Stripe customer belongs to,
    one row per Stripe customer, by the first rule that applies:
    1. `metadata`: the Stripe metadata `hubspot_company_id` names a company of the CRM;
    2. `email_domain`: the domain of the customer's email is the domain of exactly one
       company (int_identity__company_domains: free-mail, internal and ambiguous domains
       never match; a free-mail address is refused here too, whatever the companies say).
    A metadata id that names no CRM company does not stop rule 2. Otherwise the customer
    stays unmatched, with the reason.
-#}

with

stripe_customers as (

    select * from {{ ref('stg_payments__customers') }}

),

companies as (

    select * from {{ ref('stg_crm__companies') }}

),

company_domains as (

    select * from {{ ref('int_identity__company_domains') }}

),

customer_domains as (

    select
        customer_id,
        customer_name,
        customer_email,
        {{ email_domain('customer_email') }} as email_domain,
        crm_company_id as metadata_company_id,
        price_list,
        is_deleted,
        is_livemode,
        created_at

    from stripe_customers

),

candidates as (

    select
        customer_domains.*,
        metadata_company.company_id as metadata_match_company_id,
        case
            when not {{ is_free_email_domain('customer_domains.email_domain') }}
                then domain_company.company_id
        end as domain_match_company_id,
        {{ is_free_email_domain('customer_domains.email_domain') }} as is_free_email_domain

    from customer_domains
    left join companies as metadata_company
        on customer_domains.metadata_company_id = metadata_company.company_id
    left join company_domains as domain_company
        on customer_domains.email_domain = domain_company.domain

),

final as (

    select
        customer_id as stripe_customer_id,
        customer_name,
        customer_email,
        email_domain,
        metadata_company_id,
        price_list,
        coalesce(metadata_match_company_id, domain_match_company_id) as company_id,
        case
            when metadata_match_company_id is not null then 'metadata'
            when domain_match_company_id is not null then 'email_domain'
        end as match_rule,
        case
            when metadata_match_company_id is not null or domain_match_company_id is not null
                then null
            when email_domain is null then 'no_email_domain'
            when is_free_email_domain then 'free_email_domain'
            else 'no_company_with_domain'
        end as unmatched_reason,
        metadata_company_id is not null and metadata_match_company_id is null
            as has_unknown_metadata_company,
        is_free_email_domain,
        is_deleted,
        is_livemode,
        created_at

    from candidates

)

select * from final
