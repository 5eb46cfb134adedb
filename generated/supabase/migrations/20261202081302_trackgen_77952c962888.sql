-- trackgen migration 20261202081302: KPIs active_actors_28d, active_actors_7d, active_clinic_members, active_network_members, active_practitioners, api_latency_ms, api_request_count, api_server_error_count, clinic_collaborators, clinic_team_onboarding, consumer_daily_actives, consumer_feature_users, consumer_feature_users_by_feature, daily_active_actors, error_count, errors_by_code, monthly_active_actors, monthly_signup_retention, network_analytics_viewers, protocol_loggers, protocol_logging_retention, protocol_sessions_logged, screen_load_ms, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial, weekly_active_actors, weekly_signup_retention; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set statement_timeout = '5min';
-- KPI refreshes take this lock shared: wait for the running ones; new ones skip their run until this commits.
set lock_timeout = '5min';
select pg_advisory_xact_lock(hashtextextended('trackgen.migrations', 0));
set lock_timeout = '5s';
create or replace function analytics_private.kpi_caller_site()
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return (auth.jwt() #>> '{app_metadata,site_id}')::uuid;
exception when invalid_text_representation then
  return null;
end
$fn$;

create or replace function analytics_private.kpi_caller_network()
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return (auth.jwt() #>> '{app_metadata,network_id}')::uuid;
exception when invalid_text_representation then
  return null;
end
$fn$;

-- KPI active_clinic_members
create or replace function analytics_private.kpi_active_clinic_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_active_clinic_members as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
                    where w.kpi = 'active_clinic_members');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_clinic_members';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_active_clinic_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_clinic_members_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_active_clinic_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_clinic_members_live("from", "to");
end
$fn$;

-- KPI active_network_members
create or replace function analytics_private.kpi_active_network_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_active_network_members as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
                    where w.kpi = 'active_network_members');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_network_members';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_active_network_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_network_members_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_active_network_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_network_members_live("from", "to");
end
$fn$;

-- KPI active_practitioners
create or replace function analytics_private.kpi_active_practitioners_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_active_practitioners as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
                    where w.kpi = 'active_practitioners');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_practitioners';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_active_practitioners_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_practitioners_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_active_practitioners_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_practitioners_live("from", "to");
end
$fn$;

-- KPI api_latency_ms
create or replace function analytics_private.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, nullif(r.endpoint, '') as endpoint, r.n, r.p50, r.p95, r.p99, statement_timestamp()
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'api_latency_ms');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'endpoint', '') as endpoint, (e.payload ->> 'duration_ms')::double precision as measure
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms') and jsonb_typeof(e.payload -> 'duration_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, nullif(r.endpoint, '') as endpoint, r.n, r.p50, r.p95, r.p99, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
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

create or replace function analytics.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_latency_ms_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_latency_ms_live("from", "to");
end
$fn$;

-- KPI api_request_count
create or replace function analytics_private.kpi_api_request_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, sum(r.value)::bigint, statement_timestamp()
  from analytics_private.kpi_api_request_count as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'api_request_count')
  group by 1, 2;
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_request_count';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_api_request_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_request_count_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_api_request_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_request_count_live("from", "to");
end
$fn$;

-- KPI api_server_error_count
create or replace function analytics_private.kpi_api_server_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, sum(r.value)::bigint, statement_timestamp()
  from analytics_private.kpi_api_server_error_count as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'api_server_error_count')
  group by 1, 2;
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_server_error_count';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_api_server_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_server_error_count_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_api_server_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_server_error_count_live("from", "to");
end
$fn$;

-- KPI clinic_collaborators
create or replace function analytics_private.kpi_clinic_collaborators_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_clinic_collaborators as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
                    where w.kpi = 'clinic_collaborators');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_collaborators';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_clinic_collaborators_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_clinic_collaborators_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_clinic_collaborators_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_clinic_collaborators_live("from", "to");
end
$fn$;

-- KPI clinic_team_onboarding
create or replace function analytics.kpi_clinic_team_onboarding_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_clinic_team_onboarding_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_clinic_team_onboarding_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_clinic_team_onboarding_live("from", "to");
end
$fn$;

-- KPI consumer_daily_actives
create or replace function analytics_private.kpi_consumer_daily_actives_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_consumer_daily_actives as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'consumer_daily_actives');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_daily_actives';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_consumer_daily_actives_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consumer_daily_actives_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_consumer_daily_actives_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consumer_daily_actives_live("from", "to");
end
$fn$;

-- KPI consumer_feature_users
create or replace function analytics_private.kpi_consumer_feature_users_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_consumer_feature_users as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'consumer_feature_users');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_consumer_feature_users_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consumer_feature_users_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_consumer_feature_users_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consumer_feature_users_live("from", "to");
end
$fn$;

-- KPI consumer_feature_users_by_feature
create or replace function analytics_private.kpi_consumer_feature_users_by_feature_live("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, nullif(r.feature, '') as feature, r.value, statement_timestamp()
  from analytics_private.kpi_consumer_feature_users_by_feature as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'consumer_feature_users_by_feature');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users_by_feature';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'feature', '') as feature, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users_by_feature')
      and e.actor_tier = any (array['consumer']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.feature, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, nullif(r.feature, '') as feature, r.value
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

create or replace function analytics.kpi_consumer_feature_users_by_feature_between("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consumer_feature_users_by_feature_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_consumer_feature_users_by_feature_live("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consumer_feature_users_by_feature_live("from", "to");
end
$fn$;

-- KPI daily_active_actors
create or replace function analytics_private.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.tier, r.value, statement_timestamp()
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'daily_active_actors');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_daily_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_daily_active_actors_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_daily_active_actors_live("from", "to");
end
$fn$;

-- KPI error_count
create or replace function analytics_private.kpi_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, sum(r.value)::bigint, statement_timestamp()
  from analytics_private.kpi_error_count as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'error_count')
  group by 1, 2;
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'error_count';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_error_count_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_error_count_live("from", "to");
end
$fn$;

