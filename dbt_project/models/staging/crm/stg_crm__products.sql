with

source as (

    {{ raw_table('crm', 'products') }}

),

renamed as (

    select
        id as product_id,
        {{ crm_property('name') }} as product_name,
        {{ crm_property('hs_sku') }} as sku,
        {{ crm_property('description') }} as product_description,
        {{ crm_number('price') }} as unit_price,
        {{ crm_property('hs_recurring_billing_period') }} as recurring_billing_period,
        coalesce({{ crm_timestamp('createdate') }}, created_at) as product_created_at,
        updated_at,
        coalesce(archived, false) as is_archived,
        archived_at

    from source

)

select * from renamed
