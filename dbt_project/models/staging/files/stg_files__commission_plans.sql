with

source as (

    {{ raw_table('files', 'commission_plans') }}

),

renamed as (

    select
        plan as plan_name,
        upper(trim(currency_code)) as currency_code,
        commissionable_base,
        payout_period,
        method as tier_method,
        cast(nullif(trim(cap_amount), '') as {{ type_source_amount() }}) as cap_amount,
        nullif(trim(cap_amount), '') is not null as has_cap,
        cast(coalesce(clawback_window_days, 0) as integer) as clawback_window_days,
        cast(valid_from as date) as valid_from

    from source

)

select * from renamed
