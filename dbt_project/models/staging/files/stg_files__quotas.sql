with

source as (

    {{ raw_table('files', 'quotas') }}

),

renamed as (

    select
        lower(trim(rep_email)) as rep_email,
        cast(month as date) as quota_month,
        cast(quota_amount as {{ type_source_amount() }}) as quota_amount,
        upper(trim(currency_code)) as currency_code

    from source

)

select * from renamed
