{%- set default_currency = var('crm_default_currency') or var('reporting_currency') -%}

with

source as (

    {{ raw_table('crm', 'quotes') }}

),

deal_links as (

    {{ crm_association_links('source', 'deals', 'quote_id', 'deal_id') }}

),

ranked_deal_links as (

    select
        quote_id,
        deal_id,
        row_number() over (
            partition by quote_id
            order by {{ crm_association_preference('deal_id') }}
        ) as link_rank

    from deal_links

),

renamed as (

    select
        source.id as quote_id,
        ranked_deal_links.deal_id,
        {{ crm_property('hs_title') }} as quote_title,
        upper({{ crm_property('hs_status') }}) as quote_status,
        coalesce(
            upper({{ crm_property('hs_status') }}) in ('APPROVED', 'APPROVAL_NOT_NEEDED'), false
        ) as is_approved,
        upper(coalesce({{ crm_property('hs_currency') }}, '{{ default_currency }}'))
            as currency_code,
        {{ crm_number('hs_quote_amount') }} as quote_amount,
        {{ crm_date('hs_expiration_date') }} as expiration_date,
        {{ crm_property('price_list') }} as price_list,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        coalesce({{ crm_timestamp('createdate') }}, source.created_at) as quote_created_at,
        source.updated_at,
        coalesce(source.archived, false) as is_archived,
        source.archived_at

    from source
    left join ranked_deal_links
        on source.id = ranked_deal_links.quote_id
        and ranked_deal_links.link_rank = 1

)

select * from renamed
