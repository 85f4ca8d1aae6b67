{#-
    One row per CRM contact (a lead or a person at a customer): email, name, customer
    (CRM company), owner rep, lead source original and current, created, archived.
    The original lead source is int_crm_original_lead_sources' (kpis.md "bookings by
    source"); lead sources are trimmed and lower-cased.
-#}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

original_sources as (

    select * from {{ ref('int_crm_original_lead_sources') }}
    where object_type = 'contact'

),

rep_addresses as (

    select * from {{ ref('int_rep_addresses') }}

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
        original_sources.original_lead_source as lead_source_original,
        original_sources.current_lead_source as lead_source_current,
        contacts.contact_created_at as created_at,
        {{ company_date('contacts.contact_created_at') }} as created_date,
        rep_addresses.email_address is not null as is_rep_address,
        contacts.is_archived,
        contacts.archived_at,
        contacts.updated_at

    from contacts
    left join original_sources
        on contacts.contact_id = original_sources.object_id
    left join rep_addresses
        on contacts.email = rep_addresses.email_address

)

select * from final
