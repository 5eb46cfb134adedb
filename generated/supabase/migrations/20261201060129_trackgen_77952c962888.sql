-- trackgen migration 20261201060129: KPIs active_actors_28d, active_actors_7d, active_clinic_members, active_network_members, active_practitioners, api_latency_ms, api_request_count, api_server_error_count, api_server_error_rate, clinic_collaboration_adoption, clinic_collaborators, clinic_team_onboarding, consumer_daily_actives, consumer_feature_adoption, consumer_feature_users, consumer_feature_users_by_feature, daily_active_actors, error_count, error_rate, errors_by_code, monthly_active_actors, monthly_signup_retention, network_analytics_adoption, network_analytics_viewers, protocol_loggers, protocol_logging_adoption, protocol_logging_retention, protocol_sessions_logged, screen_load_ms, stickiness_dau_28d, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial, weekly_active_actors, weekly_signup_retention; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';

-- KPI api_server_error_rate
drop view if exists analytics.kpi_api_server_error_rate;

-- KPI clinic_collaboration_adoption
drop view if exists analytics.kpi_clinic_collaboration_adoption;

-- KPI consumer_feature_adoption
drop view if exists analytics.kpi_consumer_feature_adoption;

-- KPI error_rate
drop view if exists analytics.kpi_error_rate;

-- KPI network_analytics_adoption
drop view if exists analytics.kpi_network_analytics_adoption;

-- KPI protocol_logging_adoption
drop view if exists analytics.kpi_protocol_logging_adoption;

-- KPI stickiness_dau_28d
drop view if exists analytics.kpi_stickiness_dau_28d;

