{#-
    One row per price list (list, partner, enterprise in the demo): every name found in the
    prices' or the customers' `metadata.price_list`, with what it holds and who buys from it.
-#}

with

prices as (

    select * from {{ ref('stg_payments__prices') }}

),

customers as (

    select * from {{ ref('stg_payments__customers') }}

),

price_list_names as (

    select price_list from prices where price_list is not null
    union
    select price_list from customers where price_list is not null

),

list_prices as (

    select
        price_list,
        count(*) as prices,
        count(case when is_active and not is_deleted then 1 end) as active_prices,
        count(distinct product_id) as products,
        count(distinct currency_code) as currencies,
        {{ dbt.listagg('distinct currency_code', "','", 'order by currency_code') }} as currency_codes,
        min(created_at) as first_price_created_at

    from prices
    where price_list is not null
    group by price_list

),

list_customers as (

    select
        price_list,
        count(*) as customers

    from customers
    where price_list is not null
        and not is_deleted
    group by price_list

),

final as (

    select
        price_list_names.price_list,
        coalesce(list_prices.prices, 0) as prices,
        coalesce(list_prices.active_prices, 0) as active_prices,
        coalesce(list_prices.products, 0) as products,
        coalesce(list_prices.currencies, 0) as currencies,
        list_prices.currency_codes,
        coalesce(list_customers.customers, 0) as customers,
        list_prices.first_price_created_at

    from price_list_names
    left join list_prices
        on price_list_names.price_list = list_prices.price_list
    left join list_customers
        on price_list_names.price_list = list_customers.price_list

)

select * from final
