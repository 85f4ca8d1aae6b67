{#-
    One row per Stripe invoice in its current state, with the instants of each status change
    (finalized, paid, voided, marked uncollectible) so that AR can be rebuilt as of any
    date, its amounts natively and in the reporting currency at the invoice date, and its
    last payment attempt (for the payment follow-up list).
-#}

with

invoices as (

    select * from {{ ref('stg_payments__invoices') }}

),

-- The charges as fct_payments holds them (a table: PostgreSQL plans joins on it well).
charges as (

    select * from {{ ref('fct_payments') }}

),

fx_rates as (

    select * from {{ ref('int_fx_daily_rates') }}

),

invoice_charges as (

    select
        invoice_id,
        count(*) as payment_attempts,
        count(case when status = 'failed' then 1 end) as failed_payment_attempts,
        sum(collected_amount) as amount_collected,
        min(paid_at) as first_payment_at,
        max(paid_at) as last_payment_at,
        max(attempted_at) as last_attempt_at

    from charges
    where invoice_id is not null
    group by invoice_id

),

-- The invoice's latest charge, succeeded or failed (the highest id among charges of the
-- same second). Aggregates rather than a row_number() filter: PostgreSQL estimates the
-- rows of such a filter at almost none and would plan nested loops over every invoice.
last_attempt_ids as (

    select
        charges.invoice_id,
        max(charges.charge_id) as charge_id

    from charges
    inner join invoice_charges
        on charges.invoice_id = invoice_charges.invoice_id
        and charges.attempted_at = invoice_charges.last_attempt_at
    group by charges.invoice_id

),

last_attempts as (

    select
        last_attempt_ids.invoice_id,
        charges.charge_id,
        charges.attempted_at,
        charges.status,
        case when charges.status = 'failed' then charges.failure_code end as failure_code,
        case when charges.status = 'failed' then charges.failure_message end as failure_message

    from last_attempt_ids
    inner join charges
        on last_attempt_ids.charge_id = charges.charge_id

),

invoice_facts as (

    select
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.customer_id,
        invoices.crm_deal_id,
        invoices.crm_company_id,
        invoices.status,
        invoices.billing_reason,
        invoices.collection_method,
        invoices.billing_schedule,
        invoices.installment,
        invoices.created_at,
        invoices.finalized_at,
        invoices.due_at,
        invoices.paid_at,
        invoices.voided_at,
        invoices.marked_uncollectible_at,
        {{ company_date('invoices.created_at') }} as created_date,
        -- Drafts are not invoices yet: the invoice date is the day it was finalized.
        {{ company_date('invoices.finalized_at') }} as invoice_date,
        {{ company_date('invoices.due_at') }} as due_date,
        {{ company_date('invoices.paid_at') }} as paid_date,
        invoices.currency_code,
        invoices.subtotal,
        invoices.tax,
        invoices.total,
        invoices.amount_due,
        invoices.amount_paid,
        invoices.amount_remaining,
        cast(coalesce(invoice_charges.amount_collected, 0) as {{ type_source_amount() }})
            as amount_collected,
        coalesce(invoice_charges.payment_attempts, 0) as payment_attempts,
        coalesce(invoice_charges.failed_payment_attempts, 0) as failed_payment_attempts,
        invoice_charges.first_payment_at,
        invoice_charges.last_payment_at,
        last_attempts.charge_id as last_attempt_charge_id,
        last_attempts.attempted_at as last_attempt_at,
        last_attempts.status as last_attempt_status,
        last_attempts.failure_code as last_failure_code,
        last_attempts.failure_message as last_failure_message,
        -- Invoiced revenue (kpis.md): finalized, not void; uncollectible still counts.
        (
            invoices.finalized_at is not null
            and invoices.voided_at is null
            and invoices.status not in ('draft', 'void')
            and not invoices.is_deleted
        ) as is_finalized,
        invoices.status = 'open' as is_open,
        invoices.is_deleted,
        invoices.is_livemode

    from invoices
    left join invoice_charges
        on invoices.invoice_id = invoice_charges.invoice_id
    left join last_attempts
        on invoices.invoice_id = last_attempts.invoice_id

),

dated as (

    select
        invoice_facts.*,
        -- A draft converts at its creation day, until it has an invoice date.
        coalesce(invoice_date, created_date) as fx_rate_date

    from invoice_facts

),

converted as (

    select
        dated.invoice_id,
        dated.invoice_number,
        dated.customer_id,
        dated.crm_deal_id,
        dated.crm_company_id,
        dated.status,
        dated.billing_reason,
        dated.collection_method,
        dated.billing_schedule,
        dated.installment,
        dated.created_at,
        dated.finalized_at,
        dated.due_at,
        dated.paid_at,
        dated.voided_at,
        dated.marked_uncollectible_at,
        dated.created_date,
        dated.invoice_date,
        dated.due_date,
        dated.paid_date,
        dated.fx_rate_date,
        dated.currency_code,
        dated.subtotal,
        dated.tax,
        dated.total,
        dated.amount_due,
        dated.amount_paid,
        dated.amount_remaining,
        dated.amount_collected,
        {{ convert_to_reporting('dated.total', 'fx') }} as total_reporting,
        {{ convert_to_reporting('dated.amount_due', 'fx') }} as amount_due_reporting,
        {{ convert_to_reporting('dated.amount_paid', 'fx') }} as amount_paid_reporting,
        {{ convert_to_reporting('dated.amount_remaining', 'fx') }} as amount_remaining_reporting,
        dated.payment_attempts,
        dated.failed_payment_attempts,
        dated.first_payment_at,
        dated.last_payment_at,
        dated.last_attempt_charge_id,
        dated.last_attempt_at,
        dated.last_attempt_status,
        dated.last_failure_code,
        dated.last_failure_message,
        dated.is_finalized,
        dated.is_open,
        dated.is_deleted,
        dated.is_livemode,
        {{ is_missing_fx_rate('dated.total', 'fx') }} as is_missing_fx_rate

    from dated
    {{ fx_daily_rate_joins('fx_rates', 'dated.currency_code', 'dated.fx_rate_date', 'fx') }}

)

select * from converted