create or replace function analytics_private.kpi_freshness()
returns table (kpi text, live text, refreshed_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
  select k.kpi, k.live, (select min(w.refreshed_at) from analytics_private.kpi_watermarks as w where w.kpi = any (k.stored))
  from (values
    ('active_clinic_members', 'exact', array['active_clinic_members']::text[], array['clinic', 'network']::text[]),
    ('active_network_members', 'exact', array['active_network_members']::text[], array['clinic', 'network']::text[]),
    ('active_practitioners', 'exact', array['active_practitioners']::text[], array['clinic', 'network']::text[]),
    ('api_latency_ms', 'exact', array['api_latency_ms']::text[], array['clinic', 'network']::text[]),
    ('api_request_count', 'exact', array['api_request_count']::text[], array['clinic', 'network']::text[]),
    ('api_server_error_count', 'exact', array['api_server_error_count']::text[], array['clinic', 'network']::text[]),
    ('clinic_collaborators', 'exact', array['clinic_collaborators']::text[], array['clinic', 'network']::text[]),
    ('clinic_team_onboarding', 'refreshed', array['clinic_team_onboarding']::text[], array['clinic', 'network']::text[]),
    ('consumer_daily_actives', 'exact', array['consumer_daily_actives']::text[], array['clinic', 'network']::text[]),
    ('consumer_feature_users', 'exact', array['consumer_feature_users']::text[], array['clinic', 'network']::text[]),
    ('consumer_feature_users_by_feature', 'exact', array['consumer_feature_users_by_feature']::text[], array['clinic', 'network']::text[]),
    ('daily_active_actors', 'exact', array['daily_active_actors']::text[], array['clinic', 'network']::text[]),
    ('error_count', 'exact', array['error_count']::text[], array['clinic', 'network']::text[]),
    ('errors_by_code', 'exact', array['errors_by_code']::text[], array['clinic', 'network']::text[]),
    ('monthly_active_actors', 'exact', array['monthly_active_actors']::text[], array['clinic', 'network']::text[]),
    ('monthly_signup_retention', 'refreshed', array['monthly_signup_retention']::text[], array['clinic', 'network']::text[]),
    ('network_analytics_viewers', 'exact', array['network_analytics_viewers']::text[], array['clinic', 'network']::text[]),
    ('protocol_loggers', 'exact', array['protocol_loggers']::text[], array['clinic', 'network']::text[]),
    ('protocol_logging_retention', 'refreshed', array['protocol_logging_retention']::text[], array['clinic', 'network']::text[]),
    ('protocol_sessions_logged', 'exact', array['protocol_sessions_logged']::text[], array['clinic', 'network']::text[]),
    ('screen_load_ms', 'exact', array['screen_load_ms']::text[], array['clinic', 'network']::text[]),
    ('trial_activation_to_conversion', 'refreshed', array['trial_activation_to_conversion']::text[], array['clinic', 'network']::text[]),
    ('upgrade_funnel_consumer_to_clinic', 'refreshed', array['upgrade_funnel_consumer_to_clinic']::text[], array['clinic', 'network']::text[]),
    ('upgrade_prompt_to_trial', 'refreshed', array['upgrade_prompt_to_trial']::text[], array['clinic', 'network']::text[]),
    ('weekly_active_actors', 'exact', array['weekly_active_actors']::text[], array['clinic', 'network']::text[]),
    ('weekly_signup_retention', 'refreshed', array['weekly_signup_retention']::text[], array['clinic', 'network']::text[]),
    ('active_actors_28d', 'refreshed', array['active_actors_28d']::text[], array['clinic', 'network']::text[]),
    ('active_actors_7d', 'refreshed', array['active_actors_7d']::text[], array['clinic', 'network']::text[]),
    ('api_server_error_rate', 'exact', array['api_request_count', 'api_server_error_count']::text[], array['clinic', 'network']::text[]),
    ('clinic_collaboration_adoption', 'exact', array['active_clinic_members', 'clinic_collaborators']::text[], array['clinic', 'network']::text[]),
    ('consumer_feature_adoption', 'exact', array['consumer_daily_actives', 'consumer_feature_users']::text[], array['clinic', 'network']::text[]),
    ('error_rate', 'exact', array['api_request_count', 'error_count']::text[], array['clinic', 'network']::text[]),
    ('network_analytics_adoption', 'exact', array['active_network_members', 'network_analytics_viewers']::text[], array['clinic', 'network']::text[]),
    ('protocol_logging_adoption', 'exact', array['active_practitioners', 'protocol_loggers']::text[], array['clinic', 'network']::text[]),
    ('stickiness_dau_28d', 'refreshed', array['active_actors_28d', 'daily_active_actors']::text[], array['clinic', 'network']::text[])) as k (kpi, live, stored, readers)
  where (select analytics_private.kpi_caller_site()) is not null
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (k.readers)
  order by k.kpi;
$fn$;
comment on function analytics_private.kpi_freshness() is 'Per KPI the caller may read: live = ''exact'' when its kpi_<name>_live read includes events not yet refreshed, ''refreshed'' when it returns refreshed cells only; refreshed_at: its (or its inputs'', the oldest) last refresh.';
revoke all on function analytics_private.kpi_freshness() from public, anon, authenticated;
grant execute on function analytics_private.kpi_freshness() to authenticated, service_role;

create or replace function analytics.kpi_freshness()
returns table (kpi text, live text, refreshed_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_freshness();
$fn$;
comment on function analytics.kpi_freshness() is 'Per KPI the caller may read: live = ''exact'' when its kpi_<name>_live read includes events not yet refreshed, ''refreshed'' when it returns refreshed cells only; refreshed_at: its (or its inputs'', the oldest) last refresh.';
revoke all on function analytics.kpi_freshness() from public, anon, authenticated;
grant execute on function analytics.kpi_freshness() to authenticated, service_role;

-- KPI active_clinic_members
create or replace function analytics_private.kpi_active_clinic_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_clinic_members';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_clinic_members')
      and e.actor_tier = any (array['clinic']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_active_clinic_members as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_active_clinic_members_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_active_clinic_members_live(date, date) is 'KPI active_clinic_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_active_clinic_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_clinic_members_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_clinic_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_clinic_members_live("from", "to");
$fn$;
comment on function analytics.kpi_active_clinic_members_live(date, date) is 'KPI active_clinic_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_active_clinic_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_clinic_members_live(date, date) to authenticated, service_role;

-- KPI active_network_members
create or replace function analytics_private.kpi_active_network_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_network_members';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_network_members')
      and e.actor_tier = any (array['network']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_active_network_members as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_active_network_members_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_active_network_members_live(date, date) is 'KPI active_network_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_active_network_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_network_members_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_network_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_network_members_live("from", "to");
$fn$;
comment on function analytics.kpi_active_network_members_live(date, date) is 'KPI active_network_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_active_network_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_network_members_live(date, date) to authenticated, service_role;

-- KPI active_practitioners
create or replace function analytics_private.kpi_active_practitioners_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_practitioners';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_practitioners')
      and e.actor_tier = any (array['practitioner']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_active_practitioners as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_active_practitioners_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_active_practitioners_live(date, date) is 'KPI active_practitioners, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_active_practitioners_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_practitioners_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_practitioners_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_practitioners_live("from", "to");
$fn$;
comment on function analytics.kpi_active_practitioners_live(date, date) is 'KPI active_practitioners, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_active_practitioners_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_practitioners_live(date, date) to authenticated, service_role;

-- KPI api_latency_ms
create or replace function analytics_private.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'endpoint') as endpoint, (e.payload ->> 'duration_ms')::double precision as measure
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms') and jsonb_typeof(e.payload -> 'duration_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, r.endpoint, r.n, r.p50, r.p95, r.p99, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select 1 from fresh as t where t.period = r.period and t.endpoint is not distinct from r.endpoint)
  union all
  select f.site_id, f.period, f.endpoint, count(*), (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select v.site_id, v.period, v.endpoint, v.measure
        from analytics_private.kpi_api_latency_ms_values as v
        join (select distinct t.period, t.endpoint from fresh as t) as t
          on v.site_id = caller_site and v.period = t.period and v.endpoint is not distinct from t.endpoint
        union all
        select t.site_id, t.period, t.endpoint, t.measure from fresh as t) as f
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_latency_ms_live("from", "to");
$fn$;
comment on function analytics.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

