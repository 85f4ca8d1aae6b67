{#-
    Money per company-time month (kpis.md "Money after the deal", and bookings): from the
    first month with a booking, an invoice, a charge or a refund through the month of the
    as-of date, months without activity included. Events dated after the as-of date are
    left out, and the as-of month's DSO is taken at the as-of date.
-#}

{%- set expansion_deal_types = var('expansion_deal_types', ['existingbusiness']) %}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

cash_movements as (

    select * from {{ ref('int_payments__cash_movements') }}

),

stripe_customers as (

    select * from {{ ref('int_identity__stripe_customer_matches') }}

),

receivables as (

    select * from {{ ref('int_receivables_month_end') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

-- The first succeeded charge of each CRM company, over all its Stripe customers.
company_first_payments as (

    select
        stripe_customers.company_id,
        min(cash_movements.moved_at) as first_paid_at

    from cash_movements
    inner join stripe_customers
        on cash_movements.customer_id = stripe_customers.stripe_customer_id
    where cash_movements.movement_type = 'charge'
        and stripe_customers.company_id is not null
    group by stripe_customers.company_id

),

won_deals as (

    select
        {{ month_start('deals.close_date') }} as month,
        deals.amount_at_close_reporting as amount_reporting,
        deals.amount_at_close is not null
            and deals.amount_at_close_reporting is null as is_missing_fx_rate,
        -- Expansion: existing business on a customer that had already paid (a charge
        -- refunded later still counts as paid).
        coalesce(
            lower(deals.deal_type) in {{ lower_literal_list(expansion_deal_types) }}
            and company_first_payments.first_paid_at < deals.closed_at,
            false
        ) as is_expansion

    from deals
    left join company_first_payments
        on deals.company_id = company_first_payments.company_id
    where deals.is_won
        and not deals.is_archived
        and not deals.is_test_deal
        and deals.close_date <= {{ as_of_date() }}

),

bookings_monthly as (

    select
        month,
        sum(amount_reporting) as bookings_amount,
        sum(case when is_expansion then amount_reporting end) as expansion_bookings_amount,
        count(case when is_missing_fx_rate then 1 end) as missing_fx_rates

    from won_deals
    group by month

),

-- Invoiced revenue by invoice date: finalized, never voided (uncollectible counts).
invoiced_daily as (

    select
        invoice_date,
        sum(total_reporting) as invoiced_amount,
        count(case when is_missing_fx_rate then 1 end) as missing_fx_rates

    from invoices
    where is_finalized
        and invoice_date <= {{ as_of_date() }}
    group by invoice_date

),

invoiced_monthly as (

    select
        {{ month_start('invoice_date') }} as month,
        sum(invoiced_amount) as invoiced_amount,
        sum(missing_fx_rates) as missing_fx_rates

    from invoiced_daily
    group by {{ month_start('invoice_date') }}

),

dated_movements as (

    select *
    from cash_movements
    where movement_date <= {{ as_of_date() }}

),

-- Charges in on their payment date, refunds out on their own date.
cash_monthly as (

    select
        movement_month as month,
        sum(amount_reporting) as collected_amount,
        sum(case when movement_type = 'refund' then -amount_reporting end) as refunded_amount,
        count(case when is_missing_fx_rate then 1 end) as missing_fx_rates

    from dated_movements
    group by movement_month

),

-- Each customer's net collected cash per month, and whether a charge succeeded in it.
customer_months as (

    select
        customer_id,
        movement_month as month,
        sum(amount_reporting) as net_collected_amount,
        count(case when movement_type = 'charge' then 1 end) > 0 as is_payer

    from dated_movements
    where customer_id is not null
    group by
        customer_id,
        movement_month

),

activity_months as (

    select month from bookings_monthly
    union all
    select month from invoiced_monthly
    union all
    select month from cash_monthly

),

first_month as (

    select min(month) as month
    from activity_months

),

months as (

    select
        calendar.month_start_date as month,
        -- The as-of month ends, for DSO, at the as-of date.
        case
            when calendar.month_end_date > {{ as_of_date() }} then {{ as_of_date() }}
            else calendar.month_end_date
        end as period_end_date

    from calendar
    inner join first_month
        on calendar.month_start_date >= first_month.month
    where calendar.day_of_month = 1
        and calendar.date_day <= {{ as_of_date() }}

),

-- Invoiced revenue of the 90 days ending on (and including) the period's last day.
invoiced_last_90_days as (

    select
        months.month,
        sum(invoiced_daily.invoiced_amount) as invoiced_amount

    from months
    inner join invoiced_daily
        on invoiced_daily.invoice_date <= months.period_end_date
        and invoiced_daily.invoice_date
            > {{ dbt.dateadd('day', -90, 'months.period_end_date') }}
    group by months.month

),

receivables_at_period_end as (

    select
        months.month,
        sum(receivables.amount_due_reporting) as receivables_amount,
        count(case when receivables.is_missing_fx_rate then 1 end) as missing_fx_rates

    from months
    inner join receivables
        on months.period_end_date = receivables.snapshot_date
    group by months.month

),

-- Logo retention of month P, by the payers of P-1.
logo_retention as (

    select
        cast({{ dbt.dateadd('month', 1, 'prior_month.month') }} as date) as month,
        count(*) as prior_payers,
        count(this_month.customer_id) as retained_payers

    from customer_months as prior_month
    left join customer_months as this_month
        on prior_month.customer_id = this_month.customer_id
        and this_month.month = cast({{ dbt.dateadd('month', 1, 'prior_month.month') }} as date)
        and this_month.is_payer
    where prior_month.is_payer
    group by cast({{ dbt.dateadd('month', 1, 'prior_month.month') }} as date)

),

-- Net revenue retention of month P, by the payers of P-12 months and their net cash.
net_revenue_retention as (

    select
        cast({{ dbt.dateadd('month', 12, 'cohort_month.month') }} as date) as month,
        sum(cohort_month.net_collected_amount) as cohort_base_amount,
        coalesce(sum(this_month.net_collected_amount), 0) as cohort_current_amount

    from customer_months as cohort_month
    left join customer_months as this_month
        on cohort_month.customer_id = this_month.customer_id
        and this_month.month = cast({{ dbt.dateadd('month', 12, 'cohort_month.month') }} as date)
    where cohort_month.is_payer
    group by cast({{ dbt.dateadd('month', 12, 'cohort_month.month') }} as date)

),

payers_monthly as (

    select
        month,
        count(*) as paying_customers

    from customer_months
    where is_payer
    group by month

),

final as (

    select
        months.month,
        cast(coalesce(bookings_monthly.bookings_amount, 0) as {{ type_money() }})
            as bookings_amount,
        cast(coalesce(bookings_monthly.expansion_bookings_amount, 0) as {{ type_money() }})
            as expansion_bookings_amount,
        cast(coalesce(invoiced_monthly.invoiced_amount, 0) as {{ type_money() }})
            as invoiced_amount,
        cast(coalesce(cash_monthly.collected_amount, 0) as {{ type_money() }})
            as collected_amount,
        cast(coalesce(cash_monthly.refunded_amount, 0) as {{ type_money() }})
            as refunded_amount,
        cast(coalesce(receivables_at_period_end.receivables_amount, 0) as {{ type_money() }})
            as receivables_amount,
        cast(coalesce(invoiced_last_90_days.invoiced_amount, 0) as {{ type_money() }})
            as invoiced_last_90_days_amount,
        -- Ratios of whole cents: integers convert to doubles exactly on every engine, so
        -- one IEEE division gives the same last digit on DuckDB and PostgreSQL.
        {{ safe_divide(
            'cast(coalesce(receivables_at_period_end.receivables_amount, 0) * 9000 as bigint)',
            'cast(invoiced_last_90_days.invoiced_amount * 100 as bigint)'
        ) }} as dso_days,
        {{ safe_divide('logo_retention.retained_payers', 'logo_retention.prior_payers') }}
            as logo_retention_rate,
        case
            when net_revenue_retention.cohort_base_amount > 0
                then {{ safe_divide(
                    'cast(net_revenue_retention.cohort_current_amount * 100 as bigint)',
                    'cast(net_revenue_retention.cohort_base_amount * 100 as bigint)'
                ) }}
        end as net_revenue_retention_rate,
        cast(coalesce(payers_monthly.paying_customers, 0) as integer) as paying_customers,
        cast(
            coalesce(bookings_monthly.missing_fx_rates, 0)
            + coalesce(invoiced_monthly.missing_fx_rates, 0)
            + coalesce(cash_monthly.missing_fx_rates, 0)
            + coalesce(receivables_at_period_end.missing_fx_rates, 0)
            as integer
        ) as events_missing_fx_rate

    from months
    left join bookings_monthly
        on months.month = bookings_monthly.month
    left join invoiced_monthly
        on months.month = invoiced_monthly.month
    left join cash_monthly
        on months.month = cash_monthly.month
    left join invoiced_last_90_days
        on months.month = invoiced_last_90_days.month
    left join receivables_at_period_end
        on months.month = receivables_at_period_end.month
    left join logo_retention
        on months.month = logo_retention.month
    left join net_revenue_retention
        on months.month = net_revenue_retention.month
    left join payers_monthly
        on months.month = payers_monthly.month

)

select * from final
