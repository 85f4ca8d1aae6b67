{#-
    One row per customer, keyed by the CRM company id (the master of customer identity),
    with its Stripe customer (int_customer_identity), its owner rep and where it stands.
    Archived (deleted) companies stay, flagged; internal accounts (a company at the reps'
    own domain) are flagged for the measures to leave out.
-#}

with

companies as (

    select * from {{ ref('stg_crm__companies') }}

),

identity as (

    select * from {{ ref('int_customer_identity') }}

),

stripe_customers as (

    select * from {{ ref('stg_payments__customers') }}

),

final as (

    select
        companies.company_id as customer_id,
        companies.company_name as customer_name,
        identity.company_domain as domain,
        identity.stripe_customer_id,
        identity.stripe_customer_ids,
        identity.stripe_customer_count,
        identity.stripe_match_rule,
        stripe_customers.customer_name as stripe_customer_name,
        identity.price_list,
        companies.owner_id as owner_rep_id,
        companies.country,
        companies.industry,
        companies.lifecycle_stage,
        {{ normalized_lead_source('companies.lead_source') }} as lead_source,
        companies.company_created_at as created_at,
        {{ company_date('companies.company_created_at') }} as created_date,
        identity.is_internal,
        companies.is_archived,
        companies.archived_at,
        companies.updated_at

    from companies
    inner join identity
        on companies.company_id = identity.company_id
    left join stripe_customers
        on identity.stripe_customer_id = stripe_customers.customer_id

)

select * from final
