{#-
    One row per customer: the CRM company is the master, every other system's id hangs
    from it. The Stripe customers matched to the company (int_identity__stripe_customer_matches:
    metadata first, else email domain) and the one to use when a single id is wanted:
    a metadata match before a domain match, a live customer before a deleted one, then the
    earliest created, then the lowest id. Its price list (Stripe metadata `price_list`) is
    the company's. The domain is the one that identifies the company
    (int_identity__company_domains), null when it is free-mail, internal or shared.
-#}

with

companies as (

    select * from {{ ref('stg_crm__companies') }}

),

company_domains as (

    select * from {{ ref('int_identity__company_domains') }}

),

stripe_matches as (

    select * from {{ ref('int_identity__stripe_customer_matches') }}
    where company_id is not null

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

),

internal_domains as (

    select distinct email_domain as domain
    from rep_addresses
    where email_domain is not null

),

ranked_matches as (

    select
        *,
        row_number() over (
            partition by company_id
            order by
                case match_rule when 'metadata' then 1 else 2 end,
                is_deleted,
                created_at nulls last,
                stripe_customer_id
        ) as customer_rank

    from stripe_matches

),

company_stripe_customers as (

    select
        company_id,
        count(*) as stripe_customer_count,
        {{ dbt.listagg('stripe_customer_id', "','", 'order by stripe_customer_id') }}
            as stripe_customer_ids

    from stripe_matches
    group by company_id

),

final as (

    select
        companies.company_id,
        companies.company_name,
        {{ bare_domain('companies.domain') }} as company_domain,
        company_domains.domain as matching_domain,
        primary_match.stripe_customer_id,
        primary_match.match_rule as stripe_match_rule,
        primary_match.price_list,
        company_stripe_customers.stripe_customer_ids,
        cast(coalesce(company_stripe_customers.stripe_customer_count, 0) as integer)
            as stripe_customer_count,
        {{ is_free_email_domain(bare_domain('companies.domain')) }} as is_free_email_domain,
        internal_domains.domain is not null as is_internal,
        companies.is_archived

    from companies
    left join company_domains
        on companies.company_id = company_domains.company_id
    left join ranked_matches as primary_match
        on companies.company_id = primary_match.company_id
        and primary_match.customer_rank = 1
    left join company_stripe_customers
        on companies.company_id = company_stripe_customers.company_id
    left join internal_domains
        on {{ bare_domain('companies.domain') }} = internal_domains.domain

)

select * from final
