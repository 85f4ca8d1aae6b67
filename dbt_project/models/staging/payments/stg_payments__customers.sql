with

source as (

    {{ raw_table('payments', 'customers') }}

),

renamed as (

    select
        id as customer_id,
        name as customer_name,
        lower(trim(email)) as customer_email,
        phone,
        description,
        upper(currency) as currency_code,
        {{ minor_to_major('balance', 'currency') }} as balance,
        coalesce(delinquent, false) as is_delinquent,
        invoice_prefix,
        tax_exempt,
        nullif({{ json_text('metadata', ['hubspot_company_id']) }}, '') as crm_company_id,
        nullif({{ json_text('metadata', ['price_list']) }}, '') as price_list,
        metadata,
        coalesce(livemode, false) as is_livemode,
        coalesce(deleted, false) as is_deleted,
        created as created_at

    from source

)

select * from renamed
