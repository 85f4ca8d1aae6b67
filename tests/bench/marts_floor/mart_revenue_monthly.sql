-- Floor of mart_revenue_monthly: hand-written DuckDB over the staging views only.
-- Months (Jakarta) from the first booking, invoice, charge or refund through the as-of date
-- (the variable as_of_date); events after it left out. Amounts in USD at the event date's rate (the latest
-- published on or before it), rounded half away from zero to cents per event, exactly:
-- cents = floor((2 |a| 10^6 100 + u 10^6) / (2 u 10^6)) with u = units per USD. Events
-- missing a rate: bookings, invoices, charges and refunds of the month, and the invoices
-- open at its period end, whose amount has no rate.
with
fx as (
    select currency_code, rate_date, units_per_usd
    from staging.stg_files__fx_rates
    where currency_code <> 'USD'
),

-- Deals won, counted (not archived, not test), with their amount at the close instant.
stages as (
    select pipeline_id, stage_id, is_won
    from staging.stg_crm__deal_pipeline_stages
),
amount_changes as (
    select
        deal_id,
        nullif(property_value, '') as property_value,
        changed_at,
        lead(changed_at) over (
            partition by deal_id order by changed_at, nullif(property_value, '') nulls first
        ) as next_changed_at
    from staging.stg_crm__deal_property_history
    where property_name = 'amount' and changed_at is not null
),
-- The change in force at the close: the latest one at or before it that was not
-- overwritten at the same instant.
amounts_at_close as (
    select
        deals.deal_id,
        arg_max(amount_changes.property_value, amount_changes.changed_at) as property_value
    from staging.stg_crm__deals as deals
    inner join amount_changes
        on amount_changes.deal_id = deals.deal_id
        and amount_changes.changed_at <= deals.closed_at
    where amount_changes.next_changed_at > amount_changes.changed_at
        or amount_changes.next_changed_at is null
    group by deals.deal_id
),
won_deals as (
    select
        deals.deal_id,
        deals.deal_type,
        deals.closed_at,
        cast(timezone('Asia/Jakarta', deals.closed_at) as date) as close_date,
        deals.currency_code,
        case
            when amounts_at_close.deal_id is not null
                then cast(amounts_at_close.property_value as decimal(28, 6))
            else deals.amount
        end as amount_at_close
    from staging.stg_crm__deals as deals
    inner join stages
        on deals.pipeline_id = stages.pipeline_id and deals.stage_id = stages.stage_id
    left join amounts_at_close on deals.deal_id = amounts_at_close.deal_id
    where stages.is_won
        and not deals.is_archived
        and not deals.is_test_deal
        and cast(timezone('Asia/Jakarta', deals.closed_at) as date) <= getvariable('as_of_date')
),

-- The deal's company: its associated company (a labeled link first, then the lowest id),
-- else its primary contact's (labeled link first, then the earliest created contact).
deal_company_links as (
    select from_id as deal_id, to_id as company_id, association_type
    from staging.stg_crm__associations
    where from_object_type = 'deals' and to_object_type = 'companies'
    union all
    select to_id, from_id, association_type
    from staging.stg_crm__associations
    where from_object_type = 'companies' and to_object_type = 'deals'
),
deal_companies as (
    select deal_id, arg_min(company_id, (association_type like '%unlabeled%', company_id)) as company_id
    from deal_company_links
    group by deal_id
),
deal_contact_links as (
    select from_id as deal_id, to_id as contact_id, association_type
    from staging.stg_crm__associations
    where from_object_type = 'deals' and to_object_type = 'contacts'
    union all
    select to_id, from_id, association_type
    from staging.stg_crm__associations
    where from_object_type = 'contacts' and to_object_type = 'deals'
),
deal_primary_contacts as (
    select
        links.deal_id,
        arg_min(
            contacts.company_id,
            (links.association_type like '%unlabeled%',
                coalesce(epoch_us(contacts.contact_created_at), 9223372036854775807), links.contact_id)
        ) as company_id
    from deal_contact_links as links
    left join staging.stg_crm__contacts as contacts on links.contact_id = contacts.contact_id
    group by links.deal_id
),

