-- trackgen migration 20260101000001: KPIs active_actors_28d, api_latency_ms, daily_active_actors, live_protocol_sessions; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set statement_timeout = '5min';
-- KPI refreshes take this lock shared: wait for the running ones; new ones skip their run until this commits.
set lock_timeout = '5min';
select pg_advisory_xact_lock(hashtextextended('trackgen.migrations', 0));
set lock_timeout = '5s';

-- KPI active_actors_28d
drop table if exists analytics_private.kpi_active_actors_28d_net;

-- KPI api_latency_ms
drop table if exists analytics_private.kpi_api_latency_ms_net;

-- KPI daily_active_actors
drop table if exists analytics_private.kpi_daily_active_actors_net;

-- KPI live_protocol_sessions
drop table if exists analytics_private.kpi_live_protocol_sessions_net;

create or replace function analytics_private.kpi_freshness()
returns table (kpi text, live text, refreshed_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
  select k.kpi, k.live, (select min(w.refreshed_at) from analytics_private.kpi_watermarks as w where w.kpi = any (k.stored))
  from (values
    ('api_latency_ms', 'refreshed', array['api_latency_ms']::text[], array['clinic']::text[]),
    ('daily_active_actors', 'refreshed', array['daily_active_actors']::text[], array['clinic']::text[]),
    ('live_protocol_sessions', 'refreshed', array['live_protocol_sessions']::text[], array['clinic']::text[]),
    ('upgrade_funnel', 'refreshed', array['upgrade_funnel']::text[], array['clinic']::text[]),
    ('weekly_active_practitioners', 'exact', array['weekly_active_practitioners']::text[], array['clinic']::text[]),
    ('weekly_protocol_loggers', 'exact', array['weekly_protocol_loggers']::text[], array['clinic']::text[]),
    ('weekly_retention', 'refreshed', array['weekly_retention']::text[], array['clinic']::text[]),
    ('active_actors_28d', 'refreshed', array['active_actors_28d']::text[], array['clinic']::text[]),
    ('protocol_logging_adoption', 'exact', array['weekly_active_practitioners', 'weekly_protocol_loggers']::text[], array['clinic']::text[])) as k (kpi, live, stored, readers)
  where (select analytics_private.kpi_caller_site()) is not null
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (k.readers)
  order by k.kpi;
$fn$;

-- KPI api_latency_ms
create materialized view if not exists analytics_private.kpi_api_latency_ms_mv_values as
select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'endpoint_group', '') as endpoint_group, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, e.idempotency_key as event_key,
         e.occurred_at, (e.payload ->> 'duration_ms')::double precision as measure, e.network_id
  from analytics_private.events as e
  where e.ingest_xid < (select w.next_xid from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms')
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms')
    and jsonb_typeof(e.payload -> 'duration_ms') = 'number';
comment on materialized view analytics_private.kpi_api_latency_ms_mv_values is 'KPI api_latency_ms (materialized view): one measured value per event.';
revoke all on analytics_private.kpi_api_latency_ms_mv_values from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_mv_values to service_role;

create unique index if not exists kpi_api_latency_ms_mv_values_key on analytics_private.kpi_api_latency_ms_mv_values (site_id, event_key, occurred_at);

create index if not exists kpi_api_latency_ms_mv_values_net_idx on analytics_private.kpi_api_latency_ms_mv_values (network_id, period, endpoint_group);

create materialized view if not exists analytics_private.kpi_api_latency_ms_mv as
  select f.site_id, f.period, f.endpoint_group, count(*) as n, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95
  from analytics_private.kpi_api_latency_ms_mv_values as f
  group by 1, 2, 3;
comment on materialized view analytics_private.kpi_api_latency_ms_mv is 'KPI api_latency_ms (materialized view): Median and 95th percentile API request duration per day, by endpoint group.';
revoke all on analytics_private.kpi_api_latency_ms_mv from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_mv to service_role;

create unique index if not exists kpi_api_latency_ms_mv_key on analytics_private.kpi_api_latency_ms_mv (site_id, period, endpoint_group);

create table if not exists analytics_private.kpi_api_latency_ms_net (
  network_id uuid not null,
  period date not null,
  endpoint_group text not null,
  n bigint not null,
  p50 double precision,
  p95 double precision,
  sites bigint not null,
  actors bigint not null,
  p50_hidden boolean not null default true,
  p95_hidden boolean not null default true,
  hidden boolean not null default true,
  constraint kpi_api_latency_ms_net_key unique nulls not distinct (network_id, period, endpoint_group)
);
comment on table analytics_private.kpi_api_latency_ms_net is 'KPI api_latency_ms: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_latency_ms_net enable row level security;
revoke all on analytics_private.kpi_api_latency_ms_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_net to service_role;

drop policy if exists kpi_api_latency_ms_net_service on analytics_private.kpi_api_latency_ms_net;
create policy kpi_api_latency_ms_net_service on analytics_private.kpi_api_latency_ms_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_api_latency_ms()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.api_latency_ms', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.api_latency_ms', 0));
  perform 1 from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_latency_ms';
  end if;
  -- Every event below this bound is committed and visible to the statements below; the views read
  -- the events below the watermark, so they hold exactly those.
  hi := pg_snapshot_xmin(pg_current_snapshot());
  update analytics_private.kpi_watermarks set next_xid = hi, refreshed_at = now() where kpi = 'api_latency_ms';
  refresh materialized view concurrently analytics_private.kpi_api_latency_ms_mv_values;
  analyze analytics_private.kpi_api_latency_ms_mv_values;
  refresh materialized view concurrently analytics_private.kpi_api_latency_ms_mv;
  analyze analytics_private.kpi_api_latency_ms_mv;
  -- Network cells: all of them, from the views (a materialized view has no partial refresh).
  delete from analytics_private.kpi_api_latency_ms_net;
  insert into analytics_private.kpi_api_latency_ms_net (network_id, period, endpoint_group, n, p50, p95, sites, actors)
  select f.network_id, f.period, f.endpoint_group, count(*) as n, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_api_latency_ms_mv_values as f where f.network_id is not null
  group by 1, 2, 3
