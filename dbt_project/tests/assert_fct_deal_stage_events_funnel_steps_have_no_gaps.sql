{#-
    kpis.md "stage conversion": a deal that reached funnel step k reached every lower step
    of its pipeline. Fails on every deal and pipeline whose reached steps are not exactly
    1..(its highest step).
-#}

select
    deal_id,
    pipeline_id,
    count(funnel_step) as steps_reached,
    max(funnel_step) as highest_step

from {{ ref('fct_deal_stage_events') }}
where funnel_step is not null
group by deal_id, pipeline_id
having count(funnel_step) <> max(funnel_step)
    or count(distinct funnel_step) <> count(funnel_step)
