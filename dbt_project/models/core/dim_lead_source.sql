{#-
    One row per lead source value a deal can be credited to (kpis.md "bookings by
    source"): every source, current or historical, of a contact or company, as
    int_deal_original_lead_source normalizes them (trimmed, lower case), and `unknown`.
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

deal_sources as (

    select * from {{ ref('int_deal_original_lead_source') }}

),

source_values as (

    select {{ normalized_lead_source('lead_source') }} as lead_source from contacts
    union
    select {{ normalized_lead_source('lead_source') }} from companies
    union
    select {{ normalized_lead_source('property_value') }} from contact_history
    where property_name in ('lead_source', 'hs_analytics_source')
    union
    select {{ normalized_lead_source('property_value') }} from company_history
    where property_name in ('lead_source', 'hs_analytics_source')
    union
    select original_lead_source from deal_sources
    union
    select 'unknown'

),

final as (

    select
        lead_source,
        lead_source = 'unknown' as is_unknown

    from source_values
    where lead_source is not null

)

select * from final