-- Which company each Stripe customer is: the metadata's company when the CRM has it,
-- else the one company owning its email's domain (not free-mail, internal or ambiguous).
free_mail(domain) as (
    select unnest([
        'gmail.com', 'googlemail.com',
        'yahoo.com', 'yahoo.co.id', 'yahoo.co.jp', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de',
        'ymail.com', 'rocketmail.com',
        'outlook.com', 'hotmail.com', 'hotmail.fr', 'hotmail.de', 'hotmail.co.uk',
        'live.com', 'msn.com',
        'icloud.com', 'me.com', 'mac.com',
        'aol.com', 'proton.me', 'protonmail.com', 'zoho.com', 'mail.com',
        'gmx.de', 'gmx.net', 'web.de', 't-online.de',
        'orange.fr', 'free.fr', 'laposte.net', 'wanadoo.fr', 'sfr.fr',
        'yandex.com', 'yandex.ru', 'mail.ru',
        'qq.com', '163.com', '126.com', 'naver.com', 'docomo.ne.jp', 'ezweb.ne.jp'
    ])
),
owner_emails as (
    select owner_email from staging.stg_crm__owners where coalesce(owner_email, '') <> ''
),
internal_domains as (
    select distinct lower(regexp_extract(address, '@([^@]*)$', 1)) as domain
    from (
        select owner_email as address from owner_emails
        union all
        select rep_email
        from staging.stg_files__rep_roster
        where coalesce(rep_email, '') <> ''
            and (rep_id is not null or rep_email in (select owner_email from owner_emails))
    )
    where address like '%@%'
),
company_domains as (
    select
        company_id,
        nullif(regexp_replace(regexp_replace(regexp_replace(lower(trim(domain)),
            '^[a-z]+://', ''), '[/:?#].*$', ''), '^www\.|\.$', '', 'g'), '') as domain,
        is_archived,
        company_created_at
    from staging.stg_crm__companies
),
domain_owners as (
    select domain, arg_min(company_id, (is_archived, coalesce(-epoch_us(company_created_at), 9223372036854775807), company_id)) as company_id
    from company_domains
    where domain is not null
        and domain not in (select domain from free_mail)
        and domain not in (select domain from internal_domains)
    group by domain
    having count(*) filter (where not is_archived) <= 1
),
stripe_companies as (
    select
        customers.customer_id,
        coalesce(metadata_company.company_id, domain_owners.company_id) as company_id
    from (
        select
            customer_id,
            crm_company_id,
            case when customer_email like '%@%'
                then lower(regexp_extract(customer_email, '@([^@]*)$', 1)) end as email_domain
        from staging.stg_payments__customers
    ) as customers
    left join staging.stg_crm__companies as metadata_company
        on customers.crm_company_id = metadata_company.company_id
    left join domain_owners
        on customers.email_domain = domain_owners.domain
        and customers.email_domain not in (select domain from free_mail)
),