-- KPI api_request_count
create or replace function analytics_private.kpi_api_request_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_request_count';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_request_count')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_api_request_count as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(*)
        from fresh as f
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_api_request_count_live(date, date) is 'KPI api_request_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_api_request_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_request_count_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_api_request_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_request_count_live("from", "to");
$fn$;
comment on function analytics.kpi_api_request_count_live(date, date) is 'KPI api_request_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_api_request_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_request_count_live(date, date) to authenticated, service_role;

-- KPI api_server_error_count
create or replace function analytics_private.kpi_api_server_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_server_error_count';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_server_error_count')
      and (e.payload ->> 'status_class') = any (array['server_error']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_api_server_error_count as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(*)
        from fresh as f
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_api_server_error_count_live(date, date) is 'KPI api_server_error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_api_server_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_server_error_count_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_api_server_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_server_error_count_live("from", "to");
$fn$;
comment on function analytics.kpi_api_server_error_count_live(date, date) is 'KPI api_server_error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_api_server_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_server_error_count_live(date, date) to authenticated, service_role;

-- KPI clinic_collaborators
create or replace function analytics_private.kpi_clinic_collaborators_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_collaborators';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_collaborators')
      and e.actor_tier = any (array['clinic']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_clinic_collaborators as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_clinic_collaborators_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_clinic_collaborators_live(date, date) is 'KPI clinic_collaborators, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_clinic_collaborators_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_collaborators_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_clinic_collaborators_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_clinic_collaborators_live("from", "to");
$fn$;
comment on function analytics.kpi_clinic_collaborators_live(date, date) is 'KPI clinic_collaborators, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_clinic_collaborators_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_collaborators_live(date, date) to authenticated, service_role;

-- KPI clinic_team_onboarding
create or replace function analytics_private.kpi_clinic_team_onboarding_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_team_onboarding')
  from analytics_private.kpi_clinic_team_onboarding_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_clinic_team_onboarding_live(date, date) is 'KPI clinic_team_onboarding, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_clinic_team_onboarding_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_team_onboarding_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_clinic_team_onboarding_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_clinic_team_onboarding_live("from", "to");
$fn$;
comment on function analytics.kpi_clinic_team_onboarding_live(date, date) is 'KPI clinic_team_onboarding for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_clinic_team_onboarding_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_team_onboarding_live(date, date) to authenticated, service_role;

-- KPI consumer_daily_actives
create or replace function analytics_private.kpi_consumer_daily_actives_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_daily_actives';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_daily_actives')
      and e.actor_tier = any (array['consumer']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_consumer_daily_actives as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_consumer_daily_actives_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_consumer_daily_actives_live(date, date) is 'KPI consumer_daily_actives, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_consumer_daily_actives_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_daily_actives_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_consumer_daily_actives_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_daily_actives_live("from", "to");
$fn$;
comment on function analytics.kpi_consumer_daily_actives_live(date, date) is 'KPI consumer_daily_actives, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_consumer_daily_actives_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_daily_actives_live(date, date) to authenticated, service_role;

-- KPI consumer_feature_users
create or replace function analytics_private.kpi_consumer_feature_users_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users')
      and e.actor_tier = any (array['consumer']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_consumer_feature_users as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_consumer_feature_users_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_live(date, date) is 'KPI consumer_feature_users, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_consumer_feature_users_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_consumer_feature_users_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_feature_users_live("from", "to");
$fn$;
comment on function analytics.kpi_consumer_feature_users_live(date, date) is 'KPI consumer_feature_users, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_consumer_feature_users_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_users_live(date, date) to authenticated, service_role;

-- KPI consumer_feature_users_by_feature
create or replace function analytics_private.kpi_consumer_feature_users_by_feature_live("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users_by_feature';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'feature') as feature, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users_by_feature')
      and e.actor_tier = any (array['consumer']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.feature, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.feature, r.value
        from analytics_private.kpi_consumer_feature_users_by_feature as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.feature, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_consumer_feature_users_by_feature_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.feature is not distinct from f.feature)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_by_feature_live(date, date) is 'KPI consumer_feature_users_by_feature, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_consumer_feature_users_by_feature_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_by_feature_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_consumer_feature_users_by_feature_live("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_feature_users_by_feature_live("from", "to");
$fn$;
comment on function analytics.kpi_consumer_feature_users_by_feature_live(date, date) is 'KPI consumer_feature_users_by_feature, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_consumer_feature_users_by_feature_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_users_by_feature_live(date, date) to authenticated, service_role;

-- KPI daily_active_actors
create or replace function analytics_private.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.tier, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.tier, r.value
        from analytics_private.kpi_daily_active_actors as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.tier, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_daily_active_actors_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.tier is not distinct from f.tier)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_daily_active_actors_live("from", "to");
$fn$;
comment on function analytics.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

-- KPI error_count
create or replace function analytics_private.kpi_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'error_count';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'error_count')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_error_count as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(*)
        from fresh as f
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_error_count_live(date, date) is 'KPI error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_error_count_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_error_count_live("from", "to");
$fn$;
comment on function analytics.kpi_error_count_live(date, date) is 'KPI error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_error_count_live(date, date) to authenticated, service_role;

-- KPI errors_by_code
create or replace function analytics_private.kpi_errors_by_code_live("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'errors_by_code';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'error_code') as error_code
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.error_code, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.error_code, r.value
        from analytics_private.kpi_errors_by_code as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.error_code, count(*)
        from fresh as f
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_errors_by_code_live(date, date) is 'KPI errors_by_code, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_errors_by_code_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_errors_by_code_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_errors_by_code_live("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_errors_by_code_live("from", "to");
$fn$;
comment on function analytics.kpi_errors_by_code_live(date, date) is 'KPI errors_by_code, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_errors_by_code_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_errors_by_code_live(date, date) to authenticated, service_role;

-- KPI monthly_active_actors
create or replace function analytics_private.kpi_monthly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_active_actors';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_active_actors')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.tier, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.tier, r.value
        from analytics_private.kpi_monthly_active_actors as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.tier, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_monthly_active_actors_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.tier is not distinct from f.tier)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_monthly_active_actors_live(date, date) is 'KPI monthly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_monthly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_active_actors_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_monthly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_monthly_active_actors_live("from", "to");