;
  get diagnostics changed = row_count;
  -- The statements below are planned with the statistics of the views and cells just rewritten.
  analyze analytics_private.kpi_api_latency_ms_net;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_api_latency_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_api_latency_ms_mv_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint_group = c.endpoint_group),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_api_latency_ms_mv_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint_group = c.endpoint_group)
  from (select n.network_id, n.period, n.endpoint_group from analytics_private.kpi_api_latency_ms_net as n) as t
  where c.network_id = t.network_id and c.period = t.period and c.endpoint_group = t.endpoint_group;
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct n.network_id, n.period from analytics_private.kpi_api_latency_ms_net as n) as x;
  perform analytics_private.kpi_api_latency_ms_suppress(t_nets, t_periods);
  return changed;
end

$fn$;

comment on function analytics_private.refresh_kpi_api_latency_ms() is 'Refreshes KPI api_latency_ms''s materialized views and network cells; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_api_latency_ms() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_api_latency_ms() to service_role;

create or replace function analytics_private.kpi_api_latency_ms_for_caller()
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.endpoint_group::text, q.n::bigint, q.p50::double precision, q.p95::double precision
  from (select r.site_id, r.period, nullif(r.endpoint_group, '') as endpoint_group, r.n, r.p50, r.p95
  from analytics_private.kpi_api_latency_ms_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, endpoint_group, n, p50, p95);
end
$fn$;

create or replace function analytics_private.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.endpoint_group::text, q.n::bigint, q.p50::double precision, q.p95::double precision
  from (select r.site_id, r.period, nullif(r.endpoint_group, '') as endpoint_group, r.n, r.p50, r.p95
  from analytics_private.kpi_api_latency_ms_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, endpoint_group, n, p50, p95);
end
$fn$;

create or replace function analytics_private.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms')
  from analytics_private.kpi_api_latency_ms_between("from", "to") as b;
$fn$;

comment on function analytics_private.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

