{%- set default_currency = var('crm_default_currency') or var('reporting_currency') -%}

with

source as (

    {{ raw_table('crm', 'deals') }}

),

renamed as (

    select
        id as deal_id,
        {{ json_text('properties', ['dealname']) }} as deal_name,
        {{ json_text('properties', ['pipeline']) }} as pipeline_id,
        {{ json_text('properties', ['dealstage']) }} as stage_id,
        nullif({{ json_text('properties', ['hubspot_owner_id']) }}, '') as owner_id,
        nullif({{ json_text('properties', ['dealtype']) }}, '') as deal_type,
        upper(coalesce(
            nullif({{ json_text('properties', ['deal_currency_code']) }}, ''),
            '{{ default_currency }}'
        )) as currency_code,
        cast(nullif({{ json_text('properties', ['amount']) }}, '') as {{ type_source_amount() }})
            as amount,
        coalesce({{ iso_timestamp(json_text('properties', ['createdate'])) }}, created_at)
            as deal_created_at,
        {{ iso_timestamp(json_text('properties', ['closedate'])) }} as closed_at,
        coalesce(
            lower({{ json_text('properties', [var('crm_test_deal_property')]) }}) = 'true', false
        ) as is_test_deal,
        coalesce(archived, false) as is_archived,
        updated_at

    from source

)

select * from renamed