$fn$;
comment on function analytics.kpi_monthly_active_actors_live(date, date) is 'KPI monthly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_monthly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_monthly_active_actors_live(date, date) to authenticated, service_role;

-- KPI monthly_signup_retention
create or replace function analytics_private.kpi_monthly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_signup_retention')
  from analytics_private.kpi_monthly_signup_retention_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_monthly_signup_retention_live(date, date) is 'KPI monthly_signup_retention, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_monthly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_signup_retention_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_monthly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_monthly_signup_retention_live("from", "to");
$fn$;
comment on function analytics.kpi_monthly_signup_retention_live(date, date) is 'KPI monthly_signup_retention for the caller''s own site, periods in [from, to]: the refreshed cells (a retention KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_monthly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_monthly_signup_retention_live(date, date) to authenticated, service_role;

-- KPI network_analytics_viewers
create or replace function analytics_private.kpi_network_analytics_viewers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'network_analytics_viewers';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'network_analytics_viewers')
      and e.actor_tier = any (array['network']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_network_analytics_viewers as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_network_analytics_viewers_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_network_analytics_viewers_live(date, date) is 'KPI network_analytics_viewers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_network_analytics_viewers_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_network_analytics_viewers_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_network_analytics_viewers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_network_analytics_viewers_live("from", "to");
$fn$;
comment on function analytics.kpi_network_analytics_viewers_live(date, date) is 'KPI network_analytics_viewers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_network_analytics_viewers_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_network_analytics_viewers_live(date, date) to authenticated, service_role;

-- KPI protocol_loggers
create or replace function analytics_private.kpi_protocol_loggers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_loggers';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_loggers')
      and e.actor_tier = any (array['practitioner']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_protocol_loggers as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_protocol_loggers_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_protocol_loggers_live(date, date) is 'KPI protocol_loggers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_protocol_loggers_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_loggers_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_protocol_loggers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_loggers_live("from", "to");
$fn$;
comment on function analytics.kpi_protocol_loggers_live(date, date) is 'KPI protocol_loggers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_protocol_loggers_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_loggers_live(date, date) to authenticated, service_role;

-- KPI protocol_logging_retention
create or replace function analytics_private.kpi_protocol_logging_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_logging_retention')
  from analytics_private.kpi_protocol_logging_retention_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_protocol_logging_retention_live(date, date) is 'KPI protocol_logging_retention, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_protocol_logging_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_logging_retention_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_protocol_logging_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_logging_retention_live("from", "to");
$fn$;
comment on function analytics.kpi_protocol_logging_retention_live(date, date) is 'KPI protocol_logging_retention for the caller''s own site, periods in [from, to]: the refreshed cells (a retention KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_protocol_logging_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_retention_live(date, date) to authenticated, service_role;

-- KPI protocol_sessions_logged
create or replace function analytics_private.kpi_protocol_sessions_logged_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_sessions_logged';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'logging_mode') as logging_mode
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.logging_mode, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.logging_mode, r.value
        from analytics_private.kpi_protocol_sessions_logged as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.logging_mode, count(*)
        from fresh as f
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_protocol_sessions_logged_live(date, date) is 'KPI protocol_sessions_logged, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_protocol_sessions_logged_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_sessions_logged_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_protocol_sessions_logged_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_sessions_logged_live("from", "to");
$fn$;
comment on function analytics.kpi_protocol_sessions_logged_live(date, date) is 'KPI protocol_sessions_logged, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_protocol_sessions_logged_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_sessions_logged_live(date, date) to authenticated, service_role;

-- KPI screen_load_ms
create or replace function analytics_private.kpi_screen_load_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'screen_load_ms';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'screen') as screen, (e.payload ->> 'platform') as platform, (e.payload ->> 'load_ms')::double precision as measure
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'screen_load_ms') and jsonb_typeof(e.payload -> 'load_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, r.screen, r.platform, r.n, r.p50, r.p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select 1 from fresh as t where t.period = r.period and t.screen is not distinct from r.screen and t.platform is not distinct from r.platform)
  union all
  select f.site_id, f.period, f.screen, f.platform, count(*), (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select v.site_id, v.period, v.screen, v.platform, v.measure
        from analytics_private.kpi_screen_load_ms_values as v
        join (select distinct t.period, t.screen, t.platform from fresh as t) as t
          on v.site_id = caller_site and v.period = t.period and v.screen is not distinct from t.screen and v.platform is not distinct from t.platform
        union all
        select t.site_id, t.period, t.screen, t.platform, t.measure from fresh as t) as f
  group by 1, 2, 3, 4;
end
$fn$;
comment on function analytics_private.kpi_screen_load_ms_live(date, date) is 'KPI screen_load_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_screen_load_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_screen_load_ms_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_screen_load_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_screen_load_ms_live("from", "to");
$fn$;
comment on function analytics.kpi_screen_load_ms_live(date, date) is 'KPI screen_load_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_screen_load_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_screen_load_ms_live(date, date) to authenticated, service_role;

-- KPI trial_activation_to_conversion
create or replace function analytics_private.kpi_trial_activation_to_conversion_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'trial_activation_to_conversion')
  from analytics_private.kpi_trial_activation_to_conversion_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_trial_activation_to_conversion_live(date, date) is 'KPI trial_activation_to_conversion, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_trial_activation_to_conversion_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_trial_activation_to_conversion_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_trial_activation_to_conversion_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_trial_activation_to_conversion_live("from", "to");
