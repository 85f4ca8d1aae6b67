with

source as (

    {{ raw_table('crm', 'companies') }}

),

renamed as (

    select
        id as company_id,
        {{ crm_property('name') }} as company_name,
        lower(trim({{ crm_property('domain') }})) as domain,
        upper({{ crm_property('country') }}) as country,
        {{ crm_property('timezone') }} as timezone,
        {{ crm_property('industry') }} as industry,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        {{ crm_property('lifecyclestage') }} as lifecycle_stage,
        coalesce({{ crm_property('lead_source') }}, {{ crm_property('hs_analytics_source') }})
            as lead_source,
        {{ crm_integer('numberofemployees') }} as number_of_employees,
        {{ crm_number('annualrevenue') }} as annual_revenue,
        coalesce({{ crm_timestamp('createdate') }}, created_at) as company_created_at,
        updated_at,
        coalesce(archived, false) as is_archived,
        archived_at

    from source

)

select * from renamed
