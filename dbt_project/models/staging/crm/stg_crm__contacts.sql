with

source as (

    {{ raw_table('crm', 'contacts') }}

),

company_links as (

    {{ crm_association_links('source', 'companies', 'contact_id', 'company_id') }}

),

ranked_company_links as (

    select
        contact_id,
        company_id,
        row_number() over (
            partition by contact_id
            order by {{ crm_association_preference('company_id') }}
        ) as link_rank

    from company_links

),

renamed as (

    select
        source.id as contact_id,
        lower(trim({{ crm_property('email') }})) as email,
        nullif(split_part(lower(trim({{ crm_property('email') }})), '@', 2), '') as email_domain,
        {{ crm_property('firstname') }} as first_name,
        {{ crm_property('lastname') }} as last_name,
        nullif(trim(concat(
            concat(coalesce({{ crm_property('firstname') }}, ''), ' '),
            coalesce({{ crm_property('lastname') }}, '')
        )), '') as contact_name,
        coalesce({{ crm_property('associatedcompanyid') }}, ranked_company_links.company_id)
            as company_id,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        {{ crm_property('lifecyclestage') }} as lifecycle_stage,
        coalesce({{ crm_property('lead_source') }}, {{ crm_property('hs_analytics_source') }})
            as lead_source,
        {{ crm_property('hs_analytics_source') }} as analytics_source,
        {{ crm_property('hs_analytics_source_data_1') }} as analytics_source_detail,
        coalesce({{ crm_timestamp('createdate') }}, source.created_at) as contact_created_at,
        source.updated_at,
        coalesce(source.archived, false) as is_archived,
        source.archived_at

    from source
    left join ranked_company_links
        on source.id = ranked_company_links.contact_id
        and ranked_company_links.link_rank = 1

)

select * from renamed
