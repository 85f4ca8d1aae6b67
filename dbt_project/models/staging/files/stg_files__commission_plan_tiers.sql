with

source as (

    {{ raw_table('files', 'commission_plan_tiers') }}

),

renamed as (

    select
        plan as plan_name,
        cast(tier_number as integer) as tier_number,
        -- exact decimals: tier boundaries and rates are compared and multiplied exactly
        cast(from_attainment as numeric(18, 6)) as from_attainment,
        cast(rate as numeric(18, 6)) as commission_rate

    from source

),

bounded as (

    select
        plan_name,
        tier_number,
        from_attainment,
        lead(from_attainment) over (
            partition by plan_name
            order by from_attainment
        ) as to_attainment,
        commission_rate

    from renamed

)

select * from bounded