-- Cash: succeeded charges in on their payment date, succeeded refunds out on their own.
charges as (
    select
        charge_id,
        customer_id,
        invoice_id,
        created_at,
        cast(timezone('Asia/Jakarta', created_at) as date) as payment_date,
        currency_code,
        coalesce(amount_captured, amount) as amount,
        amount as charged_amount
    from staging.stg_payments__charges
    where status = 'succeeded'
),
movements as (
    select 'charge' as movement_type, customer_id, created_at as moved_at,
        payment_date as movement_date, currency_code, amount,
        charged_amount as rated_amount
    from charges
    union all
    select 'refund', charges.customer_id, refunds.created_at,
        cast(timezone('Asia/Jakarta', refunds.created_at) as date), refunds.currency_code, -refunds.amount,
        refunds.amount
    from staging.stg_payments__refunds as refunds
    left join staging.stg_payments__charges as charges on refunds.charge_id = charges.charge_id
    where refunds.status = 'succeeded'
),
movements_usd as (
    select
        movements.*,
        date_trunc('month', movement_date)::date as month,
        cast(sign(amount) * ((2 * cast(abs(amount) * 1000000 as hugeint) * 100
            + cast(case when movements.currency_code = 'USD' then 1 else fx.units_per_usd end * 1000000 as hugeint))
            // (2 * cast(case when movements.currency_code = 'USD' then 1 else fx.units_per_usd end * 1000000 as hugeint))) * 0.01
            as decimal(18, 2)) as amount_usd,
        -- a charge is flagged on its amount (captured or not), as int_payments__charges
        rated_amount is not null and movements.currency_code <> 'USD' and fx.units_per_usd is null
            as is_missing_fx_rate
    from movements
    asof left join fx
        on movements.currency_code = fx.currency_code and movements.movement_date >= fx.rate_date
    where movement_date <= getvariable('as_of_date')
),

company_first_payments as (
    select stripe_companies.company_id, min(movements_usd.moved_at) as first_paid_at
    from movements_usd
    inner join stripe_companies on movements_usd.customer_id = stripe_companies.customer_id
    where movement_type = 'charge' and stripe_companies.company_id is not null
    group by stripe_companies.company_id
),
deals_usd as (
    select
        date_trunc('month', won_deals.close_date)::date as month,
        cast(sign(amount_at_close) * ((2 * cast(abs(amount_at_close) * 1000000 as hugeint) * 100
            + cast(case when won_deals.currency_code = 'USD' then 1 else fx.units_per_usd end * 1000000 as hugeint))
            // (2 * cast(case when won_deals.currency_code = 'USD' then 1 else fx.units_per_usd end * 1000000 as hugeint))) * 0.01
            as decimal(18, 2)) as amount_usd,
        amount_at_close is not null and won_deals.currency_code <> 'USD' and fx.units_per_usd is null
            as is_missing_fx_rate,
        coalesce(
            lower(won_deals.deal_type) = 'existingbusiness'
            and company_first_payments.first_paid_at < won_deals.closed_at,
            false
        ) as is_expansion
    from won_deals
    left join deal_companies on won_deals.deal_id = deal_companies.deal_id
    left join deal_primary_contacts on won_deals.deal_id = deal_primary_contacts.deal_id
    left join company_first_payments
        on coalesce(deal_companies.company_id, deal_primary_contacts.company_id)
            = company_first_payments.company_id
    asof left join fx
        on won_deals.currency_code = fx.currency_code and won_deals.close_date >= fx.rate_date
),

-- Invoices finalized, never voided, not deleted; totals at the invoice date's rate.
invoices as (
    select
        invoices.*,
        cast(timezone('Asia/Jakarta', finalized_at) as date) as invoice_date,
        least(
            cast(timezone('Asia/Jakarta', paid_at) as date),
            cast(timezone('Asia/Jakarta', voided_at) as date),
            cast(timezone('Asia/Jakarta', marked_uncollectible_at) as date)
        ) as closed_date
    from staging.stg_payments__invoices as invoices
    where finalized_at is not null and not is_deleted
),
invoices_rated as (
    select invoices.*, case when invoices.currency_code = 'USD' then 1 else fx.units_per_usd end as units_per_usd
    from invoices
    asof left join fx
        on invoices.currency_code = fx.currency_code and invoices.invoice_date >= fx.rate_date
),
invoiced_daily as (
    select
        invoice_date,
        sum(cast(sign(total) * ((2 * cast(abs(total) * 1000000 as hugeint) * 100
            + cast(units_per_usd * 1000000 as hugeint))
            // (2 * cast(units_per_usd * 1000000 as hugeint))) * 0.01 as decimal(18, 2))) as invoiced_usd,
        count(*) filter (where total is not null and units_per_usd is null) as missing_fx_rates
    from invoices_rated
    where voided_at is null and status not in ('draft', 'void')
        and invoice_date <= getvariable('as_of_date')
    group by invoice_date
),

months as (
    select
        cast(month as date) as month,
        least(cast(last_day(month) as date), getvariable('as_of_date')) as period_end_date
    from (
        select unnest(generate_series(
            cast(min(month) as timestamp), cast(date_trunc('month', getvariable('as_of_date')) as timestamp), interval 1 month
        )) as month
        from (
            select month from deals_usd
            union all
            select date_trunc('month', invoice_date)::date from invoiced_daily
            union all
            select month from movements_usd
        )
    )
),

-- AR at each period end: invoices open then, total minus the charges made by then.
open_invoices as (
    select months.month, invoices_rated.invoice_id, invoices_rated.total, invoices_rated.units_per_usd,
        months.period_end_date
    from months
    inner join invoices_rated
        on invoices_rated.invoice_date <= months.period_end_date
        and (invoices_rated.closed_date > months.period_end_date or invoices_rated.closed_date is null)
),
receivables as (
    select
        open_invoices.month,
        sum(cast(sign(due) * ((2 * cast(abs(due) * 1000000 as hugeint) * 100
            + cast(units_per_usd * 1000000 as hugeint))
            // (2 * cast(units_per_usd * 1000000 as hugeint))) * 0.01 as decimal(18, 2))) as ar_usd,
        count(*) filter (where due is not null and units_per_usd is null) as missing_fx_rates
    from (
        select
            open_invoices.month,
            open_invoices.units_per_usd,
            open_invoices.total - coalesce(sum(charges.amount), 0) as due
        from open_invoices
        left join charges
            on charges.invoice_id = open_invoices.invoice_id
            and charges.payment_date <= open_invoices.period_end_date
        group by open_invoices.month, open_invoices.invoice_id, open_invoices.total, open_invoices.units_per_usd
    ) as open_invoices
    group by open_invoices.month
),
window_invoiced as (
    select months.month, sum(invoiced_daily.invoiced_usd) as invoiced_usd
    from months
    inner join invoiced_daily
        on invoiced_daily.invoice_date between months.period_end_date - 89 and months.period_end_date
    group by months.month
),

customer_months as (
    select
        customer_id,
        month,
        sum(amount_usd) as net_usd,
        bool_or(movement_type = 'charge') as is_payer
    from movements_usd
    where customer_id is not null
    group by customer_id, month
),
logo as (
    select
        cast(prior.month + interval 1 month as date) as month,
        count(*) as prior_payers,
        count(current_month.customer_id) as retained
    from customer_months as prior
    left join customer_months as current_month
        on current_month.customer_id = prior.customer_id
        and current_month.month = cast(prior.month + interval 1 month as date)
        and current_month.is_payer
    where prior.is_payer
    group by 1
),
nrr as (
    select
        cast(cohort.month + interval 12 month as date) as month,
        sum(cohort.net_usd) as base_usd,
        coalesce(sum(current_month.net_usd), 0) as now_usd
    from customer_months as cohort
    left join customer_months as current_month
        on current_month.customer_id = cohort.customer_id
        and current_month.month = cast(cohort.month + interval 12 month as date)
    where cohort.is_payer
    group by 1
)

select
    months.month,
    cast(coalesce(bookings.bookings_usd, 0) as decimal(18, 2)) as bookings_amount,
    cast(coalesce(bookings.expansion_usd, 0) as decimal(18, 2)) as expansion_bookings_amount,
    cast(coalesce(invoiced.invoiced_usd, 0) as decimal(18, 2)) as invoiced_amount,
    cast(coalesce(cash.collected_usd, 0) as decimal(18, 2)) as collected_amount,
    cast(coalesce(cash.refunded_usd, 0) as decimal(18, 2)) as refunded_amount,
    cast(coalesce(receivables.ar_usd, 0) as decimal(18, 2)) as receivables_amount,
    cast(coalesce(window_invoiced.invoiced_usd, 0) as decimal(18, 2)) as invoiced_last_90_days_amount,
    cast(cast(coalesce(receivables.ar_usd, 0) * 9000 as bigint) as double)
        / nullif(cast(cast(window_invoiced.invoiced_usd * 100 as bigint) as double), 0) as dso_days,
    cast(logo.retained as double) / nullif(logo.prior_payers, 0) as logo_retention_rate,
    case when nrr.base_usd > 0
        then cast(cast(nrr.now_usd * 100 as bigint) as double) / cast(cast(nrr.base_usd * 100 as bigint) as double)
    end as net_revenue_retention_rate,
    coalesce(payers.paying_customers, 0) as paying_customers,
    cast(coalesce(bookings.missing_fx_rates, 0) + coalesce(invoiced.missing_fx_rates, 0)
        + coalesce(cash.missing_fx_rates, 0) + coalesce(receivables.missing_fx_rates, 0) as integer)
        as events_missing_fx_rate
from months
left join (
    select month, sum(amount_usd) as bookings_usd, sum(amount_usd) filter (where is_expansion) as expansion_usd,
        count(*) filter (where is_missing_fx_rate) as missing_fx_rates
    from deals_usd group by month
) as bookings on months.month = bookings.month
left join (
    select date_trunc('month', invoice_date)::date as month, sum(invoiced_usd) as invoiced_usd,
        sum(missing_fx_rates) as missing_fx_rates
    from invoiced_daily group by 1
) as invoiced on months.month = invoiced.month
left join (
    select month, sum(amount_usd) as collected_usd, -sum(amount_usd) filter (where movement_type = 'refund') as refunded_usd,
        count(*) filter (where is_missing_fx_rate) as missing_fx_rates
    from movements_usd group by month
) as cash on months.month = cash.month
left join receivables on months.month = receivables.month
left join window_invoiced on months.month = window_invoiced.month
left join logo on months.month = logo.month
left join nrr on months.month = nrr.month
left join (
    select month, count(*) as paying_customers from customer_months where is_payer group by month
) as payers on months.month = payers.month
order by months.month
