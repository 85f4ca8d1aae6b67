with

source as (

    {{ raw_table('files', 'survey_responses') }}

),

renamed as (

    select
        survey_id,
        cast(survey_date as date) as survey_date,
        response_id,
        team_name,
        cast(score as integer) as score

    from source

),

categorized as (

    select
        *,
        -- eNPS (kpis.md): promoters 9-10, passives 7-8, detractors 0-6 on a 0-10 scale
        case
            when score >= 9 then 'promoter'
            when score >= 7 then 'passive'
            when score >= 0 then 'detractor'
        end as enps_category

    from renamed

)

select * from categorized
