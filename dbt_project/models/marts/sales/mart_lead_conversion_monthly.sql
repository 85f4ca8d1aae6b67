{#-
    Lead-to-deal conversion per month of lead creation (company time, kpis.md "lead-to-deal
    conversion"): of the contacts created in the month, those associated with a deal
    created at or after the contact and at most 90 days later. Any associated contact
    converts, not only the deal's primary one; test and archived deals convert no one. The
    latest months are immature: a lead created less than 90 days before as_of_date() may
    still convert (is_mature).
-#}

{%- set window_days = 90 -%}

with

contacts as (

    select * from {{ ref('dim_contact') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

deal_contacts as (

    select * from {{ ref('int_deal_contacts') }}

),

counted_deals as (

    select
        deal_contacts.contact_id,
        deals.deal_created_at

    from deals
    inner join deal_contacts
        on deals.deal_id = deal_contacts.deal_id
    where not deals.is_test_deal
        and not deals.is_archived
        and deals.deal_created_at is not null

),

converted_contacts as (

    select distinct
        contacts.contact_id

    from contacts
    inner join counted_deals
        on contacts.contact_id = counted_deals.contact_id
        and counted_deals.deal_created_at >= contacts.created_at
        and counted_deals.deal_created_at
            <= {{ dbt.dateadd('day', window_days, 'contacts.created_at') }}

),

leads as (

    select
        contacts.contact_id,
        {{ month_start('contacts.created_date') }} as month_start_date,
        converted_contacts.contact_id is not null as is_converted

    from contacts
    left join converted_contacts
        on contacts.contact_id = converted_contacts.contact_id
    where contacts.created_date is not null

),

monthly as (

    select
        month_start_date,
        count(*) as leads_created,
        count(case when is_converted then 1 end) as leads_converted

    from leads
    group by month_start_date

),

final as (

    select
        month_start_date as month,
        cast(leads_created as integer) as leads_created,
        cast(leads_converted as integer) as leads_converted,
        {{ safe_divide('leads_converted', 'leads_created') }} as lead_to_deal_rate,
        -- Every lead of the month has had its full window by as_of_date.
        {{ dbt.dateadd('day', window_days, dbt.dateadd('month', 1, 'month_start_date')) }}
            <= {{ dbt.dateadd('day', 1, as_of_date()) }} as is_mature

    from monthly

)

select * from final