$fn$;
comment on function analytics.kpi_trial_activation_to_conversion_live(date, date) is 'KPI trial_activation_to_conversion for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_trial_activation_to_conversion_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_trial_activation_to_conversion_live(date, date) to authenticated, service_role;

-- KPI upgrade_funnel_consumer_to_clinic
create or replace function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_funnel_consumer_to_clinic')
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) is 'KPI upgrade_funnel_consumer_to_clinic, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_upgrade_funnel_consumer_to_clinic_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live("from", "to");
$fn$;
comment on function analytics.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) is 'KPI upgrade_funnel_consumer_to_clinic for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) to authenticated, service_role;

-- KPI upgrade_prompt_to_trial
create or replace function analytics_private.kpi_upgrade_prompt_to_trial_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_prompt_to_trial')
  from analytics_private.kpi_upgrade_prompt_to_trial_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_upgrade_prompt_to_trial_live(date, date) is 'KPI upgrade_prompt_to_trial, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_upgrade_prompt_to_trial_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_prompt_to_trial_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_upgrade_prompt_to_trial_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_upgrade_prompt_to_trial_live("from", "to");
$fn$;
comment on function analytics.kpi_upgrade_prompt_to_trial_live(date, date) is 'KPI upgrade_prompt_to_trial for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_upgrade_prompt_to_trial_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_prompt_to_trial_live(date, date) to authenticated, service_role;

