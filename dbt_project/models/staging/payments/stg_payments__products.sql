with

source as (

    {{ raw_table('payments', 'products') }}

),

renamed as (

    select
        id as product_id,
        name as product_name,
        description,
        type as product_type,
        default_price as default_price_id,
        unit_label,
        tax_code,
        nullif({{ json_text('metadata', ['sku']) }}, '') as sku,
        metadata,
        coalesce(active, false) as is_active,
        coalesce(livemode, false) as is_livemode,
        coalesce(deleted, false) as is_deleted,
        created as created_at,
        updated as updated_at

    from source

)

select * from renamed
