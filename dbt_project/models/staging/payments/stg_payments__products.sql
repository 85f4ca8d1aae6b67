with

source as (

    {{ raw_table('payments', 'products') }}

),

-- One row per id after dlt's merge; should a table ever hold several snapshots of an
-- object, the one the loader ranks highest wins (the deleted one, else the newest).
ranked as (

    select
        *,
        row_number() over (
            partition by id
            order by _state_rank desc, _event_id desc nulls last
        ) as snapshot_number

    from source

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

    from ranked
    where snapshot_number = 1

)

select * from renamed
