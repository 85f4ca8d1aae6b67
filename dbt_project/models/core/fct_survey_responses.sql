{#-
    One row per anonymous pulse-survey response: its survey, day, the respondent's team
    (as the file names it, resolved to dim_team by name, case-insensitively), score and
    eNPS class (kpis.md: promoters 9-10, passives 7-8, detractors 0-6).
-#}

with

responses as (

    select * from {{ ref('stg_files__survey_responses') }}

),

teams as (

    select * from {{ ref('dim_team') }}

),

team_ids_by_name as (

    -- Two teams of one name: the CRM's before the roster's, then the lowest id.
    select
        lower(trim(team_name)) as team_name_key,
        team_id,
        row_number() over (
            partition by lower(trim(team_name))
            order by is_crm_team desc, team_id
        ) as team_rank

    from teams

),

final as (

    select
        {{ dbt.hash(dbt.concat(['responses.survey_id', "'|'", 'responses.response_id'])) }}
            as survey_response_key,
        responses.survey_id,
        responses.response_id,
        responses.survey_date,
        team_ids_by_name.team_id,
        responses.team_name,
        responses.score,
        responses.enps_category,
        responses.enps_category = 'promoter' as is_promoter,
        responses.enps_category = 'passive' as is_passive,
        responses.enps_category = 'detractor' as is_detractor

    from responses
    left join team_ids_by_name
        on lower(trim(responses.team_name)) = team_ids_by_name.team_name_key
        and team_ids_by_name.team_rank = 1

)

select * from final