comment on function analytics.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms for the caller''s own site, periods in [from, to]: the refreshed cells (a percentile KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

-- KPI daily_active_actors
create materialized view if not exists analytics_private.kpi_daily_active_actors_mv_facts as
select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid < (select w.next_xid from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors')
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors');
comment on materialized view analytics_private.kpi_daily_active_actors_mv_facts is 'KPI daily_active_actors (materialized view): the distinct actors of each cell.';
revoke all on analytics_private.kpi_daily_active_actors_mv_facts from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_mv_facts to service_role;

create unique index if not exists kpi_daily_active_actors_mv_facts_key on analytics_private.kpi_daily_active_actors_mv_facts (site_id, period, tier, actor_hash, network_id);

create index if not exists kpi_daily_active_actors_mv_facts_net_idx on analytics_private.kpi_daily_active_actors_mv_facts (network_id, period, tier);

create materialized view if not exists analytics_private.kpi_daily_active_actors_mv as
  select f.site_id, f.period, f.tier, count(distinct f.actor_hash) as value
  from analytics_private.kpi_daily_active_actors_mv_facts as f
  group by 1, 2, 3;
comment on materialized view analytics_private.kpi_daily_active_actors_mv is 'KPI daily_active_actors (materialized view): Distinct actors with at least one product event in the day, by tier.';
revoke all on analytics_private.kpi_daily_active_actors_mv from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_mv to service_role;

create unique index if not exists kpi_daily_active_actors_mv_key on analytics_private.kpi_daily_active_actors_mv (site_id, period, tier);

create table if not exists analytics_private.kpi_daily_active_actors_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_daily_active_actors_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_daily_active_actors_net is 'KPI daily_active_actors: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_daily_active_actors_net enable row level security;
revoke all on analytics_private.kpi_daily_active_actors_net from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_net to service_role;

drop policy if exists kpi_daily_active_actors_net_service on analytics_private.kpi_daily_active_actors_net;
create policy kpi_daily_active_actors_net_service on analytics_private.kpi_daily_active_actors_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_daily_active_actors()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.daily_active_actors', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.daily_active_actors', 0));
  perform 1 from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'daily_active_actors';
  end if;
  -- Every event below this bound is committed and visible to the statements below; the views read
  -- the events below the watermark, so they hold exactly those.
  hi := pg_snapshot_xmin(pg_current_snapshot());
  update analytics_private.kpi_watermarks set next_xid = hi, refreshed_at = now() where kpi = 'daily_active_actors';
  refresh materialized view concurrently analytics_private.kpi_daily_active_actors_mv_facts;
  analyze analytics_private.kpi_daily_active_actors_mv_facts;
  refresh materialized view concurrently analytics_private.kpi_daily_active_actors_mv;
  analyze analytics_private.kpi_daily_active_actors_mv;
  -- Network cells: all of them, from the views (a materialized view has no partial refresh).
  delete from analytics_private.kpi_daily_active_actors_net;
  insert into analytics_private.kpi_daily_active_actors_net (network_id, period, tier, value, sites, actors)
  select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_daily_active_actors_mv_facts as f where f.network_id is not null
  group by 1, 2, 3
;
  get diagnostics changed = row_count;
  -- The statements below are planned with the statistics of the views and cells just rewritten.
  analyze analytics_private.kpi_daily_active_actors_net;
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct n.network_id, n.period from analytics_private.kpi_daily_active_actors_net as n) as x;
  perform analytics_private.kpi_daily_active_actors_suppress(t_nets, t_periods);
  return changed;
end

$fn$;

comment on function analytics_private.refresh_kpi_daily_active_actors() is 'Refreshes KPI daily_active_actors''s materialized views and network cells; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_daily_active_actors() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_daily_active_actors() to service_role;

create or replace function analytics_private.kpi_daily_active_actors_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_daily_active_actors_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.kpi_daily_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_daily_active_actors_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors')
  from analytics_private.kpi_daily_active_actors_between("from", "to") as b;
$fn$;

comment on function analytics_private.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

comment on function analytics.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors for the caller''s own site, periods in [from, to]: the refreshed cells (a distinct_actors KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

-- KPI live_protocol_sessions
create materialized view if not exists analytics_private.kpi_live_protocol_sessions_mv_facts as
select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'logging_mode', '') as logging_mode, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid < (select w.next_xid from analytics_private.kpi_watermarks as w where w.kpi = 'live_protocol_sessions')
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'live_protocol_sessions')
      and (e.payload ->> 'logging_mode') = any (array['after_session', 'live']::text[]);
