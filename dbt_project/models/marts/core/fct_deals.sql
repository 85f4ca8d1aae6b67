{%- set reporting_currency = var('reporting_currency') -%}

with

deals as (

    select * from {{ ref('stg_crm__deals') }}

),

stages as (

    select * from {{ ref('stg_crm__deal_pipeline_stages') }}

),

owners_at_close as (

    select * from {{ ref('int_deal_owner_at_close') }}

),

deal_facts as (

    select
        deals.deal_id,
        deals.deal_name,
        deals.pipeline_id,
        deals.stage_id,
        deals.deal_type,
        deals.owner_id,
        -- Closed deals are credited to the owner at close; open ones to the current owner.
        case
            when coalesce(stages.is_closed, false) then owners_at_close.owner_id_at_close
            else deals.owner_id
        end as rep_id,
        deals.deal_created_at,
        deals.closed_at,
        {{ company_date('deals.deal_created_at') }} as created_date,
        {{ company_date('deals.closed_at') }} as close_date,
        coalesce(stages.is_closed, false) as is_closed,
        coalesce(stages.is_won, false) as is_won,
        coalesce(stages.is_lost, false) as is_lost,
        stages.stage_id is null as is_stage_unknown,
        deals.currency_code,
        deals.amount,
        deals.is_archived

    from deals
    left join stages
        on deals.pipeline_id = stages.pipeline_id
        and deals.stage_id = stages.stage_id
    left join owners_at_close
        on deals.deal_id = owners_at_close.deal_id

),

converted as (

    select
        *,
        -- FX conversion arrives with the FX source; until then only the reporting currency
        -- converts, and other currencies are flagged rather than counted as zero.
        case
            when currency_code = '{{ reporting_currency }}'
                then cast(amount as {{ type_money() }})
        end as amount_reporting,
        currency_code <> '{{ reporting_currency }}' as is_missing_fx_rate,
        case
            when is_won then {{ dbt.datediff('created_date', 'close_date', 'day') }}
        end as sales_cycle_days

    from deal_facts

)

select * from converted