-- KPI errors_by_code
create or replace function analytics_private.kpi_errors_by_code_live("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, nullif(r.error_code, '') as error_code, sum(r.value)::bigint, statement_timestamp()
  from analytics_private.kpi_errors_by_code as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'errors_by_code')
  group by 1, 2, 3;
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'errors_by_code';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'error_code', '') as error_code
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.error_code, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, nullif(r.error_code, '') as error_code, r.value
        from analytics_private.kpi_errors_by_code as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.error_code, count(*)
        from fresh as f
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;

create or replace function analytics.kpi_errors_by_code_between("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_errors_by_code_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_errors_by_code_live("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_errors_by_code_live("from", "to");
end
$fn$;

-- KPI monthly_active_actors
create or replace function analytics_private.kpi_monthly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.tier, r.value, statement_timestamp()
  from analytics_private.kpi_monthly_active_actors as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
                    where w.kpi = 'monthly_active_actors');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_active_actors';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_monthly_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_monthly_active_actors_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_monthly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_monthly_active_actors_live("from", "to");
end
$fn$;

-- KPI monthly_signup_retention
create or replace function analytics.kpi_monthly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_monthly_signup_retention_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_monthly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_monthly_signup_retention_live("from", "to");
end
$fn$;

-- KPI network_analytics_viewers
create or replace function analytics_private.kpi_network_analytics_viewers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_network_analytics_viewers as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
                    where w.kpi = 'network_analytics_viewers');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'network_analytics_viewers';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_network_analytics_viewers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_network_analytics_viewers_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_network_analytics_viewers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_network_analytics_viewers_live("from", "to");
end
$fn$;

-- KPI protocol_loggers
create or replace function analytics_private.kpi_protocol_loggers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_protocol_loggers as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
                    where w.kpi = 'protocol_loggers');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_loggers';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_protocol_loggers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_protocol_loggers_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_protocol_loggers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_protocol_loggers_live("from", "to");
end
$fn$;

-- KPI protocol_logging_retention
create or replace function analytics.kpi_protocol_logging_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_protocol_logging_retention_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_protocol_logging_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_protocol_logging_retention_live("from", "to");
end
$fn$;

-- KPI protocol_sessions_logged
create or replace function analytics_private.kpi_protocol_sessions_logged_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint, statement_timestamp()
  from analytics_private.kpi_protocol_sessions_logged as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'protocol_sessions_logged')
  group by 1, 2, 3;
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_sessions_logged';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'logging_mode', '') as logging_mode
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.logging_mode, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, r.value
        from analytics_private.kpi_protocol_sessions_logged as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.logging_mode, count(*)
        from fresh as f
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;

create or replace function analytics.kpi_protocol_sessions_logged_between("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_protocol_sessions_logged_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_protocol_sessions_logged_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_protocol_sessions_logged_live("from", "to");
end
$fn$;

-- KPI screen_load_ms
create or replace function analytics_private.kpi_screen_load_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, r.n, r.p50, r.p95, statement_timestamp()
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'screen_load_ms');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'screen_load_ms';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'screen', '') as screen, coalesce(e.payload ->> 'platform', '') as platform, (e.payload ->> 'load_ms')::double precision as measure
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'screen_load_ms') and jsonb_typeof(e.payload -> 'load_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, r.n, r.p50, r.p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
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

create or replace function analytics.kpi_screen_load_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_screen_load_ms_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_screen_load_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_screen_load_ms_live("from", "to");
end
$fn$;

-- KPI trial_activation_to_conversion
create or replace function analytics.kpi_trial_activation_to_conversion_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_trial_activation_to_conversion_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_trial_activation_to_conversion_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_trial_activation_to_conversion_live("from", "to");
end
$fn$;

-- KPI upgrade_funnel_consumer_to_clinic
create or replace function analytics.kpi_upgrade_funnel_consumer_to_clinic_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_upgrade_funnel_consumer_to_clinic_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live("from", "to");
end
$fn$;

-- KPI upgrade_prompt_to_trial
create or replace function analytics.kpi_upgrade_prompt_to_trial_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_upgrade_prompt_to_trial_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_upgrade_prompt_to_trial_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_upgrade_prompt_to_trial_live("from", "to");
end
$fn$;

-- KPI weekly_active_actors
create or replace function analytics_private.kpi_weekly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.tier, r.value, statement_timestamp()
  from analytics_private.kpi_weekly_active_actors as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
                    where w.kpi = 'weekly_active_actors');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_actors';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
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

create or replace function analytics.kpi_weekly_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_active_actors_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_weekly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_active_actors_live("from", "to");
end
$fn$;

-- KPI weekly_signup_retention
create or replace function analytics.kpi_weekly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_signup_retention_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_weekly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_signup_retention_live("from", "to");
end
$fn$;

-- KPI active_actors_28d
create or replace function analytics.kpi_active_actors_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_actors_28d_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_active_actors_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_actors_28d_live("from", "to");
end
$fn$;

-- KPI active_actors_7d
create or replace function analytics.kpi_active_actors_7d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_actors_7d_between("from", "to");
end
$fn$;

create or replace function analytics.kpi_active_actors_7d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_actors_7d_live("from", "to");
end
$fn$;