comment on materialized view analytics_private.kpi_live_protocol_sessions_mv_facts is 'KPI live_protocol_sessions (materialized view): the distinct actors of each cell.';
revoke all on analytics_private.kpi_live_protocol_sessions_mv_facts from public, anon, authenticated;
grant all on analytics_private.kpi_live_protocol_sessions_mv_facts to service_role;

create unique index if not exists kpi_live_protocol_sessions_mv_facts_key on analytics_private.kpi_live_protocol_sessions_mv_facts (site_id, period, logging_mode, actor_hash, network_id);

create index if not exists kpi_live_protocol_sessions_mv_facts_net_idx on analytics_private.kpi_live_protocol_sessions_mv_facts (network_id, period, logging_mode);

create materialized view if not exists analytics_private.kpi_live_protocol_sessions_mv as
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'logging_mode', '') as logging_mode, e.network_id, count(*) as value
  from analytics_private.events as e
  where e.ingest_xid < (select w.next_xid from analytics_private.kpi_watermarks as w where w.kpi = 'live_protocol_sessions')
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'live_protocol_sessions')
      and (e.payload ->> 'logging_mode') = any (array['after_session', 'live']::text[])
  group by 1, 2, 3, 4;
comment on materialized view analytics_private.kpi_live_protocol_sessions_mv is 'KPI live_protocol_sessions (materialized view): Protocol sessions logged live or right after the session, per day and mode.';
revoke all on analytics_private.kpi_live_protocol_sessions_mv from public, anon, authenticated;
grant all on analytics_private.kpi_live_protocol_sessions_mv to service_role;

create unique index if not exists kpi_live_protocol_sessions_mv_key on analytics_private.kpi_live_protocol_sessions_mv (site_id, period, logging_mode, network_id);

create table if not exists analytics_private.kpi_live_protocol_sessions_net (
  network_id uuid not null,
  period date not null,
  logging_mode text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_live_protocol_sessions_net_key unique nulls not distinct (network_id, period, logging_mode)
);
comment on table analytics_private.kpi_live_protocol_sessions_net is 'KPI live_protocol_sessions: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_live_protocol_sessions_net enable row level security;
revoke all on analytics_private.kpi_live_protocol_sessions_net from public, anon, authenticated;
grant all on analytics_private.kpi_live_protocol_sessions_net to service_role;

drop policy if exists kpi_live_protocol_sessions_net_service on analytics_private.kpi_live_protocol_sessions_net;
create policy kpi_live_protocol_sessions_net_service on analytics_private.kpi_live_protocol_sessions_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_live_protocol_sessions()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.live_protocol_sessions', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.live_protocol_sessions', 0));
  perform 1 from analytics_private.kpi_watermarks as w where w.kpi = 'live_protocol_sessions' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'live_protocol_sessions';
  end if;
  -- Every event below this bound is committed and visible to the statements below; the views read
  -- the events below the watermark, so they hold exactly those.
  hi := pg_snapshot_xmin(pg_current_snapshot());
  update analytics_private.kpi_watermarks set next_xid = hi, refreshed_at = now() where kpi = 'live_protocol_sessions';
  refresh materialized view concurrently analytics_private.kpi_live_protocol_sessions_mv_facts;
  analyze analytics_private.kpi_live_protocol_sessions_mv_facts;
  refresh materialized view concurrently analytics_private.kpi_live_protocol_sessions_mv;
  analyze analytics_private.kpi_live_protocol_sessions_mv;
  -- Network cells: all of them, from the views (a materialized view has no partial refresh).
  delete from analytics_private.kpi_live_protocol_sessions_net;
  insert into analytics_private.kpi_live_protocol_sessions_net (network_id, period, logging_mode, value, sites, actors)
  select u.network_id, u.period, u.logging_mode, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, f.logging_mode, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_live_protocol_sessions_mv as f where f.network_id is not null
        group by 1, 2, 3
        union all
        select f.network_id, f.period, f.logging_mode, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_live_protocol_sessions_mv_facts as f where f.network_id is not null
        group by 1, 2, 3) as u
  group by 1, 2, 3
