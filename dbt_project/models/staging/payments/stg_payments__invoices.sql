with

source as (

    {{ raw_table('payments', 'invoices') }}

),

renamed as (

    select
        id as invoice_id,
        customer as customer_id,
        number as invoice_number,
        status,
        billing_reason,
        collection_method,
        description,
        customer_name,
        lower(trim(customer_email)) as customer_email,
        payment_intent as payment_intent_id,
        subscription as subscription_id,
        hosted_invoice_url,
        upper(currency) as currency_code,
        {{ minor_to_major('subtotal', 'currency') }} as subtotal,
        {{ minor_to_major('tax', 'currency') }} as tax,
        {{ minor_to_major('total', 'currency') }} as total,
        {{ minor_to_major('amount_due', 'currency') }} as amount_due,
        {{ minor_to_major('amount_paid', 'currency') }} as amount_paid,
        {{ minor_to_major('amount_remaining', 'currency') }} as amount_remaining,
        attempt_count,
        nullif({{ json_text('metadata', ['hubspot_deal_id']) }}, '') as crm_deal_id,
        nullif({{ json_text('metadata', ['hubspot_company_id']) }}, '') as crm_company_id,
        nullif({{ json_text('metadata', ['billing_schedule']) }}, '') as billing_schedule,
        nullif({{ json_text('metadata', ['installment']) }}, '') as installment,
        metadata,
        coalesce(paid, false) as is_paid,
        coalesce(attempted, false) as is_attempted,
        coalesce(auto_advance, false) as is_auto_advance,
        coalesce(livemode, false) as is_livemode,
        coalesce(deleted, false) as is_deleted,
        created as created_at,
        {{ unix_seconds_to_timestamp(json_text('status_transitions', ['finalized_at'])) }}
            as finalized_at,
        effective_at,
        due_date as due_at,
        {{ unix_seconds_to_timestamp(json_text('status_transitions', ['paid_at'])) }} as paid_at,
        {{ unix_seconds_to_timestamp(json_text('status_transitions', ['voided_at'])) }}
            as voided_at,
        {{ unix_seconds_to_timestamp(
            json_text('status_transitions', ['marked_uncollectible_at'])
        ) }} as marked_uncollectible_at,
        period_start as period_start_at,
        period_end as period_end_at

    from source

)

select * from renamed
