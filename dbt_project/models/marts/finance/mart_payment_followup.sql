{#-
    The payment follow-up list (kpis.md): every invoice open at the end of the as-of date
    (company time, macros/as_of.sql) and at least one day past due then, with who to call
    and what happened at the last payment attempt. The open invoices and their amounts due
    are AR's at the as-of date (int_receivables_month_end, as in mart_ar_aging), rebuilt
    from the status instants and charges, so a past as-of date restates the list as it
    stood then.
-#}

with

receivables as (

    select * from {{ ref('int_receivables_month_end') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

charges as (

    select * from {{ ref('fct_payments') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

-- The as-of date is one of AR's snapshots: the open invoices with their amounts due then.
overdue_invoices as (

    select
        invoice_id,
        customer_id,
        crm_deal_id,
        amount_due_reporting,
        days_past_due,
        is_missing_fx_rate

    from receivables
    where snapshot_date = {{ as_of_date() }}
        and days_past_due >= 1

),

-- Payment attempts (succeeded or failed) made by the end of the as-of date.
attempts as (

    select
        charges.invoice_id,
        charges.charge_id,
        charges.attempted_at,
        charges.status,
        charges.failure_code

    from charges
    inner join overdue_invoices
        on charges.invoice_id = overdue_invoices.invoice_id
    where charges.payment_date <= {{ as_of_date() }}

),

invoice_attempts as (

    select
        invoice_id,
        max(attempted_at) as last_attempt_at

    from attempts
    group by invoice_id

),

-- The latest attempt; among attempts of the same second, the highest charge id (as
-- fct_invoices.last_attempt_charge_id).
last_attempt_ids as (

    select
        attempts.invoice_id,
        max(attempts.charge_id) as charge_id

    from attempts
    inner join invoice_attempts
        on attempts.invoice_id = invoice_attempts.invoice_id
        and attempts.attempted_at = invoice_attempts.last_attempt_at
    group by attempts.invoice_id

),

last_attempts as (

    select
        attempts.invoice_id,
        attempts.attempted_at,
        case when attempts.status = 'failed' then attempts.failure_code end as failure_reason

    from last_attempt_ids
    inner join attempts
        on last_attempt_ids.charge_id = attempts.charge_id

),

-- The customer is the CRM company whose Stripe customer was billed (dim_customer); a
-- Stripe customer that is not its company's chosen one falls back to the company the
-- invoice names (metadata hubspot_company_id).
final as (

    select
        overdue_invoices.invoice_id,
        overdue_invoices.customer_id,
        coalesce(billed_customers.customer_id, invoice_companies.customer_id) as crm_company_id,
        coalesce(billed_customers.customer_name, invoice_companies.customer_name)
            as customer_name,
        -- The owner at close of the deal invoiced; none for an invoice without a deal.
        case when deals.is_closed then deals.rep_id end as rep_id,
        coalesce(billed_customers.owner_rep_id, invoice_companies.owner_rep_id)
            as account_owner_rep_id,
        overdue_invoices.crm_deal_id as deal_id,
        overdue_invoices.amount_due_reporting as amount_due_amount,
        overdue_invoices.days_past_due as days_overdue,
        last_attempts.attempted_at as last_attempt_at,
        last_attempts.failure_reason as last_failure_reason,
        overdue_invoices.is_missing_fx_rate

    from overdue_invoices
    inner join invoices
        on overdue_invoices.invoice_id = invoices.invoice_id
    left join last_attempts
        on overdue_invoices.invoice_id = last_attempts.invoice_id
    left join customers as billed_customers
        on overdue_invoices.customer_id = billed_customers.stripe_customer_id
    left join customers as invoice_companies
        on invoices.crm_company_id = invoice_companies.customer_id
    left join deals
        on overdue_invoices.crm_deal_id = deals.deal_id

)

select * from final