-- KPI weekly_active_actors
create or replace function analytics_private.kpi_weekly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_actors';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_active_actors')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.tier, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.tier, r.value
        from analytics_private.kpi_weekly_active_actors as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.tier, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_weekly_active_actors_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.tier is not distinct from f.tier)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_weekly_active_actors_live(date, date) is 'KPI weekly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_weekly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_actors_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_weekly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_weekly_active_actors_live("from", "to");
$fn$;
comment on function analytics.kpi_weekly_active_actors_live(date, date) is 'KPI weekly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_weekly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_active_actors_live(date, date) to authenticated, service_role;

-- KPI weekly_signup_retention
create or replace function analytics_private.kpi_weekly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_signup_retention')
  from analytics_private.kpi_weekly_signup_retention_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_weekly_signup_retention_live(date, date) is 'KPI weekly_signup_retention, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_weekly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_signup_retention_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_weekly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_weekly_signup_retention_live("from", "to");
$fn$;
comment on function analytics.kpi_weekly_signup_retention_live(date, date) is 'KPI weekly_signup_retention for the caller''s own site, periods in [from, to]: the refreshed cells (a retention KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_weekly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_signup_retention_live(date, date) to authenticated, service_role;

-- KPI active_actors_28d
create or replace function analytics_private.kpi_active_actors_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d')
  from analytics_private.kpi_active_actors_28d_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_active_actors_28d_live(date, date) is 'KPI active_actors_28d, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_active_actors_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_actors_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_actors_28d_live("from", "to");
