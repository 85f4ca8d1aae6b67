{#-
    Accounts receivable aging (kpis.md "AR aging"): per snapshot date and Stripe customer,
    the amount due of the invoices open at the end of that day (company time) by days past
    due. The open invoices and their amounts due come from int_receivables_month_end, the
    one definition of AR that DSO reads too (month ends and the as-of date, each amount at
    its invoice date's rate, rounded per invoice).
-#}

with

receivables as (

    select * from {{ ref('int_receivables_month_end') }}

),

aged as (

    select
        snapshot_date,
        customer_id,
        sum(case when days_past_due <= 0 then amount_due_reporting else 0 end)
            as current_amount,
        sum(case when days_past_due between 1 and 30 then amount_due_reporting else 0 end)
            as overdue_1_30_amount,
        sum(case when days_past_due between 31 and 60 then amount_due_reporting else 0 end)
            as overdue_31_60_amount,
        sum(case when days_past_due between 61 and 90 then amount_due_reporting else 0 end)
            as overdue_61_90_amount,
        sum(case when days_past_due > 90 then amount_due_reporting else 0 end)
            as overdue_90_plus_amount,
        sum(amount_due_reporting) as amount_due_amount,
        count(*) as open_invoices,
        count(case when is_missing_fx_rate then 1 end) as invoices_missing_fx_rate

    from receivables
    group by snapshot_date, customer_id

),

-- An amount that cannot be converted makes the customer's amounts null, never short.
final as (

    select
        snapshot_date,
        customer_id,
        {%- for bucket in [
            'current_amount',
            'overdue_1_30_amount',
            'overdue_31_60_amount',
            'overdue_61_90_amount',
            'overdue_90_plus_amount',
            'amount_due_amount',
        ] %}
        cast(
            case when invoices_missing_fx_rate = 0 then {{ bucket }} end
            as {{ type_money() }}
        ) as {{ bucket }},
        {%- endfor %}
        cast(open_invoices as integer) as open_invoices,
        cast(invoices_missing_fx_rate as integer) as invoices_missing_fx_rate

    from aged

)

select * from final
