{#-
    Each published rate holds from its day until the next published day, so that a day
    without a rate converts at the latest earlier one (kpis.md). US dollars are the base
    of the rate file and always convert at 1.
-#}

with

rates as (

    select * from {{ ref('stg_files__fx_rates') }}
    where currency_code <> 'USD'

),

periods as (

    select
        currency_code,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency_code order by rate_date) as valid_to,
        units_per_usd

    from rates

),

us_dollar as (

    select
        'USD' as currency_code,
        cast('1900-01-01' as date) as valid_from,
        cast(null as date) as valid_to,
        cast(1 as {{ type_source_amount() }}) as units_per_usd

)

select * from periods
union all
select * from us_dollar
