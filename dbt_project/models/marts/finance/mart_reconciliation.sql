{#-
    Bookings-to-cash reconciliation (kpis.md), as of the as-of date (macros/as_of.sql):
    - a won deal whose invoiced total (its invoices finalized and not voided by then)
      differs from its amount at close by more than var reconciliation_tolerance x that
      amount, compared in the deal's own currency so that FX can neither make nor hide a
      mismatch (exactly at the tolerance is not a mismatch): `amount_mismatch`, or
      `not_invoiced` when it has no such invoice;
    - an invoice paid in full by then that names no deal: `invoice_without_deal`.
    Reported amounts are in the reporting currency: the deal at its close day's rate (its
    bookings amount), each invoice at its invoice date's rate (invoiced revenue), so the
    difference includes the FX move between those days.
-#}

with

deals as (

    select * from {{ ref('fct_deals') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

won_deals as (

    select
        deal_id,
        rep_id,
        -- A won deal without an amount counts as 0 (any invoice of it is then a mismatch).
        coalesce(amount_at_close, 0) as deal_amount_native,
        case
            when amount_at_close is null then 0
            else amount_at_close_reporting
        end as deal_amount

    from deals
    where is_won
        and not is_archived
        and not is_test_deal
        and close_date <= {{ as_of_date() }}

),

-- Invoices as invoiced revenue counts them, as they stood at the end of the as-of date.
counted_invoices as (

    select
        invoice_id,
        crm_deal_id,
        total,
        total_reporting,
        is_missing_fx_rate,
        paid_date

    from invoices
    where finalized_at is not null
        and not is_deleted
        and invoice_date <= {{ as_of_date() }}
        and (voided_at is null or {{ company_date('voided_at') }} > {{ as_of_date() }})

),

deal_invoices as (

    select
        crm_deal_id as deal_id,
        count(*) as invoices,
        max(invoice_id) as invoice_id,
        sum(total) as invoiced_amount_native,
        sum(total_reporting) as invoiced_amount,
        count(case when is_missing_fx_rate then 1 end) as invoices_missing_fx_rate

    from counted_invoices
    where crm_deal_id is not null
    group by crm_deal_id

),

deal_mismatches as (

    select
        won_deals.deal_id,
        -- Several invoices (installments) have no single id to show.
        case when deal_invoices.invoices = 1 then deal_invoices.invoice_id end as invoice_id,
        case
            when deal_invoices.deal_id is null then 'not_invoiced'
            else 'amount_mismatch'
        end as issue,
        won_deals.rep_id,
        won_deals.deal_amount,
        coalesce(deal_invoices.invoiced_amount, 0) as invoiced_amount,
        coalesce(deal_invoices.invoices, 0) as invoices,
        coalesce(deal_invoices.invoices_missing_fx_rate, 0) as invoices_missing_fx_rate

    from won_deals
    left join deal_invoices
        on won_deals.deal_id = deal_invoices.deal_id
    where abs(coalesce(deal_invoices.invoiced_amount_native, 0) - won_deals.deal_amount_native)
        > won_deals.deal_amount_native
            * cast({{ var('reconciliation_tolerance') }} as numeric(9, 6))

),

invoices_without_deal as (

    select
        cast(null as {{ dbt.type_string() }}) as deal_id,
        invoice_id,
        'invoice_without_deal' as issue,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cast(null as {{ type_money() }}) as deal_amount,
        total_reporting as invoiced_amount,
        1 as invoices,
        case when is_missing_fx_rate then 1 else 0 end as invoices_missing_fx_rate

    from counted_invoices
    where crm_deal_id is null
        and paid_date <= {{ as_of_date() }}

),

mismatches as (

    select * from deal_mismatches
    union all
    select * from invoices_without_deal

),

-- An amount that cannot be converted leaves the amounts null, never short, and flagged.
flagged as (

    select
        *,
        invoices_missing_fx_rate > 0
        or (deal_id is not null and deal_amount is null) as is_missing_fx_rate

    from mismatches

),

final as (

    select
        -- A mismatch is one deal, or one paid invoice when it has no deal.
        case
            when deal_id is not null then {{ dbt.concat(["'deal:'", 'deal_id']) }}
            else {{ dbt.concat(["'invoice:'", 'invoice_id']) }}
        end as reconciliation_key,
        deal_id,
        invoice_id,
        issue,
        rep_id,
        cast(deal_amount as {{ type_money() }}) as deal_amount,
        cast(
            case when invoices_missing_fx_rate = 0 then invoiced_amount end
            as {{ type_money() }}
        ) as invoiced_amount,
        cast(
            case
                when is_missing_fx_rate then null
                when deal_id is null then invoiced_amount
                else invoiced_amount - deal_amount
            end
            as {{ type_money() }}
        ) as difference_amount,
        cast(invoices as integer) as invoices,
        is_missing_fx_rate

    from flagged

)

select * from final