$fn$;
comment on function analytics.kpi_active_actors_28d_live(date, date) is 'KPI active_actors_28d for the caller''s own site, periods in [from, to]: the refreshed cells (a rolling KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_active_actors_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_28d_live(date, date) to authenticated, service_role;

-- KPI active_actors_7d
create or replace function analytics_private.kpi_active_actors_7d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_7d')
  from analytics_private.kpi_active_actors_7d_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_active_actors_7d_live(date, date) is 'KPI active_actors_7d, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_active_actors_7d_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_7d_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_actors_7d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_actors_7d_live("from", "to");
$fn$;
comment on function analytics.kpi_active_actors_7d_live(date, date) is 'KPI active_actors_7d for the caller''s own site, periods in [from, to]: the refreshed cells (a rolling KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_active_actors_7d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_7d_live(date, date) to authenticated, service_role;

-- KPI api_server_error_rate
create or replace view analytics.kpi_api_server_error_rate with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_api_server_error_count_for_caller()),
       d as materialized (select * from analytics_private.kpi_api_request_count_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_api_server_error_rate is 'KPI api_server_error_rate: Share of API requests per day that ended with a 5xx status.';
revoke all on analytics.kpi_api_server_error_rate from public, anon, authenticated;
grant select on analytics.kpi_api_server_error_rate to authenticated, service_role;

create or replace function analytics.kpi_api_server_error_rate_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_api_server_error_count_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_api_server_error_rate_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_api_server_error_count_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_api_server_error_rate_live(date, date) is 'KPI api_server_error_rate, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_api_server_error_rate_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_server_error_rate_live(date, date) to authenticated, service_role;

-- KPI clinic_collaboration_adoption
create or replace view analytics.kpi_clinic_collaboration_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_clinic_collaborators_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_clinic_members_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_clinic_collaboration_adoption is 'KPI clinic_collaboration_adoption: Share of weekly active clinic-plan actors who used a collaboration feature that week.';
revoke all on analytics.kpi_clinic_collaboration_adoption from public, anon, authenticated;
grant select on analytics.kpi_clinic_collaboration_adoption to authenticated, service_role;

create or replace function analytics.kpi_clinic_collaboration_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_clinic_collaborators_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_clinic_members_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_clinic_collaboration_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_clinic_collaborators_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_clinic_members_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_clinic_collaboration_adoption_live(date, date) is 'KPI clinic_collaboration_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_clinic_collaboration_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_collaboration_adoption_live(date, date) to authenticated, service_role;

-- KPI consumer_feature_adoption
create or replace view analytics.kpi_consumer_feature_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_consumer_feature_users_for_caller()),
       d as materialized (select * from analytics_private.kpi_consumer_daily_actives_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_consumer_feature_adoption is 'KPI consumer_feature_adoption: Share of daily active free-plan actors who used a free feature surface that day.';
revoke all on analytics.kpi_consumer_feature_adoption from public, anon, authenticated;
grant select on analytics.kpi_consumer_feature_adoption to authenticated, service_role;

create or replace function analytics.kpi_consumer_feature_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_consumer_feature_users_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_consumer_daily_actives_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_consumer_feature_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_consumer_feature_users_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_consumer_daily_actives_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_consumer_feature_adoption_live(date, date) is 'KPI consumer_feature_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_consumer_feature_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_adoption_live(date, date) to authenticated, service_role;

-- KPI error_rate
create or replace view analytics.kpi_error_rate with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_error_count_for_caller()),
       d as materialized (select * from analytics_private.kpi_api_request_count_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_error_rate is 'KPI error_rate: Errors shown to callers per completed API request, per day.';
revoke all on analytics.kpi_error_rate from public, anon, authenticated;
grant select on analytics.kpi_error_rate to authenticated, service_role;

create or replace function analytics.kpi_error_rate_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_error_count_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_error_rate_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_error_count_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_error_rate_live(date, date) is 'KPI error_rate, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_error_rate_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_error_rate_live(date, date) to authenticated, service_role;

-- KPI network_analytics_adoption
create or replace view analytics.kpi_network_analytics_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_network_analytics_viewers_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_network_members_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_network_analytics_adoption is 'KPI network_analytics_adoption: Share of monthly active network-plan actors who used network analytics that month.';
revoke all on analytics.kpi_network_analytics_adoption from public, anon, authenticated;
grant select on analytics.kpi_network_analytics_adoption to authenticated, service_role;

create or replace function analytics.kpi_network_analytics_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_network_analytics_viewers_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_network_members_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_network_analytics_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_network_analytics_viewers_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_network_members_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_network_analytics_adoption_live(date, date) is 'KPI network_analytics_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_network_analytics_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_network_analytics_adoption_live(date, date) to authenticated, service_role;

-- KPI protocol_logging_adoption
create or replace view analytics.kpi_protocol_logging_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_protocol_loggers_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_practitioners_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_protocol_logging_adoption is 'KPI protocol_logging_adoption: Share of weekly active pro-plan actors who logged a protocol session that week.';
revoke all on analytics.kpi_protocol_logging_adoption from public, anon, authenticated;
grant select on analytics.kpi_protocol_logging_adoption to authenticated, service_role;

create or replace function analytics.kpi_protocol_logging_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_protocol_loggers_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_practitioners_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_protocol_logging_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_protocol_loggers_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_practitioners_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_protocol_logging_adoption_live(date, date) is 'KPI protocol_logging_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_protocol_logging_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_adoption_live(date, date) to authenticated, service_role;

-- KPI stickiness_dau_28d
create or replace view analytics.kpi_stickiness_dau_28d with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_daily_active_actors_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_actors_28d_for_caller())
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from n
        union
        select d.site_id, d.period, d.tier from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_stickiness_dau_28d is 'KPI stickiness_dau_28d: Share of the trailing 28-day actives who were active on the day (DAU over 28-day actives), by tier; higher means more habitual use.';
revoke all on analytics.kpi_stickiness_dau_28d from public, anon, authenticated;
grant select on analytics.kpi_stickiness_dau_28d to authenticated, service_role;

create or replace function analytics.kpi_stickiness_dau_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_daily_active_actors_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_actors_28d_between("from", "to"))
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from n
        union
        select d.site_id, d.period, d.tier from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_stickiness_dau_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select x.*,
         (select f.refreshed_at from analytics_private.kpi_freshness() as f where f.kpi = 'stickiness_dau_28d') as as_of
  from (  with n as materialized (select * from analytics_private.kpi_daily_active_actors_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_actors_28d_between("from", "to"))
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from n
        union
        select d.site_id, d.period, d.tier from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as x;
$fn$;
comment on function analytics.kpi_stickiness_dau_28d_live(date, date) is 'KPI stickiness_dau_28d for the caller''s own site, periods in [from, to]: the refreshed cells of its numerator and denominator (one of them has no real-time tail, and a live side over a refreshed one could exceed one); as_of: the older of their last refreshes.';
revoke all on function analytics.kpi_stickiness_dau_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_stickiness_dau_28d_live(date, date) to authenticated, service_role;
