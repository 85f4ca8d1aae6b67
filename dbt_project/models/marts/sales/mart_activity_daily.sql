{#-
    Activities per rep and company-time day (kpis.md "activities", "call connect rate").
    CRM activities count on fct_activities' counted_date (a task on its completion day);
    emails come from the reps' mailboxes (fct_emails), not from emails logged in the CRM,
    so that a message is counted once however many mailboxes or logs hold it.
-#}

with

activities as (

    select * from {{ ref('fct_activities') }}

),

emails as (

    select * from {{ ref('fct_emails') }}

),

crm_events as (

    select
        rep_id,
        counted_date as activity_date,
        case when activity_type = 'call' then 1 else 0 end as is_call,
        case when activity_type = 'call' and is_connected then 1 else 0 end as is_call_connected,
        case when activity_type = 'meeting' then 1 else 0 end as is_meeting,
        case when activity_type = 'meeting' and is_visit then 1 else 0 end as is_visit,
        0 as is_email_sent,
        0 as is_email_received,
        case when activity_type = 'task' and is_completed then 1 else 0 end as is_task_completed

    from activities
    where activity_type in ('call', 'meeting', 'task')
        and not is_archived
        and rep_id is not null
        and counted_date is not null

),

email_events as (

    select
        rep_id,
        sent_date as activity_date,
        0 as is_call,
        0 as is_call_connected,
        0 as is_meeting,
        0 as is_visit,
        case when is_email_sent then 1 else 0 end as is_email_sent,
        case when is_email_received then 1 else 0 end as is_email_received,
        0 as is_task_completed

    from emails
    where (is_email_sent or is_email_received)
        and rep_id is not null
        and sent_date is not null

),

events as (

    select * from crm_events
    union all
    select * from email_events

),

daily as (

    select
        rep_id,
        activity_date,
        sum(is_call) as calls,
        sum(is_call_connected) as calls_connected,
        sum(is_meeting) as meetings,
        sum(is_visit) as visits,
        sum(is_email_sent) as emails_sent,
        sum(is_email_received) as emails_received,
        sum(is_task_completed) as tasks_completed

    from events
    group by rep_id, activity_date

),

final as (

    select
        rep_id,
        activity_date,
        cast(calls as integer) as calls,
        cast(calls_connected as integer) as calls_connected,
        {{ safe_divide('calls_connected', 'calls') }} as call_connect_rate,
        cast(meetings as integer) as meetings,
        cast(visits as integer) as visits,
        cast(emails_sent as integer) as emails_sent,
        cast(emails_received as integer) as emails_received,
        cast(tasks_completed as integer) as tasks_completed

    from daily

)

select * from final
