with

source as (

    {{ raw_table('files', 'fx_rates') }}

),

renamed as (

    select
        cast(date as date) as rate_date,
        upper(currency_code) as currency_code,
        cast(units_per_usd as {{ type_source_amount() }}) as units_per_usd

    from source

)

select * from renamed
