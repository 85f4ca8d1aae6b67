with

pipelines as (

    {{ raw_table('crm', 'deal_pipelines') }}

),

stages as (

    select
        pipelines.id as pipeline_id,
        pipelines.label as pipeline_name,
        pipelines.display_order as pipeline_order,
        {{ json_text('stage.element', ['id']) }} as stage_id,
        {{ json_text('stage.element', ['label']) }} as stage_name,
        cast({{ json_text('stage.element', ['displayOrder']) }} as integer) as stage_order,
        cast(
            nullif({{ json_text('stage.element', ['metadata', 'probability']) }}, '')
            as {{ type_source_amount() }}
        ) as probability,
        coalesce({{ json_text('stage.element', ['metadata', 'isClosed']) }} = 'true', false)
            as is_closed,
        coalesce(pipelines.archived, false)
        or coalesce({{ json_text('stage.element', ['archived']) }} = 'true', false) as is_archived

    from pipelines
    {{ json_array_elements('pipelines.stages', 'stage') }}

),

classified as (

    select
        *,
        -- HubSpot marks outcomes only through stage metadata: closed at 100% is won.
        is_closed and probability = 1 as is_won,
        is_closed and coalesce(probability, 0) < 1 as is_lost

    from stages

)

select * from classified
