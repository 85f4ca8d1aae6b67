-- Floor of mart_payment_followup: hand-written DuckDB over the staging views only.
-- Invoices open at the end of the as-of day (Jakarta; the variable as_of_date) and past due then; rep =
-- owner at close of the invoice's deal (hubspot_owner_id history at the close instant,
-- else the current owner); last attempt = latest charge by then (highest id on a tie);
-- customer = the CRM company whose chosen Stripe customer was billed (as dim_customer: the
-- company matched by metadata, else by its one email domain; per company a metadata match,
-- a live customer, the earliest created, the lowest id), else the company the invoice names.
with
as_of as (
    select getvariable('as_of_date') as as_of_date
),
invoices as (
    select
        i.*,
        cast(timezone('Asia/Jakarta', i.finalized_at) as date) as invoice_date,
        cast(timezone('Asia/Jakarta', i.due_at) as date) as due_date
    from staging.stg_payments__invoices i, as_of
    where i.finalized_at is not null
        and not i.is_deleted
        and cast(timezone('Asia/Jakarta', i.finalized_at) as date) <= as_of_date
        and cast(timezone('Asia/Jakarta', i.due_at) as date) < as_of_date
        and coalesce(cast(timezone('Asia/Jakarta', i.paid_at) as date) > as_of_date, true)
        and coalesce(cast(timezone('Asia/Jakarta', i.voided_at) as date) > as_of_date, true)
        and coalesce(
            cast(timezone('Asia/Jakarta', i.marked_uncollectible_at) as date) > as_of_date, true
        )
),
attempts as (
    select
        c.invoice_id,
        c.charge_id,
        c.created_at,
        c.status,
        case when c.status = 'succeeded' then coalesce(c.amount_captured, c.amount) else 0 end
            as collected,
        case when c.status = 'failed' then c.failure_code end as failure_reason
    from staging.stg_payments__charges c, as_of
    where c.invoice_id in (select invoice_id from invoices)
        and cast(timezone('Asia/Jakarta', c.created_at) as date) <= as_of_date
),
invoice_attempts as (
    select
        invoice_id,
        sum(collected) as collected,
        arg_max(created_at, (created_at, charge_id)) as last_attempt_at,
        arg_max(charge_id, (created_at, charge_id)) as last_charge_id
    from attempts
    group by invoice_id
),
last_attempts as (
    select a.invoice_id, a.collected, a.last_attempt_at, c.failure_reason
    from invoice_attempts a
    join attempts c on c.charge_id = a.last_charge_id
),
rates as (
    select currency_code, rate_date, units_per_usd
    from staging.stg_files__fx_rates
    where currency_code <> 'USD'
),
deals as (
    select d.deal_id, d.owner_id, d.closed_at, coalesce(s.is_closed, false) as is_closed
    from staging.stg_crm__deals d
    left join staging.stg_crm__deal_pipeline_stages s
        on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
    where d.deal_id in (select crm_deal_id from invoices)
),
owner_changes as (
    select
        h.deal_id,
        nullif(h.property_value, '') as owner_id,
        row_number() over (
            partition by h.deal_id
            order by h.changed_at desc, nullif(h.property_value, '') desc nulls last
        ) as recency
    from staging.stg_crm__deal_property_history h
    join deals d on d.deal_id = h.deal_id
    where h.property_name = 'hubspot_owner_id'
        and h.changed_at is not null
        and h.changed_at <= d.closed_at
),
deal_owners as (
    select
        d.deal_id,
        case
            when not d.is_closed then null
            when o.deal_id is not null then o.owner_id
            else d.owner_id
        end as rep_id
    from deals d
    left join owner_changes o on o.deal_id = d.deal_id and o.recency = 1
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
stripe_matches as (
    select
        customers.customer_id,
        customers.is_deleted,
        customers.created_at,
        coalesce(metadata_company.company_id, domain_owners.company_id) as company_id,
        metadata_company.company_id is not null as is_metadata_match
    from (
        select
            customer_id,
            crm_company_id,
            is_deleted,
            created_at,
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
-- Each company's chosen Stripe customer.
chosen_customers as (
    select
        company_id,
        arg_min(customer_id, (not is_metadata_match, is_deleted,
            coalesce(epoch_us(created_at), 9223372036854775807), customer_id)) as customer_id
    from stripe_matches
    where company_id is not null
    group by company_id
),
joined as (
    select
        i.invoice_id,
        i.customer_id,
        coalesce(billed.company_id, co.company_id) as crm_company_id,
        coalesce(billed.company_name, co.company_name) as customer_name,
        o.rep_id,
        coalesce(billed.owner_id, co.owner_id) as account_owner_rep_id,
        i.crm_deal_id as deal_id,
        i.total - coalesce(a.collected, 0) as amount_due,
        cast(
            case when i.currency_code = 'USD' then 1 else r.units_per_usd end * 1000000
            as hugeint
        ) as u,
        (select as_of_date from as_of) - i.due_date as days_overdue,
        a.last_attempt_at,
        a.failure_reason as last_failure_reason
    from invoices i
    left join last_attempts a on a.invoice_id = i.invoice_id
    left join staging.stg_crm__companies co on co.company_id = i.crm_company_id
    left join chosen_customers cc on cc.customer_id = i.customer_id
    left join staging.stg_crm__companies billed on billed.company_id = cc.company_id
    left join deal_owners o on o.deal_id = i.crm_deal_id
    asof left join rates r
        on r.currency_code = i.currency_code and r.rate_date <= i.invoice_date
)
select
    invoice_id,
    customer_id,
    crm_company_id,
    customer_name,
    rep_id,
    account_owner_rep_id,
    deal_id,
    cast(
        sign(amount_due)
        * ((2 * 100 * cast(abs(amount_due) * 1000000 as hugeint) + u) // (2 * u))
        * 0.01
        as decimal(18, 2)
    ) as amount_due_amount,
    cast(days_overdue as integer) as days_overdue,
    last_attempt_at,
    last_failure_reason,
    amount_due is not null and u is null as is_missing_fx_rate
from joined
