-- Floor of mart_rep_performance_monthly: rep x month (Asia/Jakarta), straight from staging.
-- Owner and amount at close from the deal property history (ASOF: the latest change at or
-- before the close; the greater value of two at one instant; none: today's value), USD at the
-- close day's rate (the latest published on or before it), half away from zero to cents.
-- Discount depth from the won deals' live CRM line items (net vs list price of the line's
-- currency, each line in USD at the close day's rate, to cents); email reply rate from the
-- outbound threads the rep's root message started (threads as int_email_threads: the first
-- Reference, else the root of the loaded parent, else the unloaded parent, else itself).
with recursive
stages as (
    select pipeline_id, stage_id, is_won, is_lost
    from staging.stg_crm__deal_pipeline_stages
    where is_closed
),
closed as (
    select d.deal_id, d.owner_id, d.currency_code, d.amount, d.closed_at, s.is_won, s.is_lost,
           cast(timezone('Asia/Jakarta', d.closed_at) as date) as close_date,
           cast(timezone('Asia/Jakarta', d.deal_created_at) as date) as created_date
    from staging.stg_crm__deals d
    join stages s on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
    where not d.is_test_deal and not d.is_archived
),
history as (
    select deal_id, property_name, changed_at, max(nullif(property_value, '')) as property_value
    from staging.stg_crm__deal_property_history
    where property_name in ('hubspot_owner_id', 'amount') and changed_at is not null
    group by all
),
owner_changes as (select * from history where property_name = 'hubspot_owner_id'),
amount_changes as (select * from history where property_name = 'amount'),
with_owner as (
    select c.*, o.changed_at as owner_changed_at, o.property_value as owner_at_close
    from closed c asof left join owner_changes o
        on c.deal_id = o.deal_id and c.closed_at >= o.changed_at
),
with_amount as (
    select w.*,
           case when w.owner_changed_at is not null then w.owner_at_close else w.owner_id end as rep_id,
           case when a.changed_at is not null then cast(a.property_value as decimal(28, 6))
                else w.amount end as amount_at_close
    from with_owner w
    asof left join amount_changes a on w.deal_id = a.deal_id and w.closed_at >= a.changed_at
),
fx as (
    select currency_code, rate_date, units_per_usd from staging.stg_files__fx_rates
    where currency_code <> 'USD'
    union all
    select 'USD', date '1900-01-01', 1
),
deal_rows as (
    select d.deal_id, d.rep_id, d.close_date, date_trunc('month', d.close_date)::date as month,
           d.is_won, d.is_lost,
           case when d.is_won then d.close_date - d.created_date end as cycle_days,
           case when f.units_per_usd is not null and d.amount_at_close is not null then
               sign(d.amount_at_close)
               * ((2 * cast(abs(d.amount_at_close) * 1000000 as hugeint) * 1000000
                   + cast(f.units_per_usd * 1000000 as hugeint) * 10000)
                  // (2 * cast(f.units_per_usd * 1000000 as hugeint) * 10000))
           end as cents,
           d.amount_at_close is not null and f.units_per_usd is null as is_missing_fx_rate
    from with_amount d
    asof left join fx f on d.currency_code = f.currency_code and d.close_date >= f.rate_date
    where d.rep_id is not null
),
deal_months as (
    select rep_id, month,
           sum(cents) filter (where is_won) as won_cents,
           sum(cents) filter (where is_lost) as lost_cents,
           count(*) filter (where is_won) as deals_won,
           count(*) filter (where is_lost) as deals_lost,
           count(*) filter (where is_missing_fx_rate) as deals_missing_fx_rate,
           -- half up on whole cents, as mean_money / median_money
           floor((2 * sum(cents) filter (where is_won) + count(cents) filter (where is_won))
                 / (2.0 * nullif(count(cents) filter (where is_won), 0))) / 100.0 as avg_deal,
           floor(quantile_cont(cents::double, 0.5) filter (where is_won) + 0.5) / 100.0 as median_deal,
           avg(cycle_days) filter (where is_won) as avg_cycle,
           quantile_cont(cycle_days, 0.5) filter (where is_won) as median_cycle
    from deal_rows group by all
),
-- Line items of the won deals, each converted on its own (line currency, close day).
line_amounts as (
    select li.deal_id, li.currency_code,
           coalesce(li.amount, cast(li.quantity * li.unit_price - li.discount_amount as decimal(28, 6)))
               as net_amount,
           cast(li.quantity * pp.unit_price as decimal(28, 6)) as list_amount
    from staging.stg_crm__line_items li
    left join staging.stg_crm__product_prices pp
        on pp.product_id = li.product_id and pp.currency_code = li.currency_code
    where not li.is_archived
),
won_lines as (
    select d.deal_id, d.rep_id, d.month, l.net_amount, l.list_amount,
           cast(f.units_per_usd * 1000000 as hugeint) as u
    from deal_rows d
    join line_amounts l on l.deal_id = d.deal_id
    asof left join fx f on l.currency_code = f.currency_code and d.close_date >= f.rate_date
    where d.is_won
),
line_months as (
    select rep_id, month,
           count(distinct deal_id) as deals_won_with_lines,
           sum(sign(net_amount) * ((2 * cast(abs(net_amount) * 1000000 as hugeint) * 1000000 + u * 10000)
                                   // (2 * u * 10000))) filter (where list_amount is not null) as net_cents,
           sum(sign(list_amount) * ((2 * cast(abs(list_amount) * 1000000 as hugeint) * 1000000 + u * 10000)
                                    // (2 * u * 10000))) as list_cents,
           count(*) filter (where net_amount is not null and u is null) as lines_missing_fx_rate
    from won_lines group by all
),
-- Rep addresses: the CRM owner's (active before archived), then the roster's; one rep each.
ranked_addresses as (
    select *, row_number() over (partition by email_address
                                 order by source_rank, listed_at desc nulls last, rep_id) as address_rank
    from (
        select owner_email as email_address, owner_id as rep_id,
               case when is_archived then 2 else 1 end as source_rank, created_at as listed_at
        from staging.stg_crm__owners where coalesce(owner_email, '') <> ''
        union all
        select r.rep_email, coalesce(r.rep_id, o.owner_id), 3, cast(r.valid_from as timestamptz)
        from staging.stg_files__rep_roster r
        left join staging.stg_crm__owners o on o.owner_email = r.rep_email and coalesce(o.owner_email, '') <> ''
        where coalesce(r.rep_email, '') <> ''
    ) a
    where rep_id is not null
),
addresses as (select email_address, rep_id, source_rank from ranked_addresses where address_rank = 1),
message_links as (
    select m.message_key, m.parent_message_key, m.sent_at, m.from_address, m.direction, m.is_auto_reply,
           not m.is_reply and m.reference_count = 0 as is_thread_root,
           r.referenced_message_key as first_reference_key,
           p.message_key is not null as is_parent_loaded
    from staging.stg_email__messages m
    left join staging.stg_email__message_references r
        on r.message_key = m.message_key and r.is_first_reference
    left join staging.stg_email__messages p on p.message_key = m.parent_message_key
),
thread_roots (message_key, thread_key, depth) as (
    select message_key, coalesce(first_reference_key, parent_message_key, message_key), 0
    from message_links
    where first_reference_key is not null or parent_message_key is null or not is_parent_loaded
    union all
    select c.message_key, t.thread_key, t.depth + 1
    from thread_roots t
    join message_links c on c.parent_message_key = t.message_key
    where c.first_reference_key is null and c.is_parent_loaded and t.depth < 1000
),
-- Outbound threads: a root message (no parent, no References) sent by a rep, not automatic.
outbound_roots as (
    select l.message_key as thread_key, l.sent_at, a.rep_id
    from message_links l
    join addresses a on a.email_address = l.from_address
    where l.is_thread_root and l.direction = 'outbound' and not l.is_auto_reply
      and l.sent_at is not null
),
-- Replied: the thread holds an inbound message, not automatic, sent after the root.
replied_threads as (
    select distinct o.thread_key
    from message_links l
    left join thread_roots t on t.message_key = l.message_key
    join outbound_roots o on o.thread_key = coalesce(t.thread_key, l.message_key)
    where l.direction = 'inbound' and not l.is_auto_reply and l.sent_at > o.sent_at
),
thread_months as (
    select o.rep_id, date_trunc('month', timezone('Asia/Jakarta', o.sent_at))::date as month,
           count(*) as outbound_threads,
           count(r.thread_key) as replied_threads
    from outbound_roots o
    left join replied_threads r on r.thread_key = o.thread_key
    group by all
),
activity_months as (
    select owner_id as rep_id, date_trunc('month', timezone('Asia/Jakarta', activity_at))::date as month,
           count(*) filter (where kind = 'call') as calls,
           count(*) filter (where kind = 'meeting') as meetings
    from (
        select 'call' as kind, owner_id, activity_at from staging.stg_crm__calls where not is_archived
        union all
        select 'meeting', owner_id, activity_at from staging.stg_crm__meetings where not is_archived
    ) a
    where owner_id is not null and activity_at is not null
    group by all
),
email_months as (
    select a.rep_id, date_trunc('month', timezone('Asia/Jakarta', m.sent_at))::date as month,
           count(*) as emails_sent
    from staging.stg_email__messages m
    join addresses a on a.email_address = m.from_address
    where m.direction = 'outbound' and not m.is_auto_reply and m.sent_at is not null
    group by all
),
quota_months as (
    select a.rep_id, q.quota_month as month,
           sum(case when f.units_per_usd is not null then
               sign(q.quota_amount)
               * ((2 * cast(abs(q.quota_amount) * 1000000 as hugeint) * 1000000
                   + cast(f.units_per_usd * 1000000 as hugeint) * 10000)
                  // (2 * cast(f.units_per_usd * 1000000 as hugeint) * 10000)) end) as quota_cents,
           count(*) filter (where q.quota_amount is not null and f.units_per_usd is null) as quotas_missing_fx_rate
    from staging.stg_files__quotas q
    join addresses a on a.email_address = q.rep_email
    asof left join fx f on q.currency_code = f.currency_code and q.quota_month >= f.rate_date
    group by all
),
-- Team spells: the roster's where it lists the rep, else today's CRM primary team since the
-- owner was created (the warehouse's owner-team snapshot is not a staging view).
owners_by_email as (
    select owner_email, arg_min(owner_id, (is_archived, owner_id)) as owner_id
    from staging.stg_crm__owners where owner_email is not null group by all
),
roster_spells as (
    select coalesce(r.rep_id, o.owner_id) as rep_id, r.team_name, r.valid_from, r.valid_to
    from staging.stg_files__rep_roster r left join owners_by_email o on o.owner_email = r.rep_email
    where coalesce(r.rep_id, o.owner_id) is not null
),
crm_spells as (
    select o.owner_id as rep_id,
           arg_min(t.team_name, (not t.is_primary_team, t.team_id)) as team_name,
           coalesce(cast(timezone('Asia/Jakarta', o.created_at) as date), date '1900-01-01') as valid_from,
           -- an archived owner's last update stands for the departure
           case when o.is_archived and cast(timezone('Asia/Jakarta', o.updated_at) as date)
                    > coalesce(cast(timezone('Asia/Jakarta', o.created_at) as date), date '1900-01-01')
                then cast(timezone('Asia/Jakarta', o.updated_at) as date) end as valid_to
    from staging.stg_crm__owners o
    left join staging.stg_crm__owner_teams t on t.owner_id = o.owner_id
    where o.owner_id not in (select rep_id from roster_spells)
    group by o.owner_id, o.created_at, o.updated_at, o.is_archived
),
spells as (select * from roster_spells union all select * from crm_spells),
current_spell as (select rep_id, arg_max(team_name, valid_from) as team_name from spells group by rep_id),
rep_months as (
    select rep_id, month from deal_months
    union select rep_id, month from activity_months
    union select rep_id, month from email_months
    union select rep_id, month from quota_months
    union select rep_id, month from line_months
    union select rep_id, month from thread_months
),
month_team as (
    select m.rep_id, m.month, arg_min(s.team_name, s.valid_from) as team_name
    from rep_months m
    join spells s on s.rep_id = m.rep_id and s.valid_from < m.month + interval 1 month
        and (s.valid_to > m.month or s.valid_to is null)
    group by all
),
roster_emails as (select rep_id, min(email_address) as rep_email from addresses where source_rank = 3 group by rep_id),
rep_names as (
    select r.rep_id, coalesce(o.owner_email, x.rep_email) as rep_email, o.owner_name as rep_name
    from (select distinct rep_id from spells) r
    left join staging.stg_crm__owners o on o.owner_id = r.rep_id
    left join roster_emails x on x.rep_id = r.rep_id
)
select
    m.rep_id,
    n.rep_email,
    n.rep_name,
    coalesce(t.team_name, c.team_name) as team_name,
    m.month,
    cast(cast(coalesce(d.won_cents, 0) as decimal(38, 0)) * 0.01 as decimal(18, 2)) as bookings_amount,
    coalesce(d.deals_won, 0)::integer as deals_won,
    coalesce(d.deals_lost, 0)::integer as deals_lost,
    d.deals_won::double / nullif(d.deals_won + d.deals_lost, 0) as win_rate,
    (coalesce(d.won_cents, 0) * 0.01)::double
        / nullif((coalesce(d.won_cents, 0) * 0.01 + coalesce(d.lost_cents, 0) * 0.01)::double, 0)
        as win_rate_by_amount,
    cast(d.avg_deal as decimal(18, 2)) as avg_deal_size_amount,
    cast(d.median_deal as decimal(18, 2)) as median_deal_size_amount,
    d.avg_cycle::double as avg_sales_cycle_days,
    d.median_cycle::double as median_sales_cycle_days,
    coalesce(a.calls, 0)::integer as calls,
    coalesce(a.meetings, 0)::integer as meetings,
    coalesce(e.emails_sent, 0)::integer as emails_sent,
    cast(cast(q.quota_cents as decimal(38, 0)) * 0.01 as decimal(18, 2)) as quota_amount,
    (coalesce(d.won_cents, 0) * 0.01)::double / nullif((q.quota_cents * 0.01)::double, 0) as quota_attainment,
    coalesce(d.deals_missing_fx_rate, 0)::integer as deals_missing_fx_rate,
    coalesce(q.quotas_missing_fx_rate, 0)::integer as quotas_missing_fx_rate,
    coalesce(l.deals_won_with_lines, 0)::integer as deals_won_with_lines,
    cast(cast(coalesce(l.net_cents, 0) as decimal(38, 0)) * 0.01 as decimal(18, 2)) as line_net_amount,
    cast(cast(coalesce(l.list_cents, 0) as decimal(38, 0)) * 0.01 as decimal(18, 2)) as line_list_amount,
    -- null without lines at a list price (0 / 0)
    1 - cast(cast(l.net_cents as decimal(38, 0)) * 0.01 as double)
        / nullif(cast(cast(l.list_cents as decimal(38, 0)) * 0.01 as double), 0) as discount_depth_rate,
    coalesce(th.outbound_threads, 0)::integer as outbound_threads,
    coalesce(th.replied_threads, 0)::integer as replied_threads,
    coalesce(th.replied_threads, 0)::double / nullif(coalesce(th.outbound_threads, 0)::double, 0)
        as email_reply_rate,
    coalesce(l.lines_missing_fx_rate, 0)::integer as line_items_missing_fx_rate
from rep_months m
left join deal_months d on d.rep_id = m.rep_id and d.month = m.month
left join activity_months a on a.rep_id = m.rep_id and a.month = m.month
left join email_months e on e.rep_id = m.rep_id and e.month = m.month
left join quota_months q on q.rep_id = m.rep_id and q.month = m.month
left join line_months l on l.rep_id = m.rep_id and l.month = m.month
left join thread_months th on th.rep_id = m.rep_id and th.month = m.month
left join month_team t on t.rep_id = m.rep_id and t.month = m.month
left join current_spell c on c.rep_id = m.rep_id
left join rep_names n on n.rep_id = m.rep_id