;
  get diagnostics changed = row_count;
  -- The statements below are planned with the statistics of the views and cells just rewritten.
  analyze analytics_private.kpi_live_protocol_sessions_net;
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct n.network_id, n.period from analytics_private.kpi_live_protocol_sessions_net as n) as x;
  perform analytics_private.kpi_live_protocol_sessions_suppress(t_nets, t_periods);
  return changed;
end

$fn$;

comment on function analytics_private.refresh_kpi_live_protocol_sessions() is 'Refreshes KPI live_protocol_sessions''s materialized views and network cells; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_live_protocol_sessions() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_live_protocol_sessions() to service_role;

create or replace function analytics_private.kpi_live_protocol_sessions_for_caller()
returns table (site_id uuid, period date, logging_mode text, value bigint)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.logging_mode::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_live_protocol_sessions_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
  group by 1, 2, 3) as q (site_id, period, logging_mode, value);
end
$fn$;

create or replace function analytics_private.kpi_live_protocol_sessions_between("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.logging_mode::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_live_protocol_sessions_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3) as q (site_id, period, logging_mode, value);
end
$fn$;

create or replace function analytics_private.kpi_live_protocol_sessions_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'live_protocol_sessions')
  from analytics_private.kpi_live_protocol_sessions_between("from", "to") as b;
$fn$;

comment on function analytics_private.kpi_live_protocol_sessions_live(date, date) is 'KPI live_protocol_sessions, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_live_protocol_sessions_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_live_protocol_sessions_live(date, date) to authenticated, service_role;

comment on function analytics.kpi_live_protocol_sessions_live(date, date) is 'KPI live_protocol_sessions for the caller''s own site, periods in [from, to]: the refreshed cells (a count KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_live_protocol_sessions_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_live_protocol_sessions_live(date, date) to authenticated, service_role;

-- KPI active_actors_28d
create materialized view if not exists analytics_private.kpi_active_actors_28d_mv as
with active as (
    select distinct f.site_id, f.tier, f.actor_hash as member, f.period as day
    from analytics_private.kpi_daily_active_actors_mv_facts as f
    where f.period <= (now() at time zone 'UTC')::date
  ), runs as (
    select a.site_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.site_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.site_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 28
    union all
    select r.site_id, r.tier, r.day + 28, -1
    from runs as r where r.next_gap is null or r.next_gap > 28
  ), deltas as (
    select m.site_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.site_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.site_id, s.period, s.tier, s.value
  from (select c.site_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.site_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.site_id = c.site_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0;
comment on materialized view analytics_private.kpi_active_actors_28d_mv is 'KPI active_actors_28d (materialized view): Distinct actors active on any of the 28 days ending with each day.';
revoke all on analytics_private.kpi_active_actors_28d_mv from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_28d_mv to service_role;

create unique index if not exists kpi_active_actors_28d_mv_key on analytics_private.kpi_active_actors_28d_mv (site_id, period, tier);

create table if not exists analytics_private.kpi_active_actors_28d_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_actors_28d_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_28d_net is 'KPI active_actors_28d: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_actors_28d_net enable row level security;
revoke all on analytics_private.kpi_active_actors_28d_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_28d_net to service_role;

drop policy if exists kpi_active_actors_28d_net_service on analytics_private.kpi_active_actors_28d_net;
create policy kpi_active_actors_28d_net_service on analytics_private.kpi_active_actors_28d_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_actors_28d()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  -- An input KPI is brought up to date first, in this transaction, so this one never lags it.
  perform analytics_private.refresh_kpi_daily_active_actors();
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_actors_28d', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_actors_28d', 0));
  perform 1 from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_actors_28d';
  end if;
  -- Every event below this bound is committed and visible to the statements below; the views read
  -- the events below the watermark, so they hold exactly those.
  hi := pg_snapshot_xmin(pg_current_snapshot());
  update analytics_private.kpi_watermarks set next_xid = hi, refreshed_at = now() where kpi = 'active_actors_28d';
  refresh materialized view concurrently analytics_private.kpi_active_actors_28d_mv;
  analyze analytics_private.kpi_active_actors_28d_mv;
  -- Network cells: all of them, from the views (a materialized view has no partial refresh).
  delete from analytics_private.kpi_active_actors_28d_net;
  insert into analytics_private.kpi_active_actors_28d_net (network_id, period, tier, value, sites, actors)
select u.network_id, u.period, u.tier, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (
        select v.network_id, v.period, v.tier, v.value, 0 as sites, v.value as actors
        from (with active as (
    select distinct f.network_id, f.tier, f.actor_hash as member, f.period as day
    from analytics_private.kpi_daily_active_actors_mv_facts as f
    where f.period <= (now() at time zone 'UTC')::date and f.network_id is not null
  ), runs as (
    select a.network_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.network_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.network_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 28
    union all
    select r.network_id, r.tier, r.day + 28, -1
    from runs as r where r.next_gap is null or r.next_gap > 28
  ), deltas as (
    select m.network_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.network_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.network_id, s.period, s.tier, s.value
  from (select c.network_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.network_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.network_id = c.network_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v
        union all
        select v.network_id, v.period, v.tier, 0, v.value, 0
        from (with active as (
    select distinct f.network_id, f.tier, f.site_id as member, f.period as day
    from analytics_private.kpi_daily_active_actors_mv_facts as f
    where f.period <= (now() at time zone 'UTC')::date and f.network_id is not null
  ), runs as (
    select a.network_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.network_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.network_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 28
    union all
    select r.network_id, r.tier, r.day + 28, -1
    from runs as r where r.next_gap is null or r.next_gap > 28
  ), deltas as (
    select m.network_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.network_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.network_id, s.period, s.tier, s.value
  from (select c.network_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.network_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.network_id = c.network_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v) as u
  group by 1, 2, 3
;
  get diagnostics changed = row_count;
  -- The statements below are planned with the statistics of the views and cells just rewritten.
  analyze analytics_private.kpi_active_actors_28d_net;
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct n.network_id, n.period from analytics_private.kpi_active_actors_28d_net as n) as x;
  perform analytics_private.kpi_active_actors_28d_suppress(t_nets, t_periods);
  return changed;
end

$fn$;

comment on function analytics_private.refresh_kpi_active_actors_28d() is 'Refreshes KPI active_actors_28d''s materialized views and network cells; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_active_actors_28d() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_active_actors_28d() to service_role;

create or replace function analytics_private.kpi_active_actors_28d_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_28d_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[]) and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.kpi_active_actors_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $fn$
#variable_conflict use_column
begin
  return query
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_28d_mv as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to" and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
end
$fn$;

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

-- KPI api_latency_ms
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

-- KPI daily_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

-- KPI live_protocol_sessions
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'live_protocol_sessions';

drop policy if exists kpi_active_actors_28d_service on analytics_private.kpi_active_actors_28d;

drop policy if exists kpi_active_actors_28d_runs_service on analytics_private.kpi_active_actors_28d_runs;

drop policy if exists kpi_api_latency_ms_service on analytics_private.kpi_api_latency_ms;

drop policy if exists kpi_api_latency_ms_values_service on analytics_private.kpi_api_latency_ms_values;

drop policy if exists kpi_daily_active_actors_service on analytics_private.kpi_daily_active_actors;

drop policy if exists kpi_daily_active_actors_facts_service on analytics_private.kpi_daily_active_actors_facts;

drop policy if exists kpi_live_protocol_sessions_service on analytics_private.kpi_live_protocol_sessions;

drop policy if exists kpi_live_protocol_sessions_facts_service on analytics_private.kpi_live_protocol_sessions_facts;

drop table if exists analytics_private.kpi_active_actors_28d;

drop table if exists analytics_private.kpi_active_actors_28d_runs;

drop table if exists analytics_private.kpi_api_latency_ms;

drop table if exists analytics_private.kpi_api_latency_ms_values;

drop table if exists analytics_private.kpi_daily_active_actors;

drop table if exists analytics_private.kpi_daily_active_actors_facts;

drop table if exists analytics_private.kpi_live_protocol_sessions;

drop table if exists analytics_private.kpi_live_protocol_sessions_facts;
