-- trackgen migration 20261202062402: KPIs active_actors_28d, active_actors_7d, active_clinic_members, active_network_members, active_practitioners, api_latency_ms, api_request_count, api_server_error_count, clinic_collaborators, clinic_team_onboarding, consumer_daily_actives, consumer_feature_users, consumer_feature_users_by_feature, daily_active_actors, error_count, errors_by_code, monthly_active_actors, monthly_signup_retention, network_analytics_viewers, protocol_loggers, protocol_logging_retention, protocol_sessions_logged, screen_load_ms, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial, weekly_active_actors, weekly_signup_retention; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set statement_timeout = '5min';
-- KPI refreshes take this lock shared: wait for the running ones; new ones skip their run until this commits.
set lock_timeout = '5min';
select pg_advisory_xact_lock(hashtextextended('trackgen.migrations', 0));
set lock_timeout = '5s';
drop function if exists analytics_private.kpi_actors_but_one(uuid[], bytea[]);

-- KPI active_actors_28d
drop table if exists analytics_private.kpi_active_actors_28d;

drop table if exists analytics_private.kpi_active_actors_28d_net;

drop table if exists analytics_private.kpi_active_actors_28d_runs;

-- KPI active_actors_7d
drop table if exists analytics_private.kpi_active_actors_7d;

drop table if exists analytics_private.kpi_active_actors_7d_net;

drop table if exists analytics_private.kpi_active_actors_7d_runs;

-- KPI active_clinic_members
drop table if exists analytics_private.kpi_active_clinic_members;

drop table if exists analytics_private.kpi_active_clinic_members_facts;

drop table if exists analytics_private.kpi_active_clinic_members_net;

-- KPI active_network_members
drop table if exists analytics_private.kpi_active_network_members;

drop table if exists analytics_private.kpi_active_network_members_facts;

drop table if exists analytics_private.kpi_active_network_members_net;

-- KPI active_practitioners
drop table if exists analytics_private.kpi_active_practitioners;

drop table if exists analytics_private.kpi_active_practitioners_facts;

drop table if exists analytics_private.kpi_active_practitioners_net;

-- KPI api_latency_ms
drop table if exists analytics_private.kpi_api_latency_ms;

drop table if exists analytics_private.kpi_api_latency_ms_net;

drop table if exists analytics_private.kpi_api_latency_ms_values;

-- KPI api_request_count
drop table if exists analytics_private.kpi_api_request_count;

drop table if exists analytics_private.kpi_api_request_count_facts;

drop table if exists analytics_private.kpi_api_request_count_net;

-- KPI api_server_error_count
drop table if exists analytics_private.kpi_api_server_error_count;

drop table if exists analytics_private.kpi_api_server_error_count_facts;

drop table if exists analytics_private.kpi_api_server_error_count_net;

-- KPI clinic_collaborators
drop table if exists analytics_private.kpi_clinic_collaborators;

drop table if exists analytics_private.kpi_clinic_collaborators_facts;

drop table if exists analytics_private.kpi_clinic_collaborators_net;

-- KPI clinic_team_onboarding
drop table if exists analytics_private.kpi_clinic_team_onboarding;

drop table if exists analytics_private.kpi_clinic_team_onboarding_actors;

drop table if exists analytics_private.kpi_clinic_team_onboarding_net;

drop table if exists analytics_private.kpi_clinic_team_onboarding_steps;

-- KPI consumer_daily_actives
drop table if exists analytics_private.kpi_consumer_daily_actives;

drop table if exists analytics_private.kpi_consumer_daily_actives_facts;

drop table if exists analytics_private.kpi_consumer_daily_actives_net;

-- KPI consumer_feature_users
drop table if exists analytics_private.kpi_consumer_feature_users;

-- KPI consumer_feature_users_by_feature
drop table if exists analytics_private.kpi_consumer_feature_users_by_feature;

drop table if exists analytics_private.kpi_consumer_feature_users_by_feature_facts;

drop table if exists analytics_private.kpi_consumer_feature_users_by_feature_net;

-- KPI consumer_feature_users
drop table if exists analytics_private.kpi_consumer_feature_users_facts;

drop table if exists analytics_private.kpi_consumer_feature_users_net;

-- KPI daily_active_actors
drop table if exists analytics_private.kpi_daily_active_actors;

drop table if exists analytics_private.kpi_daily_active_actors_facts;

drop table if exists analytics_private.kpi_daily_active_actors_net;

-- KPI error_count
drop table if exists analytics_private.kpi_error_count;

drop table if exists analytics_private.kpi_error_count_facts;

drop table if exists analytics_private.kpi_error_count_net;

-- KPI errors_by_code
drop table if exists analytics_private.kpi_errors_by_code;

drop table if exists analytics_private.kpi_errors_by_code_facts;

drop table if exists analytics_private.kpi_errors_by_code_net;

-- KPI monthly_active_actors
drop table if exists analytics_private.kpi_monthly_active_actors;

drop table if exists analytics_private.kpi_monthly_active_actors_facts;

drop table if exists analytics_private.kpi_monthly_active_actors_net;

-- KPI monthly_signup_retention
drop table if exists analytics_private.kpi_monthly_signup_retention;

drop table if exists analytics_private.kpi_monthly_signup_retention_active;

drop table if exists analytics_private.kpi_monthly_signup_retention_cohorts;

drop table if exists analytics_private.kpi_monthly_signup_retention_net;

-- KPI network_analytics_viewers
drop table if exists analytics_private.kpi_network_analytics_viewers;

drop table if exists analytics_private.kpi_network_analytics_viewers_facts;

drop table if exists analytics_private.kpi_network_analytics_viewers_net;

-- KPI protocol_loggers
drop table if exists analytics_private.kpi_protocol_loggers;

drop table if exists analytics_private.kpi_protocol_loggers_facts;

drop table if exists analytics_private.kpi_protocol_loggers_net;

-- KPI protocol_logging_retention
drop table if exists analytics_private.kpi_protocol_logging_retention;

drop table if exists analytics_private.kpi_protocol_logging_retention_active;

drop table if exists analytics_private.kpi_protocol_logging_retention_cohorts;

drop table if exists analytics_private.kpi_protocol_logging_retention_net;

-- KPI protocol_sessions_logged
drop table if exists analytics_private.kpi_protocol_sessions_logged;

drop table if exists analytics_private.kpi_protocol_sessions_logged_facts;

drop table if exists analytics_private.kpi_protocol_sessions_logged_net;

-- KPI screen_load_ms
drop table if exists analytics_private.kpi_screen_load_ms;

drop table if exists analytics_private.kpi_screen_load_ms_net;

drop table if exists analytics_private.kpi_screen_load_ms_values;

-- KPI trial_activation_to_conversion
drop table if exists analytics_private.kpi_trial_activation_to_conversion;

drop table if exists analytics_private.kpi_trial_activation_to_conversion_actors;

drop table if exists analytics_private.kpi_trial_activation_to_conversion_net;

drop table if exists analytics_private.kpi_trial_activation_to_conversion_steps;

-- KPI upgrade_funnel_consumer_to_clinic
drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic;

drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;

drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net;

drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;

-- KPI upgrade_prompt_to_trial
drop table if exists analytics_private.kpi_upgrade_prompt_to_trial;

drop table if exists analytics_private.kpi_upgrade_prompt_to_trial_actors;

drop table if exists analytics_private.kpi_upgrade_prompt_to_trial_net;

drop table if exists analytics_private.kpi_upgrade_prompt_to_trial_steps;

-- KPI weekly_active_actors
drop table if exists analytics_private.kpi_weekly_active_actors;

drop table if exists analytics_private.kpi_weekly_active_actors_facts;

drop table if exists analytics_private.kpi_weekly_active_actors_net;

-- KPI weekly_signup_retention
drop table if exists analytics_private.kpi_weekly_signup_retention;

drop table if exists analytics_private.kpi_weekly_signup_retention_active;

drop table if exists analytics_private.kpi_weekly_signup_retention_cohorts;

drop table if exists analytics_private.kpi_weekly_signup_retention_net;

create or replace function analytics_private.kpi_actors_but_one(sites uuid[], actors bigint[])
returns bigint
language sql
immutable
security invoker
set search_path = ''
as $fn$
  with p as (
    select distinct u.site_id, u.actor_hash
    from unnest(sites, actors) as u (site_id, actor_hash)
    where u.actor_hash is not null
  ), a as (
    select p.actor_hash, count(*) as n_sites, min(p.site_id::text) as one_site
    from p
    group by p.actor_hash
  )
  select count(*) - coalesce((select max(e.n) from (select count(*) as n from a
                                                    where a.n_sites = 1 group by a.one_site) as e), 0)
  from a;
$fn$;
comment on function analytics_private.kpi_actors_but_one(uuid[], bigint[]) is 'Distinct actors of (site, actor) pairs left after removing the site that holds the most actors seen at no other site: what any one site''s caller cannot know.';
revoke all on function analytics_private.kpi_actors_but_one(uuid[], bigint[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_actors_but_one(uuid[], bigint[]) to service_role;

-- KPI active_clinic_members
create table if not exists analytics_private.kpi_active_clinic_members_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_clinic_members_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_active_clinic_members_facts is 'KPI active_clinic_members: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_active_clinic_members_facts enable row level security;
revoke all on analytics_private.kpi_active_clinic_members_facts from public, anon, authenticated;
grant all on analytics_private.kpi_active_clinic_members_facts to service_role;

create index if not exists kpi_active_clinic_members_facts_xid_idx on analytics_private.kpi_active_clinic_members_facts (ingest_xid);

create index if not exists kpi_active_clinic_members_facts_net_idx on analytics_private.kpi_active_clinic_members_facts (network_id, period);

create table if not exists analytics_private.kpi_active_clinic_members (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_clinic_members_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_active_clinic_members is 'Clinic-plan actors with any product event in the week.';
alter table analytics_private.kpi_active_clinic_members enable row level security;
revoke all on analytics_private.kpi_active_clinic_members from public, anon, authenticated;
grant all on analytics_private.kpi_active_clinic_members to service_role;

create index if not exists kpi_active_clinic_members_xid_idx on analytics_private.kpi_active_clinic_members (ingest_xid);

create table if not exists analytics_private.kpi_active_clinic_members_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_clinic_members_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_active_clinic_members_net is 'KPI active_clinic_members: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_clinic_members_net enable row level security;
revoke all on analytics_private.kpi_active_clinic_members_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_clinic_members_net to service_role;

drop policy if exists kpi_active_clinic_members_facts_service on analytics_private.kpi_active_clinic_members_facts;
create policy kpi_active_clinic_members_facts_service on analytics_private.kpi_active_clinic_members_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_clinic_members_service on analytics_private.kpi_active_clinic_members;
create policy kpi_active_clinic_members_service on analytics_private.kpi_active_clinic_members for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_clinic_members_net_service on analytics_private.kpi_active_clinic_members_net;
create policy kpi_active_clinic_members_net_service on analytics_private.kpi_active_clinic_members_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_clinic_members()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_clinic_members', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_clinic_members', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_clinic_members' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_clinic_members';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_active_clinic_members_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_clinic_members')
      and e.actor_tier = any (array['clinic']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_active_clinic_members as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_active_clinic_members_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_clinic_members_facts;
    analyze analytics_private.kpi_active_clinic_members;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_clinic_members';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_clinic_members_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_active_clinic_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_active_clinic_members_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_active_clinic_members_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_active_clinic_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_clinic_members_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_active_clinic_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_clinic_members_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_active_clinic_members_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_active_clinic_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_active_clinic_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_active_clinic_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_active_clinic_members_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_active_clinic_members_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI active_network_members
create table if not exists analytics_private.kpi_active_network_members_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_network_members_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_active_network_members_facts is 'KPI active_network_members: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_active_network_members_facts enable row level security;
revoke all on analytics_private.kpi_active_network_members_facts from public, anon, authenticated;
grant all on analytics_private.kpi_active_network_members_facts to service_role;

create index if not exists kpi_active_network_members_facts_xid_idx on analytics_private.kpi_active_network_members_facts (ingest_xid);

create index if not exists kpi_active_network_members_facts_net_idx on analytics_private.kpi_active_network_members_facts (network_id, period);

create table if not exists analytics_private.kpi_active_network_members (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_network_members_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_active_network_members is 'Network-plan actors with any product event in the month.';
alter table analytics_private.kpi_active_network_members enable row level security;
revoke all on analytics_private.kpi_active_network_members from public, anon, authenticated;
grant all on analytics_private.kpi_active_network_members to service_role;

create index if not exists kpi_active_network_members_xid_idx on analytics_private.kpi_active_network_members (ingest_xid);

create table if not exists analytics_private.kpi_active_network_members_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_network_members_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_active_network_members_net is 'KPI active_network_members: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_network_members_net enable row level security;
revoke all on analytics_private.kpi_active_network_members_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_network_members_net to service_role;

drop policy if exists kpi_active_network_members_facts_service on analytics_private.kpi_active_network_members_facts;
create policy kpi_active_network_members_facts_service on analytics_private.kpi_active_network_members_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_network_members_service on analytics_private.kpi_active_network_members;
create policy kpi_active_network_members_service on analytics_private.kpi_active_network_members for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_network_members_net_service on analytics_private.kpi_active_network_members_net;
create policy kpi_active_network_members_net_service on analytics_private.kpi_active_network_members_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_network_members()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_network_members', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_network_members', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_network_members' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_network_members';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_active_network_members_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_network_members')
      and e.actor_tier = any (array['network']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_active_network_members as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_active_network_members_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_network_members_facts;
    analyze analytics_private.kpi_active_network_members;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_network_members';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_network_members_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_active_network_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_active_network_members_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_active_network_members_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_active_network_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_network_members_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_active_network_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_network_members_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_active_network_members_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_active_network_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_active_network_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_active_network_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_active_network_members_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_active_network_members_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI active_practitioners
create table if not exists analytics_private.kpi_active_practitioners_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_practitioners_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_active_practitioners_facts is 'KPI active_practitioners: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_active_practitioners_facts enable row level security;
revoke all on analytics_private.kpi_active_practitioners_facts from public, anon, authenticated;
grant all on analytics_private.kpi_active_practitioners_facts to service_role;

create index if not exists kpi_active_practitioners_facts_xid_idx on analytics_private.kpi_active_practitioners_facts (ingest_xid);

create index if not exists kpi_active_practitioners_facts_net_idx on analytics_private.kpi_active_practitioners_facts (network_id, period);

create table if not exists analytics_private.kpi_active_practitioners (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_practitioners_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_active_practitioners is 'Pro-plan actors with any practitioner event in the week.';
alter table analytics_private.kpi_active_practitioners enable row level security;
revoke all on analytics_private.kpi_active_practitioners from public, anon, authenticated;
grant all on analytics_private.kpi_active_practitioners to service_role;

create index if not exists kpi_active_practitioners_xid_idx on analytics_private.kpi_active_practitioners (ingest_xid);

create table if not exists analytics_private.kpi_active_practitioners_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_practitioners_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_active_practitioners_net is 'KPI active_practitioners: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_practitioners_net enable row level security;
revoke all on analytics_private.kpi_active_practitioners_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_practitioners_net to service_role;

drop policy if exists kpi_active_practitioners_facts_service on analytics_private.kpi_active_practitioners_facts;
create policy kpi_active_practitioners_facts_service on analytics_private.kpi_active_practitioners_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_practitioners_service on analytics_private.kpi_active_practitioners;
create policy kpi_active_practitioners_service on analytics_private.kpi_active_practitioners for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_practitioners_net_service on analytics_private.kpi_active_practitioners_net;
create policy kpi_active_practitioners_net_service on analytics_private.kpi_active_practitioners_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_practitioners()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_practitioners', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_practitioners', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_practitioners' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_practitioners';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_active_practitioners_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_practitioners')
      and e.actor_tier = any (array['practitioner']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_active_practitioners as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_active_practitioners_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_practitioners_facts;
    analyze analytics_private.kpi_active_practitioners;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_practitioners';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_practitioners_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_active_practitioners_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_active_practitioners_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_practitioners_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_practitioners_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_active_practitioners_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_active_practitioners as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_active_practitioners_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_active_practitioners as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_active_practitioners_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_active_practitioners_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI api_latency_ms
create table if not exists analytics_private.kpi_api_latency_ms_values (
  site_id uuid not null,
  period date not null,
  endpoint text not null,
  actor_hash bigint not null,
  event_key uuid not null,
  occurred_at timestamptz not null,
  measure double precision not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_latency_ms_values_key unique (site_id, event_key, occurred_at)
);
comment on table analytics_private.kpi_api_latency_ms_values is 'KPI api_latency_ms: one measured value per event.';
alter table analytics_private.kpi_api_latency_ms_values enable row level security;
revoke all on analytics_private.kpi_api_latency_ms_values from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_values to service_role;

create index if not exists kpi_api_latency_ms_values_xid_idx on analytics_private.kpi_api_latency_ms_values (ingest_xid);

create index if not exists kpi_api_latency_ms_values_cell_idx on analytics_private.kpi_api_latency_ms_values (site_id, period, endpoint);

create index if not exists kpi_api_latency_ms_values_net_idx on analytics_private.kpi_api_latency_ms_values (network_id, period, endpoint);

create table if not exists analytics_private.kpi_api_latency_ms (
  site_id uuid not null,
  period date not null,
  endpoint text not null,
  n bigint,
  p50 double precision,
  p95 double precision,
  p99 double precision,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_latency_ms_key unique nulls not distinct (site_id, period, endpoint)
);
comment on table analytics_private.kpi_api_latency_ms is 'Median, 95th and 99th percentile API request duration in milliseconds per day, by endpoint.';
alter table analytics_private.kpi_api_latency_ms enable row level security;
revoke all on analytics_private.kpi_api_latency_ms from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms to service_role;

create index if not exists kpi_api_latency_ms_xid_idx on analytics_private.kpi_api_latency_ms (ingest_xid);

create table if not exists analytics_private.kpi_api_latency_ms_net (
  network_id uuid not null,
  period date not null,
  endpoint text not null,
  n bigint not null,
  p50 double precision,
  p95 double precision,
  p99 double precision,
  sites bigint not null,
  actors bigint not null,
  p50_hidden boolean not null default true,
  p95_hidden boolean not null default true,
  p99_hidden boolean not null default true,
  hidden boolean not null default true,
  constraint kpi_api_latency_ms_net_key unique nulls not distinct (network_id, period, endpoint)
);
comment on table analytics_private.kpi_api_latency_ms_net is 'KPI api_latency_ms: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_latency_ms_net enable row level security;
revoke all on analytics_private.kpi_api_latency_ms_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_net to service_role;

drop policy if exists kpi_api_latency_ms_values_service on analytics_private.kpi_api_latency_ms_values;
create policy kpi_api_latency_ms_values_service on analytics_private.kpi_api_latency_ms_values for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_latency_ms_service on analytics_private.kpi_api_latency_ms;
create policy kpi_api_latency_ms_service on analytics_private.kpi_api_latency_ms for all to service_role
  using (true) with check (true);

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
  lo xid8;
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
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_latency_ms';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_api_latency_ms_values (site_id, period, endpoint, actor_hash, event_key, occurred_at, measure, network_id)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'endpoint', ''), ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.idempotency_key, e.occurred_at, (e.payload ->> 'duration_ms')::double precision, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms')
    and jsonb_typeof(e.payload -> 'duration_ms') = 'number'
  order by 1, 5, 6
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_values;
  end if;
  insert into analytics_private.kpi_api_latency_ms as r (site_id, period, endpoint, n, p50, p95, p99)
  select f.site_id, f.period, f.endpoint, count(*), (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct t.site_id, t.period, t.endpoint
        from analytics_private.kpi_api_latency_ms_values as t where t.ingest_xid = pg_current_xact_id()) as a
    on f.site_id = a.site_id and f.period = a.period and f.endpoint = a.endpoint
  group by 1, 2, 3
  on conflict (site_id, period, endpoint) do update
    set n = excluded.n, p50 = excluded.p50, p95 = excluded.p95, p99 = excluded.p99, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_values;
    analyze analytics_private.kpi_api_latency_ms;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_latency_ms';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_latency_ms_net as nc
  using (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.endpoint = t.endpoint;
  insert into analytics_private.kpi_api_latency_ms_net (network_id, period, endpoint, n, p50, p95, p99, sites, actors)
select f.network_id, f.period, f.endpoint, count(*) as n, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.endpoint = t.endpoint
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_net;
  end if;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_api_latency_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint = c.endpoint),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint = c.endpoint),
    p99_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p99),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p99)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p99),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p99))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint = c.endpoint)
  from (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.endpoint = t.endpoint;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_api_latency_ms_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_api_latency_ms_for_caller()
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
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
  select q.site_id::uuid, q.period::date, q.endpoint::text, q.n::bigint, q.p50::double precision, q.p95::double precision, q.p99::double precision
  from (select r.site_id, r.period, nullif(r.endpoint, '') as endpoint, r.n, r.p50, r.p95, r.p99
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, endpoint, n, p50, p95, p99);
end
$fn$;

create or replace function analytics_private.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
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
  select q.site_id::uuid, q.period::date, q.endpoint::text, q.n::bigint, q.p50::double precision, q.p95::double precision, q.p99::double precision
  from (select r.site_id, r.period, nullif(r.endpoint, '') as endpoint, r.n, r.p50, r.p95, r.p99
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, endpoint, n, p50, p95, p99);
end
$fn$;

create or replace function analytics_private.network_api_latency_ms_cells()
returns table (period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, suppressed boolean)
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
  select q.period::date, q.endpoint::text, q.n::bigint, q.p50::double precision, q.p95::double precision, q.p99::double precision, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, nullif(r.endpoint, '') as endpoint, case when r.suppressed then null else r.n end as n, case when r.suppressed or r.p50_hidden then null else r.p50 end as p50, case when r.suppressed or r.p95_hidden then null else r.p95 end as p95, case when r.suppressed or r.p99_hidden then null else r.p99 end as p99, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_latency_ms_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, endpoint, n, p50, p95, p99, suppressed);
end
$fn$;

-- KPI api_request_count
create table if not exists analytics_private.kpi_api_request_count_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_request_count_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_api_request_count_facts is 'KPI api_request_count: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_api_request_count_facts enable row level security;
revoke all on analytics_private.kpi_api_request_count_facts from public, anon, authenticated;
grant all on analytics_private.kpi_api_request_count_facts to service_role;

create index if not exists kpi_api_request_count_facts_xid_idx on analytics_private.kpi_api_request_count_facts (ingest_xid);

create index if not exists kpi_api_request_count_facts_net_idx on analytics_private.kpi_api_request_count_facts (network_id, period);

create table if not exists analytics_private.kpi_api_request_count (
  site_id uuid not null,
  period date not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_request_count_key unique nulls not distinct (site_id, period, network_id)
);
comment on table analytics_private.kpi_api_request_count is 'API requests completed per day.';
alter table analytics_private.kpi_api_request_count enable row level security;
revoke all on analytics_private.kpi_api_request_count from public, anon, authenticated;
grant all on analytics_private.kpi_api_request_count to service_role;

create index if not exists kpi_api_request_count_xid_idx on analytics_private.kpi_api_request_count (ingest_xid);

create index if not exists kpi_api_request_count_rollup_net_idx on analytics_private.kpi_api_request_count (network_id, period);

create table if not exists analytics_private.kpi_api_request_count_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_api_request_count_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_api_request_count_net is 'KPI api_request_count: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_request_count_net enable row level security;
revoke all on analytics_private.kpi_api_request_count_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_request_count_net to service_role;

drop policy if exists kpi_api_request_count_facts_service on analytics_private.kpi_api_request_count_facts;
create policy kpi_api_request_count_facts_service on analytics_private.kpi_api_request_count_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_request_count_service on analytics_private.kpi_api_request_count;
create policy kpi_api_request_count_service on analytics_private.kpi_api_request_count for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_request_count_net_service on analytics_private.kpi_api_request_count_net;
create policy kpi_api_request_count_net_service on analytics_private.kpi_api_request_count_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_api_request_count()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.api_request_count', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'api_request_count' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_request_count';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_api_request_count_facts (site_id, period, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_request_count')
  order by 1, 2, 3, 4
  on conflict do nothing;
  insert into analytics_private.kpi_api_request_count as r (site_id, period, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_request_count')
  group by 1, 2, 3
  on conflict (site_id, period, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_request_count_facts;
    analyze analytics_private.kpi_api_request_count;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_request_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_request_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_api_request_count_net (network_id, period, value, sites, actors)
select u.network_id, u.period, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_api_request_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2
        union all
        select f.network_id, f.period, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_api_request_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as u
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_request_count_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_api_latency_ms_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_api_request_count_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_request_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_api_request_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_request_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.network_api_request_count_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_request_count_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI api_server_error_count
create table if not exists analytics_private.kpi_api_server_error_count_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_server_error_count_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_api_server_error_count_facts is 'KPI api_server_error_count: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_api_server_error_count_facts enable row level security;
revoke all on analytics_private.kpi_api_server_error_count_facts from public, anon, authenticated;
grant all on analytics_private.kpi_api_server_error_count_facts to service_role;

create index if not exists kpi_api_server_error_count_facts_xid_idx on analytics_private.kpi_api_server_error_count_facts (ingest_xid);

create index if not exists kpi_api_server_error_count_facts_net_idx on analytics_private.kpi_api_server_error_count_facts (network_id, period);

create table if not exists analytics_private.kpi_api_server_error_count (
  site_id uuid not null,
  period date not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_server_error_count_key unique nulls not distinct (site_id, period, network_id)
);
comment on table analytics_private.kpi_api_server_error_count is 'API requests per day that ended with a 5xx status.';
alter table analytics_private.kpi_api_server_error_count enable row level security;
revoke all on analytics_private.kpi_api_server_error_count from public, anon, authenticated;
grant all on analytics_private.kpi_api_server_error_count to service_role;

create index if not exists kpi_api_server_error_count_xid_idx on analytics_private.kpi_api_server_error_count (ingest_xid);

create index if not exists kpi_api_server_error_count_rollup_net_idx on analytics_private.kpi_api_server_error_count (network_id, period);

create table if not exists analytics_private.kpi_api_server_error_count_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_api_server_error_count_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_api_server_error_count_net is 'KPI api_server_error_count: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_server_error_count_net enable row level security;
revoke all on analytics_private.kpi_api_server_error_count_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_server_error_count_net to service_role;

drop policy if exists kpi_api_server_error_count_facts_service on analytics_private.kpi_api_server_error_count_facts;
create policy kpi_api_server_error_count_facts_service on analytics_private.kpi_api_server_error_count_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_server_error_count_service on analytics_private.kpi_api_server_error_count;
create policy kpi_api_server_error_count_service on analytics_private.kpi_api_server_error_count for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_server_error_count_net_service on analytics_private.kpi_api_server_error_count_net;
create policy kpi_api_server_error_count_net_service on analytics_private.kpi_api_server_error_count_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_api_server_error_count()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.api_server_error_count', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.api_server_error_count', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'api_server_error_count' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_server_error_count';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_api_server_error_count_facts (site_id, period, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_server_error_count')
      and (e.payload ->> 'status_class') = any (array['server_error']::text[])
  order by 1, 2, 3, 4
  on conflict do nothing;
  insert into analytics_private.kpi_api_server_error_count as r (site_id, period, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_server_error_count')
      and (e.payload ->> 'status_class') = any (array['server_error']::text[])
  group by 1, 2, 3
  on conflict (site_id, period, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_server_error_count_facts;
    analyze analytics_private.kpi_api_server_error_count;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_server_error_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_server_error_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_api_server_error_count_net (network_id, period, value, sites, actors)
select u.network_id, u.period, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_api_server_error_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2
        union all
        select f.network_id, f.period, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_api_server_error_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as u
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_server_error_count_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_api_server_error_count_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_api_server_error_count_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_server_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_api_server_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_server_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.network_api_server_error_count_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_server_error_count_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI clinic_collaborators
create table if not exists analytics_private.kpi_clinic_collaborators_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_collaborators_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_clinic_collaborators_facts is 'KPI clinic_collaborators: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_clinic_collaborators_facts enable row level security;
revoke all on analytics_private.kpi_clinic_collaborators_facts from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_collaborators_facts to service_role;

create index if not exists kpi_clinic_collaborators_facts_xid_idx on analytics_private.kpi_clinic_collaborators_facts (ingest_xid);

create index if not exists kpi_clinic_collaborators_facts_net_idx on analytics_private.kpi_clinic_collaborators_facts (network_id, period);

create table if not exists analytics_private.kpi_clinic_collaborators (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_collaborators_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_clinic_collaborators is 'Clinic-plan actors who shared a protocol, handed off a caseload or took part in a review in the week.';
alter table analytics_private.kpi_clinic_collaborators enable row level security;
revoke all on analytics_private.kpi_clinic_collaborators from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_collaborators to service_role;

create index if not exists kpi_clinic_collaborators_xid_idx on analytics_private.kpi_clinic_collaborators (ingest_xid);

create table if not exists analytics_private.kpi_clinic_collaborators_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_clinic_collaborators_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_clinic_collaborators_net is 'KPI clinic_collaborators: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_clinic_collaborators_net enable row level security;
revoke all on analytics_private.kpi_clinic_collaborators_net from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_collaborators_net to service_role;

drop policy if exists kpi_clinic_collaborators_facts_service on analytics_private.kpi_clinic_collaborators_facts;
create policy kpi_clinic_collaborators_facts_service on analytics_private.kpi_clinic_collaborators_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_collaborators_service on analytics_private.kpi_clinic_collaborators;
create policy kpi_clinic_collaborators_service on analytics_private.kpi_clinic_collaborators for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_collaborators_net_service on analytics_private.kpi_clinic_collaborators_net;
create policy kpi_clinic_collaborators_net_service on analytics_private.kpi_clinic_collaborators_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_clinic_collaborators()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.clinic_collaborators', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.clinic_collaborators', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_collaborators' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'clinic_collaborators';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_clinic_collaborators_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_collaborators')
      and e.actor_tier = any (array['clinic']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_clinic_collaborators as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_clinic_collaborators_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_collaborators_facts;
    analyze analytics_private.kpi_clinic_collaborators;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'clinic_collaborators';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_clinic_collaborators_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_collaborators_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_clinic_collaborators_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_clinic_collaborators_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_collaborators_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_collaborators_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_collaborators_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_clinic_collaborators_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_clinic_collaborators_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_clinic_collaborators as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_clinic_collaborators_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_clinic_collaborators as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_clinic_collaborators_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_clinic_collaborators_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI clinic_team_onboarding
create table if not exists analytics_private.kpi_clinic_team_onboarding_steps (
  site_id uuid not null,
  actor_hash bigint not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_steps_key unique (site_id, actor_hash, occurred_at, event_key, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding_steps is 'KPI clinic_team_onboarding: every event that matches a step, per actor.';
alter table analytics_private.kpi_clinic_team_onboarding_steps enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_steps from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_steps to service_role;

create index if not exists kpi_clinic_team_onboarding_steps_xid_idx on analytics_private.kpi_clinic_team_onboarding_steps (ingest_xid);

create table if not exists analytics_private.kpi_clinic_team_onboarding_actors (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_actors_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_clinic_team_onboarding_actors is 'KPI clinic_team_onboarding: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_clinic_team_onboarding_actors enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_actors from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_actors to service_role;

create index if not exists kpi_clinic_team_onboarding_actors_xid_idx on analytics_private.kpi_clinic_team_onboarding_actors (ingest_xid);

create index if not exists kpi_clinic_team_onboarding_actors_net_idx on analytics_private.kpi_clinic_team_onboarding_actors (network_id, period, actor_hash);

create table if not exists analytics_private.kpi_clinic_team_onboarding (
  site_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding is 'Actors who move their site onto the clinic plan and then, within 14 days, invite a colleague and share a protocol with the team.';
alter table analytics_private.kpi_clinic_team_onboarding enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding to service_role;

create table if not exists analytics_private.kpi_clinic_team_onboarding_net (
  network_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_clinic_team_onboarding_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding_net is 'KPI clinic_team_onboarding: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_clinic_team_onboarding_net enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_net from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_net to service_role;

drop policy if exists kpi_clinic_team_onboarding_steps_service on analytics_private.kpi_clinic_team_onboarding_steps;
create policy kpi_clinic_team_onboarding_steps_service on analytics_private.kpi_clinic_team_onboarding_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_team_onboarding_actors_service on analytics_private.kpi_clinic_team_onboarding_actors;
create policy kpi_clinic_team_onboarding_actors_service on analytics_private.kpi_clinic_team_onboarding_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_team_onboarding_service on analytics_private.kpi_clinic_team_onboarding;
create policy kpi_clinic_team_onboarding_service on analytics_private.kpi_clinic_team_onboarding for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_team_onboarding_net_service on analytics_private.kpi_clinic_team_onboarding_net;
create policy kpi_clinic_team_onboarding_net_service on analytics_private.kpi_clinic_team_onboarding_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_clinic_team_onboarding()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
  fs_nets uuid[];
  fs_periods date[];
  fs_next_nets uuid[];
  fs_next_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.clinic_team_onboarding', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_team_onboarding' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'clinic_team_onboarding';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_clinic_team_onboarding_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step1')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step2')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step3')
  order by 1, 2, 4, 5, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_steps;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every actor's rows written, then every cell counted.
    insert into analytics_private.kpi_clinic_team_onboarding_actors as r (site_id, actor_hash, period, network_id, depth)
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_clinic_team_onboarding_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '14 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_clinic_team_onboarding_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 3, interval '14 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    order by 1, 3, 2, 4
    on conflict (site_id, period, actor_hash, network_id) do update
      set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      where r.depth is distinct from excluded.depth;
    analyze analytics_private.kpi_clinic_team_onboarding_actors;
    insert into analytics_private.kpi_clinic_team_onboarding as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
    from analytics_private.kpi_clinic_team_onboarding_actors as a
    cross join generate_series(1, 3) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Exact deltas. chg: the rows whose depth the re-evaluation changed (or new rows), with the depth
    -- they had. Every other statement of this one reads the actors as they were before the upsert, so
    -- an actor's depth before and after is taken over all its rows of the cell: a site cell counts
    -- distinct actors (an actor has a row per network there), a network cell distinct actors and sites.
    with fresh as (
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_clinic_team_onboarding_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '14 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_clinic_team_onboarding_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 3, interval '14 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    ), chg as (
      select f.site_id, f.actor_hash, f.period, f.network_id, f.depth, o.depth as old_depth
      from fresh as f
      left join analytics_private.kpi_clinic_team_onboarding_actors as o on o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.network_id is not distinct from f.network_id
      where o.depth is distinct from f.depth
    ), up as (
      insert into analytics_private.kpi_clinic_team_onboarding_actors as r (site_id, actor_hash, period, network_id, depth)
      select c.site_id, c.actor_hash, c.period, c.network_id, c.depth from chg as c
      on conflict (site_id, period, actor_hash, network_id) do update
        set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      returning 1
    ), sa as (
      -- per touched (site cell, actor): its deepest row before and after
      select g.site_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.site_id, v.period, v.actor_hash, v.network_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.site_id, c.period, c.actor_hash, c.network_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  union all
                  select o.site_id, o.period, o.actor_hash, o.network_id, o.depth, null
                  from (select distinct c.site_id, c.period, c.actor_hash from chg as c) as k
                  join analytics_private.kpi_clinic_team_onboarding_actors as o on o.site_id = k.site_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.site_id, v.period, v.actor_hash, v.network_id) as g
      group by g.site_id, g.period, g.actor_hash
    ), na as (
      -- per touched (network cell, actor): its deepest row over the network's sites, before and after
      select g.network_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.network_id, v.period, v.actor_hash, v.site_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.network_id, c.period, c.actor_hash, c.site_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  where c.network_id is not null
                  union all
                  select o.network_id, o.period, o.actor_hash, o.site_id, o.depth, null
                  from (select distinct c.network_id, c.period, c.actor_hash from chg as c
                        where c.network_id is not null) as k
                  join analytics_private.kpi_clinic_team_onboarding_actors as o on o.network_id = k.network_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.network_id, v.period, v.actor_hash, v.site_id) as g
      group by g.network_id, g.period, g.actor_hash
    ), ns as (
      -- per touched (network cell, site, step) where the changed rows' presence flips: m changed rows
      -- reached the step before
      select c.network_id, c.period, c.site_id, g.step,
             coalesce(bool_or(c.old_depth >= g.step), false) as had, bool_or(c.depth >= g.step) as has,
             count(*) filter (where c.old_depth >= g.step) as m
      from chg as c
      cross join generate_series(1, 3) as g (step)
      where c.network_id is not null
      group by c.network_id, c.period, c.site_id, g.step
      having coalesce(bool_or(c.old_depth >= g.step), false) <> bool_or(c.depth >= g.step)
    ), nd as (
      -- a site's presence flips only if no untouched row keeps it: more than m of its rows of the cell
      -- reached the step before (one probe of its site cell, only where the changed rows flip)
      select d.network_id, d.period, d.step::smallint as step, sum(d.dv) as dv, sum(d.ds) as ds
      from (select a.network_id, a.period, g.step,
                   (a.new_depth >= g.step)::int - coalesce(a.old_depth >= g.step, false)::int as dv, 0 as ds
            from na as a
            cross join generate_series(1, 3) as g (step)
            union all
            select s.network_id, s.period, s.step, 0,
                   case when (select count(*) from (select 1 from analytics_private.kpi_clinic_team_onboarding_actors as x
                                                    where x.site_id = s.site_id and x.period = s.period and x.network_id = s.network_id and x.depth >= s.step
                                                    limit s.m + 1) as q) > s.m then 0
                        else s.has::int - s.had::int end
            from ns as s) as d
      group by d.network_id, d.period, d.step
    ), net_written as (
      insert into analytics_private.kpi_clinic_team_onboarding_net as r (network_id, period, step, value, sites, actors)
      select d.network_id, d.period, d.step, d.dv, d.ds, d.dv from nd as d
      on conflict (network_id, period, step) do update
        set value = r.value + excluded.value, sites = r.sites + excluded.sites, actors = r.actors + excluded.actors
        where excluded.value <> 0 or excluded.sites <> 0
      returning 1
    )
    insert into analytics_private.kpi_clinic_team_onboarding as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint,
           count(*) filter (where a.new_depth >= g.step) - count(*) filter (where a.old_depth >= g.step)
    from sa as a
    cross join generate_series(1, 3) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = r.value + excluded.value, ingest_xid = pg_current_xact_id()
      where excluded.value <> 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_steps;
    analyze analytics_private.kpi_clinic_team_onboarding_actors;
    analyze analytics_private.kpi_clinic_team_onboarding;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'clinic_team_onboarding';
  if lo = '0'::xid8 then
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_clinic_team_onboarding_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_clinic_team_onboarding_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_clinic_team_onboarding_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 3) as g (step)
  group by 1, 2, 3;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_net;
  end if;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_clinic_team_onboarding_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  -- A cell's rules read only its own rows, so a pass after the first re-reads only the (network,
  -- period)s in which the previous pass hid a step (fs_nets, fs_periods; null: every touched cell).
  fs_nets := null;
  fs_periods := null;
  loop
    fs_total := 0;
    fs_next_nets := '{}';
    fs_next_periods := '{}';
    for fs_step in 2 .. 3 loop
      with hid as (
      update analytics_private.kpi_clinic_team_onboarding_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_clinic_team_onboarding_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_clinic_team_onboarding_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden and (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                  group by 1, 2) as x
            left join analytics_private.kpi_clinic_team_onboarding_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_clinic_team_onboarding_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end
      returning c.network_id, c.period
      )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    end loop;
    with hid as (
    update analytics_private.kpi_clinic_team_onboarding_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_clinic_team_onboarding_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                where (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                group by 1, 2) as x
          join analytics_private.kpi_clinic_team_onboarding_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 3
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5)
    returning c.network_id, c.period
    )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
    fs_nets := fs_next_nets;
    fs_periods := fs_next_periods;
  end loop;
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_clinic_team_onboarding_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['upgraded_to_clinic', 'invited_colleague', 'shared_protocol']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_clinic_team_onboarding as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.kpi_clinic_team_onboarding_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['upgraded_to_clinic', 'invited_colleague', 'shared_protocol']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_clinic_team_onboarding as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.network_clinic_team_onboarding_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
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
  select q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['upgraded_to_clinic', 'invited_colleague', 'shared_protocol']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_clinic_team_onboarding_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, step, step_name, actors, conversion, step_conversion, suppressed);
end
$fn$;

-- KPI consumer_daily_actives
create table if not exists analytics_private.kpi_consumer_daily_actives_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_daily_actives_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_consumer_daily_actives_facts is 'KPI consumer_daily_actives: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_consumer_daily_actives_facts enable row level security;
revoke all on analytics_private.kpi_consumer_daily_actives_facts from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_daily_actives_facts to service_role;

create index if not exists kpi_consumer_daily_actives_facts_xid_idx on analytics_private.kpi_consumer_daily_actives_facts (ingest_xid);

create index if not exists kpi_consumer_daily_actives_facts_net_idx on analytics_private.kpi_consumer_daily_actives_facts (network_id, period);

create table if not exists analytics_private.kpi_consumer_daily_actives (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_daily_actives_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_consumer_daily_actives is 'Free-plan actors with any consumer event in the day.';
alter table analytics_private.kpi_consumer_daily_actives enable row level security;
revoke all on analytics_private.kpi_consumer_daily_actives from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_daily_actives to service_role;

create index if not exists kpi_consumer_daily_actives_xid_idx on analytics_private.kpi_consumer_daily_actives (ingest_xid);

create table if not exists analytics_private.kpi_consumer_daily_actives_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_consumer_daily_actives_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_consumer_daily_actives_net is 'KPI consumer_daily_actives: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_consumer_daily_actives_net enable row level security;
revoke all on analytics_private.kpi_consumer_daily_actives_net from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_daily_actives_net to service_role;

drop policy if exists kpi_consumer_daily_actives_facts_service on analytics_private.kpi_consumer_daily_actives_facts;
create policy kpi_consumer_daily_actives_facts_service on analytics_private.kpi_consumer_daily_actives_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_daily_actives_service on analytics_private.kpi_consumer_daily_actives;
create policy kpi_consumer_daily_actives_service on analytics_private.kpi_consumer_daily_actives for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_daily_actives_net_service on analytics_private.kpi_consumer_daily_actives_net;
create policy kpi_consumer_daily_actives_net_service on analytics_private.kpi_consumer_daily_actives_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_consumer_daily_actives()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.consumer_daily_actives', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.consumer_daily_actives', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_daily_actives' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'consumer_daily_actives';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_consumer_daily_actives_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_daily_actives')
      and e.actor_tier = any (array['consumer']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_consumer_daily_actives as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_consumer_daily_actives_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_daily_actives_facts;
    analyze analytics_private.kpi_consumer_daily_actives;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consumer_daily_actives';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consumer_daily_actives_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_daily_actives_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_consumer_daily_actives_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_consumer_daily_actives_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_daily_actives_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_daily_actives_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_daily_actives_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_consumer_daily_actives_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_consumer_daily_actives_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_daily_actives as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_consumer_daily_actives_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_daily_actives as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_consumer_daily_actives_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_consumer_daily_actives_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI consumer_feature_users
create table if not exists analytics_private.kpi_consumer_feature_users_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_consumer_feature_users_facts is 'KPI consumer_feature_users: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_consumer_feature_users_facts enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_facts from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_facts to service_role;

create index if not exists kpi_consumer_feature_users_facts_xid_idx on analytics_private.kpi_consumer_feature_users_facts (ingest_xid);

create index if not exists kpi_consumer_feature_users_facts_net_idx on analytics_private.kpi_consumer_feature_users_facts (network_id, period);

create table if not exists analytics_private.kpi_consumer_feature_users (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_consumer_feature_users is 'Free-plan actors who used at least one free feature surface in the day.';
alter table analytics_private.kpi_consumer_feature_users enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users to service_role;

create index if not exists kpi_consumer_feature_users_xid_idx on analytics_private.kpi_consumer_feature_users (ingest_xid);

create table if not exists analytics_private.kpi_consumer_feature_users_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_consumer_feature_users_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_consumer_feature_users_net is 'KPI consumer_feature_users: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_consumer_feature_users_net enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_net from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_net to service_role;

drop policy if exists kpi_consumer_feature_users_facts_service on analytics_private.kpi_consumer_feature_users_facts;
create policy kpi_consumer_feature_users_facts_service on analytics_private.kpi_consumer_feature_users_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_service on analytics_private.kpi_consumer_feature_users;
create policy kpi_consumer_feature_users_service on analytics_private.kpi_consumer_feature_users for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_net_service on analytics_private.kpi_consumer_feature_users_net;
create policy kpi_consumer_feature_users_net_service on analytics_private.kpi_consumer_feature_users_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_consumer_feature_users()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.consumer_feature_users', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.consumer_feature_users', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'consumer_feature_users';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_consumer_feature_users_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users')
      and e.actor_tier = any (array['consumer']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_consumer_feature_users as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_consumer_feature_users_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_facts;
    analyze analytics_private.kpi_consumer_feature_users;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consumer_feature_users';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consumer_feature_users_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_feature_users_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_consumer_feature_users_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_consumer_feature_users_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_feature_users_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_feature_users_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_consumer_feature_users_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_consumer_feature_users_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_feature_users as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_consumer_feature_users_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_feature_users as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_consumer_feature_users_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_consumer_feature_users_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI consumer_feature_users_by_feature
create table if not exists analytics_private.kpi_consumer_feature_users_by_feature_facts (
  site_id uuid not null,
  period date not null,
  feature text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_by_feature_facts_key unique nulls not distinct (site_id, period, feature, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_consumer_feature_users_by_feature_facts is 'KPI consumer_feature_users_by_feature: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_consumer_feature_users_by_feature_facts enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_by_feature_facts from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_by_feature_facts to service_role;

create index if not exists kpi_consumer_feature_users_by_feature_facts_xid_idx on analytics_private.kpi_consumer_feature_users_by_feature_facts (ingest_xid);

create index if not exists kpi_consumer_feature_users_by_feature_facts_net_idx on analytics_private.kpi_consumer_feature_users_by_feature_facts (network_id, period, feature);

create table if not exists analytics_private.kpi_consumer_feature_users_by_feature (
  site_id uuid not null,
  period date not null,
  feature text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_by_feature_key unique nulls not distinct (site_id, period, feature)
);
comment on table analytics_private.kpi_consumer_feature_users_by_feature is 'Free-plan actors per day who used each free feature surface (one actor may count under several).';
alter table analytics_private.kpi_consumer_feature_users_by_feature enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_by_feature from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_by_feature to service_role;

create index if not exists kpi_consumer_feature_users_by_feature_xid_idx on analytics_private.kpi_consumer_feature_users_by_feature (ingest_xid);

create table if not exists analytics_private.kpi_consumer_feature_users_by_feature_net (
  network_id uuid not null,
  period date not null,
  feature text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_consumer_feature_users_by_feature_net_key unique nulls not distinct (network_id, period, feature)
);
comment on table analytics_private.kpi_consumer_feature_users_by_feature_net is 'KPI consumer_feature_users_by_feature: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_consumer_feature_users_by_feature_net enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_by_feature_net from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_by_feature_net to service_role;

drop policy if exists kpi_consumer_feature_users_by_feature_facts_service on analytics_private.kpi_consumer_feature_users_by_feature_facts;
create policy kpi_consumer_feature_users_by_feature_facts_service on analytics_private.kpi_consumer_feature_users_by_feature_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_by_feature_service on analytics_private.kpi_consumer_feature_users_by_feature;
create policy kpi_consumer_feature_users_by_feature_service on analytics_private.kpi_consumer_feature_users_by_feature for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_by_feature_net_service on analytics_private.kpi_consumer_feature_users_by_feature_net;
create policy kpi_consumer_feature_users_by_feature_net_service on analytics_private.kpi_consumer_feature_users_by_feature_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_consumer_feature_users_by_feature()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.consumer_feature_users', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.consumer_feature_users_by_feature', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users_by_feature' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'consumer_feature_users_by_feature';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_consumer_feature_users_by_feature_facts (site_id, period, feature, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'feature', ''), ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users_by_feature')
      and e.actor_tier = any (array['consumer']::text[])
    order by 1, 2, 3, 4, 5
    on conflict do nothing
    returning site_id, period, feature, actor_hash
  )
  insert into analytics_private.kpi_consumer_feature_users_by_feature as r (site_id, period, feature, value)
  select fresh.site_id, fresh.period, fresh.feature, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_consumer_feature_users_by_feature_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.feature = fresh.feature)
  group by 1, 2, 3
  on conflict (site_id, period, feature) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_by_feature_facts;
    analyze analytics_private.kpi_consumer_feature_users_by_feature;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consumer_feature_users_by_feature';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consumer_feature_users_by_feature_net as nc
  using (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.feature = t.feature;
  insert into analytics_private.kpi_consumer_feature_users_by_feature_net (network_id, period, feature, value, sites, actors)
select f.network_id, f.period, f.feature, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_consumer_feature_users_by_feature_facts as f
  join (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.feature = t.feature
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_by_feature_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_consumer_feature_users_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_consumer_feature_users_by_feature_for_caller()
returns table (site_id uuid, period date, feature text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.feature::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.feature, '') as feature, r.value
  from analytics_private.kpi_consumer_feature_users_by_feature as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, feature, value);
end
$fn$;

create or replace function analytics_private.kpi_consumer_feature_users_by_feature_between("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.feature::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.feature, '') as feature, r.value
  from analytics_private.kpi_consumer_feature_users_by_feature as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, feature, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_consumer_feature_users_by_feature_cells()
returns table (period date, feature text, value bigint, suppressed boolean)
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
  select q.period::date, q.feature::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, nullif(r.feature, '') as feature, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_consumer_feature_users_by_feature_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, feature, value, suppressed);
end
$fn$;

-- KPI daily_active_actors
create table if not exists analytics_private.kpi_daily_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_daily_active_actors_facts_key unique nulls not distinct (site_id, period, tier, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_daily_active_actors_facts is 'KPI daily_active_actors: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_daily_active_actors_facts enable row level security;
revoke all on analytics_private.kpi_daily_active_actors_facts from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_facts to service_role;

create index if not exists kpi_daily_active_actors_facts_xid_idx on analytics_private.kpi_daily_active_actors_facts (ingest_xid);

create index if not exists kpi_daily_active_actors_facts_net_idx on analytics_private.kpi_daily_active_actors_facts (network_id, period, tier);

create table if not exists analytics_private.kpi_daily_active_actors (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_daily_active_actors_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_daily_active_actors is 'Distinct actors with at least one product event in the day, by the caller''s tier (DAU).';
alter table analytics_private.kpi_daily_active_actors enable row level security;
revoke all on analytics_private.kpi_daily_active_actors from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors to service_role;

create index if not exists kpi_daily_active_actors_xid_idx on analytics_private.kpi_daily_active_actors (ingest_xid);

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

drop policy if exists kpi_daily_active_actors_facts_service on analytics_private.kpi_daily_active_actors_facts;
create policy kpi_daily_active_actors_facts_service on analytics_private.kpi_daily_active_actors_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_daily_active_actors_service on analytics_private.kpi_daily_active_actors;
create policy kpi_daily_active_actors_service on analytics_private.kpi_daily_active_actors for all to service_role
  using (true) with check (true);

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
  lo xid8;
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
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'daily_active_actors';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_daily_active_actors_facts (site_id, period, tier, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors')
    order by 1, 2, 3, 4, 5
    on conflict do nothing
    returning site_id, period, tier, actor_hash
  )
  insert into analytics_private.kpi_daily_active_actors as r (site_id, period, tier, value)
  select fresh.site_id, fresh.period, fresh.tier, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_daily_active_actors_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier = fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_daily_active_actors_facts;
    analyze analytics_private.kpi_daily_active_actors;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'daily_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_daily_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_daily_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_daily_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier = t.tier
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_daily_active_actors_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_daily_active_actors_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

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
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, tier, value);
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
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, tier, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_daily_active_actors_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
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
  select q.period::date, q.tier::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_daily_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, tier, value, suppressed);
end
$fn$;

-- KPI error_count
create table if not exists analytics_private.kpi_error_count_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_error_count_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_error_count_facts is 'KPI error_count: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_error_count_facts enable row level security;
revoke all on analytics_private.kpi_error_count_facts from public, anon, authenticated;
grant all on analytics_private.kpi_error_count_facts to service_role;

create index if not exists kpi_error_count_facts_xid_idx on analytics_private.kpi_error_count_facts (ingest_xid);

create index if not exists kpi_error_count_facts_net_idx on analytics_private.kpi_error_count_facts (network_id, period);

create table if not exists analytics_private.kpi_error_count (
  site_id uuid not null,
  period date not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_error_count_key unique nulls not distinct (site_id, period, network_id)
);
comment on table analytics_private.kpi_error_count is 'All errors shown to callers per day.';
alter table analytics_private.kpi_error_count enable row level security;
revoke all on analytics_private.kpi_error_count from public, anon, authenticated;
grant all on analytics_private.kpi_error_count to service_role;

create index if not exists kpi_error_count_xid_idx on analytics_private.kpi_error_count (ingest_xid);

create index if not exists kpi_error_count_rollup_net_idx on analytics_private.kpi_error_count (network_id, period);

create table if not exists analytics_private.kpi_error_count_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_error_count_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_error_count_net is 'KPI error_count: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_error_count_net enable row level security;
revoke all on analytics_private.kpi_error_count_net from public, anon, authenticated;
grant all on analytics_private.kpi_error_count_net to service_role;

drop policy if exists kpi_error_count_facts_service on analytics_private.kpi_error_count_facts;
create policy kpi_error_count_facts_service on analytics_private.kpi_error_count_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_error_count_service on analytics_private.kpi_error_count;
create policy kpi_error_count_service on analytics_private.kpi_error_count for all to service_role
  using (true) with check (true);

drop policy if exists kpi_error_count_net_service on analytics_private.kpi_error_count_net;
create policy kpi_error_count_net_service on analytics_private.kpi_error_count_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_error_count()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.error_count', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.error_count', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'error_count' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'error_count';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_error_count_facts (site_id, period, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'error_count')
  order by 1, 2, 3, 4
  on conflict do nothing;
  insert into analytics_private.kpi_error_count as r (site_id, period, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'error_count')
  group by 1, 2, 3
  on conflict (site_id, period, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_error_count_facts;
    analyze analytics_private.kpi_error_count;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'error_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_error_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_error_count_net (network_id, period, value, sites, actors)
select u.network_id, u.period, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_error_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2
        union all
        select f.network_id, f.period, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_error_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as u
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_error_count_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_error_count_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_error_count_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.network_error_count_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_error_count_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI errors_by_code
create table if not exists analytics_private.kpi_errors_by_code_facts (
  site_id uuid not null,
  period date not null,
  error_code text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_errors_by_code_facts_key unique nulls not distinct (site_id, period, error_code, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_errors_by_code_facts is 'KPI errors_by_code: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_errors_by_code_facts enable row level security;
revoke all on analytics_private.kpi_errors_by_code_facts from public, anon, authenticated;
grant all on analytics_private.kpi_errors_by_code_facts to service_role;

create index if not exists kpi_errors_by_code_facts_xid_idx on analytics_private.kpi_errors_by_code_facts (ingest_xid);

create index if not exists kpi_errors_by_code_facts_net_idx on analytics_private.kpi_errors_by_code_facts (network_id, period, error_code);

create table if not exists analytics_private.kpi_errors_by_code (
  site_id uuid not null,
  period date not null,
  error_code text not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_errors_by_code_key unique nulls not distinct (site_id, period, error_code, network_id)
);
comment on table analytics_private.kpi_errors_by_code is 'Errors shown to callers per day, by error code.';
alter table analytics_private.kpi_errors_by_code enable row level security;
revoke all on analytics_private.kpi_errors_by_code from public, anon, authenticated;
grant all on analytics_private.kpi_errors_by_code to service_role;

create index if not exists kpi_errors_by_code_xid_idx on analytics_private.kpi_errors_by_code (ingest_xid);

create index if not exists kpi_errors_by_code_rollup_net_idx on analytics_private.kpi_errors_by_code (network_id, period, error_code);

create table if not exists analytics_private.kpi_errors_by_code_net (
  network_id uuid not null,
  period date not null,
  error_code text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_errors_by_code_net_key unique nulls not distinct (network_id, period, error_code)
);
comment on table analytics_private.kpi_errors_by_code_net is 'KPI errors_by_code: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_errors_by_code_net enable row level security;
revoke all on analytics_private.kpi_errors_by_code_net from public, anon, authenticated;
grant all on analytics_private.kpi_errors_by_code_net to service_role;

drop policy if exists kpi_errors_by_code_facts_service on analytics_private.kpi_errors_by_code_facts;
create policy kpi_errors_by_code_facts_service on analytics_private.kpi_errors_by_code_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_errors_by_code_service on analytics_private.kpi_errors_by_code;
create policy kpi_errors_by_code_service on analytics_private.kpi_errors_by_code for all to service_role
  using (true) with check (true);

drop policy if exists kpi_errors_by_code_net_service on analytics_private.kpi_errors_by_code_net;
create policy kpi_errors_by_code_net_service on analytics_private.kpi_errors_by_code_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_errors_by_code()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.error_count', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.errors_by_code', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'errors_by_code' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'errors_by_code';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_errors_by_code_facts (site_id, period, error_code, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'error_code', ''), ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')
  order by 1, 2, 3, 4, 5
  on conflict do nothing;
  insert into analytics_private.kpi_errors_by_code as r (site_id, period, error_code, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'error_code', ''), e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')
  group by 1, 2, 3, 4
  on conflict (site_id, period, error_code, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_errors_by_code_facts;
    analyze analytics_private.kpi_errors_by_code;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'errors_by_code';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_errors_by_code_net as nc
  using (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.error_code = t.error_code;
  insert into analytics_private.kpi_errors_by_code_net (network_id, period, error_code, value, sites, actors)
select u.network_id, u.period, u.error_code, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, f.error_code, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_errors_by_code as f
        join (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.error_code = t.error_code
        group by 1, 2, 3
        union all
        select f.network_id, f.period, f.error_code, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_errors_by_code_facts as f
        join (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.error_code = t.error_code
        group by 1, 2, 3) as u
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_errors_by_code_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_error_count_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_errors_by_code_for_caller()
returns table (site_id uuid, period date, error_code text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.error_code::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.error_code, '') as error_code, sum(r.value)::bigint
  from analytics_private.kpi_errors_by_code as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2, 3) as q (site_id, period, error_code, value);
end
$fn$;

create or replace function analytics_private.kpi_errors_by_code_between("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.error_code::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.error_code, '') as error_code, sum(r.value)::bigint
  from analytics_private.kpi_errors_by_code as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3) as q (site_id, period, error_code, value);
end
$fn$;

create or replace function analytics_private.network_errors_by_code_cells()
returns table (period date, error_code text, value bigint, suppressed boolean)
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
  select q.period::date, q.error_code::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, nullif(r.error_code, '') as error_code, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_errors_by_code_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, error_code, value, suppressed);
end
$fn$;

-- KPI monthly_active_actors
create table if not exists analytics_private.kpi_monthly_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_active_actors_facts_key unique nulls not distinct (site_id, period, tier, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_monthly_active_actors_facts is 'KPI monthly_active_actors: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_monthly_active_actors_facts enable row level security;
revoke all on analytics_private.kpi_monthly_active_actors_facts from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_active_actors_facts to service_role;

create index if not exists kpi_monthly_active_actors_facts_xid_idx on analytics_private.kpi_monthly_active_actors_facts (ingest_xid);

create index if not exists kpi_monthly_active_actors_facts_net_idx on analytics_private.kpi_monthly_active_actors_facts (network_id, period, tier);

create table if not exists analytics_private.kpi_monthly_active_actors (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_active_actors_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_monthly_active_actors is 'Distinct actors with at least one product event in the calendar month, by tier (MAU).';
alter table analytics_private.kpi_monthly_active_actors enable row level security;
revoke all on analytics_private.kpi_monthly_active_actors from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_active_actors to service_role;

create index if not exists kpi_monthly_active_actors_xid_idx on analytics_private.kpi_monthly_active_actors (ingest_xid);

create table if not exists analytics_private.kpi_monthly_active_actors_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_monthly_active_actors_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_monthly_active_actors_net is 'KPI monthly_active_actors: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_monthly_active_actors_net enable row level security;
revoke all on analytics_private.kpi_monthly_active_actors_net from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_active_actors_net to service_role;

drop policy if exists kpi_monthly_active_actors_facts_service on analytics_private.kpi_monthly_active_actors_facts;
create policy kpi_monthly_active_actors_facts_service on analytics_private.kpi_monthly_active_actors_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_active_actors_service on analytics_private.kpi_monthly_active_actors;
create policy kpi_monthly_active_actors_service on analytics_private.kpi_monthly_active_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_active_actors_net_service on analytics_private.kpi_monthly_active_actors_net;
create policy kpi_monthly_active_actors_net_service on analytics_private.kpi_monthly_active_actors_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_monthly_active_actors()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.monthly_active_actors', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.monthly_active_actors', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'monthly_active_actors';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_monthly_active_actors_facts (site_id, period, tier, actor_hash, network_id)
    select distinct e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date, e.actor_tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_active_actors')
    order by 1, 2, 3, 4, 5
    on conflict do nothing
    returning site_id, period, tier, actor_hash
  )
  insert into analytics_private.kpi_monthly_active_actors as r (site_id, period, tier, value)
  select fresh.site_id, fresh.period, fresh.tier, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_monthly_active_actors_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier = fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_active_actors_facts;
    analyze analytics_private.kpi_monthly_active_actors;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'monthly_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_monthly_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_monthly_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_monthly_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier = t.tier
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_active_actors_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_monthly_active_actors_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_monthly_active_actors_for_caller()
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
  from analytics_private.kpi_monthly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.kpi_monthly_active_actors_between("from" date, "to" date)
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
  from analytics_private.kpi_monthly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, tier, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_monthly_active_actors_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
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
  select q.period::date, q.tier::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period and (m.period + interval '1 month')::date - 1 and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_monthly_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, tier, value, suppressed);
end
$fn$;

-- KPI monthly_signup_retention
create table if not exists analytics_private.kpi_monthly_signup_retention_cohorts (
  site_id uuid not null,
  actor_hash bigint not null,
  cohort date not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_signup_retention_cohorts_key primary key (site_id, actor_hash)
);
comment on table analytics_private.kpi_monthly_signup_retention_cohorts is 'KPI monthly_signup_retention: each actor''s cohort, the month of its first cohort event at the site.';
alter table analytics_private.kpi_monthly_signup_retention_cohorts enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention_cohorts from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention_cohorts to service_role;

create index if not exists kpi_monthly_signup_retention_cohorts_xid_idx on analytics_private.kpi_monthly_signup_retention_cohorts (ingest_xid);

create index if not exists kpi_monthly_signup_retention_cohorts_net_idx on analytics_private.kpi_monthly_signup_retention_cohorts (network_id, cohort);

create index if not exists kpi_monthly_signup_retention_cohorts_actor_idx on analytics_private.kpi_monthly_signup_retention_cohorts (actor_hash);

create index if not exists kpi_monthly_signup_retention_cohorts_site_idx on analytics_private.kpi_monthly_signup_retention_cohorts (site_id, cohort, network_id);

create table if not exists analytics_private.kpi_monthly_signup_retention_active (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_signup_retention_active_key primary key (site_id, actor_hash, period)
);
comment on table analytics_private.kpi_monthly_signup_retention_active is 'KPI monthly_signup_retention: the months in which each actor had a returning event.';
alter table analytics_private.kpi_monthly_signup_retention_active enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention_active from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention_active to service_role;

create index if not exists kpi_monthly_signup_retention_active_xid_idx on analytics_private.kpi_monthly_signup_retention_active (ingest_xid);

create table if not exists analytics_private.kpi_monthly_signup_retention (
  site_id uuid not null,
  period date not null,
  period_number smallint not null,
  cohort_actors bigint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_signup_retention_key unique nulls not distinct (site_id, period, period_number)
);
comment on table analytics_private.kpi_monthly_signup_retention is 'Of the actors who signed up in a month, the share with any product event in each of the following 12 months.';
alter table analytics_private.kpi_monthly_signup_retention enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention to service_role;

create table if not exists analytics_private.kpi_monthly_signup_retention_net (
  network_id uuid not null,
  period date not null,
  period_number smallint not null,
  cohort_actors bigint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  gone_actors bigint not null,
  gone_sites bigint not null,
  cohort_sites bigint not null,
  but_one bigint not null,
  hidden boolean not null default true,
  constraint kpi_monthly_signup_retention_net_key unique nulls not distinct (network_id, period, period_number)
);
comment on table analytics_private.kpi_monthly_signup_retention_net is 'KPI monthly_signup_retention: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_monthly_signup_retention_net enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention_net from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention_net to service_role;

drop policy if exists kpi_monthly_signup_retention_cohorts_service on analytics_private.kpi_monthly_signup_retention_cohorts;
create policy kpi_monthly_signup_retention_cohorts_service on analytics_private.kpi_monthly_signup_retention_cohorts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_signup_retention_active_service on analytics_private.kpi_monthly_signup_retention_active;
create policy kpi_monthly_signup_retention_active_service on analytics_private.kpi_monthly_signup_retention_active for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_signup_retention_service on analytics_private.kpi_monthly_signup_retention;
create policy kpi_monthly_signup_retention_service on analytics_private.kpi_monthly_signup_retention for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_signup_retention_net_service on analytics_private.kpi_monthly_signup_retention_net;
create policy kpi_monthly_signup_retention_net_service on analytics_private.kpi_monthly_signup_retention_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_monthly_signup_retention()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  moved_sites uuid[];
  moved_actors bigint[];
  moved_cohorts date[];
  moved_networks uuid[];
  rt_nets uuid[];
  rt_periods date[];
  rm_nets uuid[];
  rm_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.monthly_signup_retention', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_signup_retention' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'monthly_signup_retention';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  -- A late, earlier cohort event moves an actor to an earlier cohort: remember the cohort it leaves.
  select coalesce(array_agg(c.site_id), '{}'), coalesce(array_agg(c.actor_hash), '{}'),
         coalesce(array_agg(c.cohort), '{}'), coalesce(array_agg(c.network_id), '{}')
    into moved_sites, moved_actors, moved_cohorts, moved_networks
  from analytics_private.kpi_monthly_signup_retention_cohorts as c
  join (select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('month', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_monthly_signup_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('month', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.cohort')
  group by 1, 2
  order by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_monthly_signup_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, date_trunc('month', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.returning')
  order by 1, 2, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_signup_retention_cohorts;
    analyze analytics_private.kpi_monthly_signup_retention_active;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every cohort counted.
    insert into analytics_private.kpi_monthly_signup_retention as r (site_id, period, period_number, cohort_actors, value)
    select c.site_id, c.cohort, g.j::smallint, count(c.actor_hash), count(a.actor_hash)
    from analytics_private.kpi_monthly_signup_retention_cohorts as c
    cross join generate_series(0, 12) as g (j)
    left join analytics_private.kpi_monthly_signup_retention_active as a
      on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + make_interval(months => g.j))::date
    group by 1, 2, 3
    on conflict (site_id, period, period_number) do update
      set cohort_actors = excluded.cohort_actors, value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Each touched (site, actor): its contribution now added, before taken away (a new member had
    -- none; a moved one had its old cohort; returning periods stored before this transaction).
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_monthly_signup_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_monthly_signup_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), states as (
      select x.site_id, x.actor_hash, x.cohort, 1 as side
      from p join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from p join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts) as m (site_id, actor_hash, cohort)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), diff as (
      select c.site_id, c.cohort, g.j::smallint as j,
             sum(case when c.side = 1 then 1 else -1 end) as dc,
             count(a.xid) filter (where c.side = 1)
               - count(a.xid) filter (where c.side = 0 and a.xid <> pg_current_xact_id()) as dv
      from states as c
      cross join generate_series(0, 12) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_monthly_signup_retention_active as y
                where y.site_id = c.site_id and y.actor_hash = c.actor_hash and y.period = (c.cohort + make_interval(months => g.j))::date) as xid) as a
      where c.cohort is not null
      group by 1, 2, 3
    )
    insert into analytics_private.kpi_monthly_signup_retention as r (site_id, period, period_number, cohort_actors, value)
    select d.site_id, d.cohort, d.j, d.dc, d.dv from diff as d where d.dc <> 0 or d.dv <> 0
    on conflict (site_id, period, period_number) do update
      set cohort_actors = r.cohort_actors + excluded.cohort_actors, value = r.value + excluded.value,
          ingest_xid = pg_current_xact_id();
    -- A cohort left by its last member has no cells.
    delete from analytics_private.kpi_monthly_signup_retention as r
    using (select distinct m.site_id, m.cohort from unnest(moved_sites, moved_cohorts) as m (site_id, cohort)) as m
    where r.site_id = m.site_id and r.period = m.cohort and r.cohort_actors = 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_signup_retention_cohorts;
    analyze analytics_private.kpi_monthly_signup_retention_active;
    analyze analytics_private.kpi_monthly_signup_retention;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'monthly_signup_retention';
  if lo = '0'::xid8 then
    select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into rt_nets, rt_periods
    from (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as x;
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_monthly_signup_retention_net as nc
  using (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_monthly_signup_retention_net (network_id, period, period_number, cohort_actors, value, sites, actors, gone_actors, gone_sites, cohort_sites, but_one)
select n.network_id, n.period, n.period_number, n.cohort_actors, n.value, n.sites, n.actors,
         n.gone_actors, n.gone_sites, coh.sites, coh.but_one
  from (select c.network_id, c.cohort as period, g.j::smallint as period_number,
               count(distinct c.actor_hash) as cohort_actors, count(distinct a.actor_hash) as value,
               count(distinct a.site_id) as sites, count(distinct a.actor_hash) as actors,
               count(distinct c.actor_hash) filter (where a.actor_hash is null) as gone_actors,
               count(distinct c.site_id) filter (where a.actor_hash is null) as gone_sites
        from analytics_private.kpi_monthly_signup_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        cross join generate_series(0, 12) as g (j)
        left join analytics_private.kpi_monthly_signup_retention_active as a
          on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + make_interval(months => g.j))::date
        group by 1, 2, 3) as n
  join (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_monthly_signup_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    on coh.network_id = n.network_id and coh.period = n.period;
  else
    -- The network cells' difference, from every site of each touched actor, before and after.
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_monthly_signup_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_monthly_signup_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), who as (
      select distinct p.actor_hash from p
    ), states as (
      select x.site_id, x.actor_hash, x.network_id, x.cohort, 1 as side
      from who as w join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.actor_hash = w.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.network_id else x.network_id end,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from who as w join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.actor_hash = w.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts, moved_networks) as m (site_id, actor_hash, cohort, network_id)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), cells as (
      select c.site_id, c.actor_hash, c.network_id, c.cohort, g.j::smallint as j, c.side,
             (a.xid is not null and (c.side = 1 or a.xid <> pg_current_xact_id())) as kept
      from states as c
      cross join generate_series(0, 12) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_monthly_signup_retention_active as y
                where y.site_id = c.site_id and y.actor_hash = c.actor_hash and y.period = (c.cohort + make_interval(months => g.j))::date) as xid) as a
      where c.cohort is not null and c.network_id is not null
    ), acts as (
      select c.network_id, c.cohort, c.j,
             bool_or(c.side = 1)::int - bool_or(c.side = 0)::int as dc,
             coalesce(bool_or(c.side = 1 and c.kept), false)::int - coalesce(bool_or(c.side = 0 and c.kept), false)::int as dv,
             coalesce(bool_or(c.side = 1 and not c.kept), false)::int
               - coalesce(bool_or(c.side = 0 and not c.kept), false)::int as dga
      from cells as c
      group by c.network_id, c.cohort, c.j, c.actor_hash
    ), sits as (
      select c.network_id, c.cohort, c.j, c.site_id,
             coalesce(bool_or(c.side = 1 and c.kept), false) as a_kept,
             coalesce(bool_or(c.side = 0 and c.kept), false) as b_kept,
             coalesce(bool_or(c.side = 1 and not c.kept), false) as a_gone,
             coalesce(bool_or(c.side = 0 and not c.kept), false) as b_gone
      from cells as c
      group by c.network_id, c.cohort, c.j, c.site_id
    ), d as (
      select a.network_id, a.cohort, a.j, a.dc, a.dv, 0 as ds, a.dga, 0 as dgs from acts as a
      union all
      select s.network_id, s.cohort, s.j, 0, 0,
             case when s.a_kept = s.b_kept or exists (select 1 from analytics_private.kpi_monthly_signup_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_monthly_signup_retention_active as y
                         where y.site_id = x.site_id and y.actor_hash = x.actor_hash
                           and y.period = (s.cohort + make_interval(months => s.j))::date) > 0) then 0
                  else s.a_kept::int - s.b_kept::int end,
             0,
             case when s.a_gone = s.b_gone or exists (select 1 from analytics_private.kpi_monthly_signup_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_monthly_signup_retention_active as y
                         where y.site_id = x.site_id and y.actor_hash = x.actor_hash
                           and y.period = (s.cohort + make_interval(months => s.j))::date) = 0) then 0
                  else s.a_gone::int - s.b_gone::int end
      from sits as s
      where s.a_kept <> s.b_kept or s.a_gone <> s.b_gone
    ), agg as (
      select d.network_id, d.cohort, d.j, sum(d.dc) as dc, sum(d.dv) as dv, sum(d.ds) as ds,
             sum(d.dga) as dga, sum(d.dgs) as dgs
      from d
      group by d.network_id, d.cohort, d.j
      having sum(d.dc) <> 0 or sum(d.dv) <> 0 or sum(d.ds) <> 0 or sum(d.dga) <> 0 or sum(d.dgs) <> 0
    ), written as (
      insert into analytics_private.kpi_monthly_signup_retention_net as r (network_id, period, period_number, cohort_actors, value, sites, actors,
                                               gone_actors, gone_sites, cohort_sites, but_one)
      select a.network_id, a.cohort, a.j, a.dc, a.dv, a.ds, a.dv, a.dga, a.dgs, 0, 0
      from agg as a
      on conflict (network_id, period, period_number) do update
        set cohort_actors = r.cohort_actors + excluded.cohort_actors, value = r.value + excluded.value,
            sites = r.sites + excluded.sites, actors = r.actors + excluded.actors,
            gone_actors = r.gone_actors + excluded.gone_actors, gone_sites = r.gone_sites + excluded.gone_sites
    )
    -- the touched cohorts (the suppression's), and those whose members changed
    select coalesce(array_agg(t.network_id), '{}'), coalesce(array_agg(t.period), '{}'),
           coalesce(array_agg(t.network_id) filter (where t.members), '{}'),
           coalesce(array_agg(t.period) filter (where t.members), '{}')
      into rt_nets, rt_periods, rm_nets, rm_periods
    from (select a.network_id, a.cohort as period, bool_or(a.dc <> 0) as members
          from agg as a group by 1, 2) as t;
    -- A cohort's sites and actors-but-one change only with its members: recounted for those cohorts.
    delete from analytics_private.kpi_monthly_signup_retention_net as nc
    using unnest(rm_nets, rm_periods) as t (network_id, period)
    where nc.network_id = t.network_id and nc.period = t.period and nc.cohort_actors = 0;
    update analytics_private.kpi_monthly_signup_retention_net as nc set cohort_sites = coh.sites, but_one = coh.but_one
    from (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_monthly_signup_retention_cohorts as c
        join (select x.network_id, x.period from unnest(rm_nets, rm_periods) as x (network_id, period)) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    where nc.network_id = coh.network_id and nc.period = coh.period;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_signup_retention_net;
  end if;
  -- Which periods of each touched network cohort the view hides: those with fewer than 5 sites or
  -- actors retained, or with some but fewer than 5 actors or sites not retained (cohort size minus
  -- retained is published by difference; none is no one's value). A cohort
  -- hiding any period keeps the others only when its members are 5 actors and 5 sites after
  -- removing any one site (a hidden period lies between 0 and the published cohort size); otherwise
  -- the whole cohort is hidden. The counts are stored on the cells (net_refresh).
  update analytics_private.kpi_monthly_signup_retention_net as nc
  set hidden = (nc.sites < 5 or nc.actors < 5
                or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)))
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period
    and nc.hidden is distinct from (nc.sites < 5 or nc.actors < 5
                                    or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)));
  update analytics_private.kpi_monthly_signup_retention_net as nc set hidden = true
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period and not nc.hidden
    and (nc.but_one < 5 or nc.cohort_sites <= 5)
    and exists (select 1 from analytics_private.kpi_monthly_signup_retention_net as h
                where h.network_id = nc.network_id and h.period = nc.period and h.hidden);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_monthly_signup_retention_for_caller()
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_monthly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;

create or replace function analytics_private.kpi_monthly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_monthly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;

create or replace function analytics_private.network_monthly_signup_retention_cells()
returns table (period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, suppressed boolean)
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
  select q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.period_number, case when r.suppressed then null else r.cohort_actors end as cohort_actors, case when r.suppressed then null else r.value end as retained, round(case when r.suppressed then null else r.value end::numeric / nullif(case when r.suppressed then null else r.cohort_actors end, 0), 6) as rate, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_monthly_signup_retention_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, period_number, cohort_actors, retained, rate, suppressed);
end
$fn$;

-- KPI network_analytics_viewers
create table if not exists analytics_private.kpi_network_analytics_viewers_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_network_analytics_viewers_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_network_analytics_viewers_facts is 'KPI network_analytics_viewers: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_network_analytics_viewers_facts enable row level security;
revoke all on analytics_private.kpi_network_analytics_viewers_facts from public, anon, authenticated;
grant all on analytics_private.kpi_network_analytics_viewers_facts to service_role;

create index if not exists kpi_network_analytics_viewers_facts_xid_idx on analytics_private.kpi_network_analytics_viewers_facts (ingest_xid);

create index if not exists kpi_network_analytics_viewers_facts_net_idx on analytics_private.kpi_network_analytics_viewers_facts (network_id, period);

create table if not exists analytics_private.kpi_network_analytics_viewers (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_network_analytics_viewers_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_network_analytics_viewers is 'Network-plan actors who opened a network dashboard or compared a benchmark in the month.';
alter table analytics_private.kpi_network_analytics_viewers enable row level security;
revoke all on analytics_private.kpi_network_analytics_viewers from public, anon, authenticated;
grant all on analytics_private.kpi_network_analytics_viewers to service_role;

create index if not exists kpi_network_analytics_viewers_xid_idx on analytics_private.kpi_network_analytics_viewers (ingest_xid);

create table if not exists analytics_private.kpi_network_analytics_viewers_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_network_analytics_viewers_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_network_analytics_viewers_net is 'KPI network_analytics_viewers: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_network_analytics_viewers_net enable row level security;
revoke all on analytics_private.kpi_network_analytics_viewers_net from public, anon, authenticated;
grant all on analytics_private.kpi_network_analytics_viewers_net to service_role;

drop policy if exists kpi_network_analytics_viewers_facts_service on analytics_private.kpi_network_analytics_viewers_facts;
create policy kpi_network_analytics_viewers_facts_service on analytics_private.kpi_network_analytics_viewers_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_network_analytics_viewers_service on analytics_private.kpi_network_analytics_viewers;
create policy kpi_network_analytics_viewers_service on analytics_private.kpi_network_analytics_viewers for all to service_role
  using (true) with check (true);

drop policy if exists kpi_network_analytics_viewers_net_service on analytics_private.kpi_network_analytics_viewers_net;
create policy kpi_network_analytics_viewers_net_service on analytics_private.kpi_network_analytics_viewers_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_network_analytics_viewers()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.network_analytics_viewers', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.network_analytics_viewers', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'network_analytics_viewers' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'network_analytics_viewers';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_network_analytics_viewers_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'network_analytics_viewers')
      and e.actor_tier = any (array['network']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_network_analytics_viewers as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_network_analytics_viewers_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_network_analytics_viewers_facts;
    analyze analytics_private.kpi_network_analytics_viewers;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'network_analytics_viewers';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_network_analytics_viewers_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_network_analytics_viewers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_network_analytics_viewers_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_network_analytics_viewers_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_network_analytics_viewers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_network_analytics_viewers_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_network_analytics_viewers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_network_analytics_viewers_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_network_analytics_viewers_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_network_analytics_viewers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_network_analytics_viewers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_network_analytics_viewers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_network_analytics_viewers_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_network_analytics_viewers_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI protocol_loggers
create table if not exists analytics_private.kpi_protocol_loggers_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_loggers_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_protocol_loggers_facts is 'KPI protocol_loggers: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_protocol_loggers_facts enable row level security;
revoke all on analytics_private.kpi_protocol_loggers_facts from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_loggers_facts to service_role;

create index if not exists kpi_protocol_loggers_facts_xid_idx on analytics_private.kpi_protocol_loggers_facts (ingest_xid);

create index if not exists kpi_protocol_loggers_facts_net_idx on analytics_private.kpi_protocol_loggers_facts (network_id, period);

create table if not exists analytics_private.kpi_protocol_loggers (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_loggers_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_protocol_loggers is 'Pro-plan actors who logged at least one protocol session in the week.';
alter table analytics_private.kpi_protocol_loggers enable row level security;
revoke all on analytics_private.kpi_protocol_loggers from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_loggers to service_role;

create index if not exists kpi_protocol_loggers_xid_idx on analytics_private.kpi_protocol_loggers (ingest_xid);

create table if not exists analytics_private.kpi_protocol_loggers_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_protocol_loggers_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_protocol_loggers_net is 'KPI protocol_loggers: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_protocol_loggers_net enable row level security;
revoke all on analytics_private.kpi_protocol_loggers_net from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_loggers_net to service_role;

drop policy if exists kpi_protocol_loggers_facts_service on analytics_private.kpi_protocol_loggers_facts;
create policy kpi_protocol_loggers_facts_service on analytics_private.kpi_protocol_loggers_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_loggers_service on analytics_private.kpi_protocol_loggers;
create policy kpi_protocol_loggers_service on analytics_private.kpi_protocol_loggers for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_loggers_net_service on analytics_private.kpi_protocol_loggers_net;
create policy kpi_protocol_loggers_net_service on analytics_private.kpi_protocol_loggers_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_protocol_loggers()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.protocol_loggers', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.protocol_loggers', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_loggers' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'protocol_loggers';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_protocol_loggers_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_loggers')
      and e.actor_tier = any (array['practitioner']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_protocol_loggers as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_protocol_loggers_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_loggers_facts;
    analyze analytics_private.kpi_protocol_loggers;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'protocol_loggers';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_protocol_loggers_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_protocol_loggers_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_protocol_loggers_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_loggers_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_protocol_loggers_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_protocol_loggers_for_caller()
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_protocol_loggers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, value);
end
$fn$;

create or replace function analytics_private.kpi_protocol_loggers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
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
  select q.site_id::uuid, q.period::date, q.value::bigint
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_protocol_loggers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_protocol_loggers_cells()
returns table (period date, value bigint, suppressed boolean)
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
  select q.period::date, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_protocol_loggers_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;

-- KPI protocol_logging_retention
create table if not exists analytics_private.kpi_protocol_logging_retention_cohorts (
  site_id uuid not null,
  actor_hash bigint not null,
  cohort date not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_logging_retention_cohorts_key primary key (site_id, actor_hash)
);
comment on table analytics_private.kpi_protocol_logging_retention_cohorts is 'KPI protocol_logging_retention: each actor''s cohort, the week of its first cohort event at the site.';
alter table analytics_private.kpi_protocol_logging_retention_cohorts enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention_cohorts from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention_cohorts to service_role;

create index if not exists kpi_protocol_logging_retention_cohorts_xid_idx on analytics_private.kpi_protocol_logging_retention_cohorts (ingest_xid);

create index if not exists kpi_protocol_logging_retention_cohorts_net_idx on analytics_private.kpi_protocol_logging_retention_cohorts (network_id, cohort);

create index if not exists kpi_protocol_logging_retention_cohorts_actor_idx on analytics_private.kpi_protocol_logging_retention_cohorts (actor_hash);

create index if not exists kpi_protocol_logging_retention_cohorts_site_idx on analytics_private.kpi_protocol_logging_retention_cohorts (site_id, cohort, network_id);

create table if not exists analytics_private.kpi_protocol_logging_retention_active (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_logging_retention_active_key primary key (site_id, actor_hash, period)
);
comment on table analytics_private.kpi_protocol_logging_retention_active is 'KPI protocol_logging_retention: the weeks in which each actor had a returning event.';
alter table analytics_private.kpi_protocol_logging_retention_active enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention_active from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention_active to service_role;

create index if not exists kpi_protocol_logging_retention_active_xid_idx on analytics_private.kpi_protocol_logging_retention_active (ingest_xid);

create table if not exists analytics_private.kpi_protocol_logging_retention (
  site_id uuid not null,
  period date not null,
  period_number smallint not null,
  cohort_actors bigint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_logging_retention_key unique nulls not distinct (site_id, period, period_number)
);
comment on table analytics_private.kpi_protocol_logging_retention is 'Of the actors who started a pro trial in a week, the share who log a protocol session in each of the following 8 weeks.';
alter table analytics_private.kpi_protocol_logging_retention enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention to service_role;

create table if not exists analytics_private.kpi_protocol_logging_retention_net (
  network_id uuid not null,
  period date not null,
  period_number smallint not null,
  cohort_actors bigint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  gone_actors bigint not null,
  gone_sites bigint not null,
  cohort_sites bigint not null,
  but_one bigint not null,
  hidden boolean not null default true,
  constraint kpi_protocol_logging_retention_net_key unique nulls not distinct (network_id, period, period_number)
);
comment on table analytics_private.kpi_protocol_logging_retention_net is 'KPI protocol_logging_retention: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_protocol_logging_retention_net enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention_net from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention_net to service_role;

drop policy if exists kpi_protocol_logging_retention_cohorts_service on analytics_private.kpi_protocol_logging_retention_cohorts;
create policy kpi_protocol_logging_retention_cohorts_service on analytics_private.kpi_protocol_logging_retention_cohorts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_logging_retention_active_service on analytics_private.kpi_protocol_logging_retention_active;
create policy kpi_protocol_logging_retention_active_service on analytics_private.kpi_protocol_logging_retention_active for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_logging_retention_service on analytics_private.kpi_protocol_logging_retention;
create policy kpi_protocol_logging_retention_service on analytics_private.kpi_protocol_logging_retention for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_logging_retention_net_service on analytics_private.kpi_protocol_logging_retention_net;
create policy kpi_protocol_logging_retention_net_service on analytics_private.kpi_protocol_logging_retention_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_protocol_logging_retention()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  moved_sites uuid[];
  moved_actors bigint[];
  moved_cohorts date[];
  moved_networks uuid[];
  rt_nets uuid[];
  rt_periods date[];
  rm_nets uuid[];
  rm_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.protocol_logging_retention', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_logging_retention' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'protocol_logging_retention';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  -- A late, earlier cohort event moves an actor to an earlier cohort: remember the cohort it leaves.
  select coalesce(array_agg(c.site_id), '{}'), coalesce(array_agg(c.actor_hash), '{}'),
         coalesce(array_agg(c.cohort), '{}'), coalesce(array_agg(c.network_id), '{}')
    into moved_sites, moved_actors, moved_cohorts, moved_networks
  from analytics_private.kpi_protocol_logging_retention_cohorts as c
  join (select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_protocol_logging_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.cohort')
  group by 1, 2
  order by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_protocol_logging_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, date_trunc('week', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.returning')
  order by 1, 2, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_logging_retention_cohorts;
    analyze analytics_private.kpi_protocol_logging_retention_active;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every cohort counted.
    insert into analytics_private.kpi_protocol_logging_retention as r (site_id, period, period_number, cohort_actors, value)
    select c.site_id, c.cohort, g.j::smallint, count(c.actor_hash), count(a.actor_hash)
    from analytics_private.kpi_protocol_logging_retention_cohorts as c
    cross join generate_series(0, 8) as g (j)
    left join analytics_private.kpi_protocol_logging_retention_active as a
      on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
    group by 1, 2, 3
    on conflict (site_id, period, period_number) do update
      set cohort_actors = excluded.cohort_actors, value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Each touched (site, actor): its contribution now added, before taken away (a new member had
    -- none; a moved one had its old cohort; returning periods stored before this transaction).
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_protocol_logging_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_protocol_logging_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), states as (
      select x.site_id, x.actor_hash, x.cohort, 1 as side
      from p join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from p join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts) as m (site_id, actor_hash, cohort)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), diff as (
      select c.site_id, c.cohort, g.j::smallint as j,
             sum(case when c.side = 1 then 1 else -1 end) as dc,
             count(a.xid) filter (where c.side = 1)
               - count(a.xid) filter (where c.side = 0 and a.xid <> pg_current_xact_id()) as dv
      from states as c
      cross join generate_series(0, 8) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_protocol_logging_retention_active as y
                where y.site_id = c.site_id and y.actor_hash = c.actor_hash and y.period = (c.cohort + 7 * g.j)) as xid) as a
      where c.cohort is not null
      group by 1, 2, 3
    )
    insert into analytics_private.kpi_protocol_logging_retention as r (site_id, period, period_number, cohort_actors, value)
    select d.site_id, d.cohort, d.j, d.dc, d.dv from diff as d where d.dc <> 0 or d.dv <> 0
    on conflict (site_id, period, period_number) do update
      set cohort_actors = r.cohort_actors + excluded.cohort_actors, value = r.value + excluded.value,
          ingest_xid = pg_current_xact_id();
    -- A cohort left by its last member has no cells.
    delete from analytics_private.kpi_protocol_logging_retention as r
    using (select distinct m.site_id, m.cohort from unnest(moved_sites, moved_cohorts) as m (site_id, cohort)) as m
    where r.site_id = m.site_id and r.period = m.cohort and r.cohort_actors = 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_logging_retention_cohorts;
    analyze analytics_private.kpi_protocol_logging_retention_active;
    analyze analytics_private.kpi_protocol_logging_retention;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'protocol_logging_retention';
  if lo = '0'::xid8 then
    select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into rt_nets, rt_periods
    from (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as x;
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_protocol_logging_retention_net as nc
  using (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_protocol_logging_retention_net (network_id, period, period_number, cohort_actors, value, sites, actors, gone_actors, gone_sites, cohort_sites, but_one)
select n.network_id, n.period, n.period_number, n.cohort_actors, n.value, n.sites, n.actors,
         n.gone_actors, n.gone_sites, coh.sites, coh.but_one
  from (select c.network_id, c.cohort as period, g.j::smallint as period_number,
               count(distinct c.actor_hash) as cohort_actors, count(distinct a.actor_hash) as value,
               count(distinct a.site_id) as sites, count(distinct a.actor_hash) as actors,
               count(distinct c.actor_hash) filter (where a.actor_hash is null) as gone_actors,
               count(distinct c.site_id) filter (where a.actor_hash is null) as gone_sites
        from analytics_private.kpi_protocol_logging_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        cross join generate_series(0, 8) as g (j)
        left join analytics_private.kpi_protocol_logging_retention_active as a
          on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
        group by 1, 2, 3) as n
  join (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_protocol_logging_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    on coh.network_id = n.network_id and coh.period = n.period;
  else
    -- The network cells' difference, from every site of each touched actor, before and after.
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_protocol_logging_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_protocol_logging_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), who as (
      select distinct p.actor_hash from p
    ), states as (
      select x.site_id, x.actor_hash, x.network_id, x.cohort, 1 as side
      from who as w join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.actor_hash = w.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.network_id else x.network_id end,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from who as w join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.actor_hash = w.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts, moved_networks) as m (site_id, actor_hash, cohort, network_id)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), cells as (
      select c.site_id, c.actor_hash, c.network_id, c.cohort, g.j::smallint as j, c.side,
             (a.xid is not null and (c.side = 1 or a.xid <> pg_current_xact_id())) as kept
      from states as c
      cross join generate_series(0, 8) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_protocol_logging_retention_active as y
                where y.site_id = c.site_id and y.actor_hash = c.actor_hash and y.period = (c.cohort + 7 * g.j)) as xid) as a
      where c.cohort is not null and c.network_id is not null
    ), acts as (
      select c.network_id, c.cohort, c.j,
             bool_or(c.side = 1)::int - bool_or(c.side = 0)::int as dc,
             coalesce(bool_or(c.side = 1 and c.kept), false)::int - coalesce(bool_or(c.side = 0 and c.kept), false)::int as dv,
             coalesce(bool_or(c.side = 1 and not c.kept), false)::int
               - coalesce(bool_or(c.side = 0 and not c.kept), false)::int as dga
      from cells as c
      group by c.network_id, c.cohort, c.j, c.actor_hash
    ), sits as (
      select c.network_id, c.cohort, c.j, c.site_id,
             coalesce(bool_or(c.side = 1 and c.kept), false) as a_kept,
             coalesce(bool_or(c.side = 0 and c.kept), false) as b_kept,
             coalesce(bool_or(c.side = 1 and not c.kept), false) as a_gone,
             coalesce(bool_or(c.side = 0 and not c.kept), false) as b_gone
      from cells as c
      group by c.network_id, c.cohort, c.j, c.site_id
    ), d as (
      select a.network_id, a.cohort, a.j, a.dc, a.dv, 0 as ds, a.dga, 0 as dgs from acts as a
      union all
      select s.network_id, s.cohort, s.j, 0, 0,
             case when s.a_kept = s.b_kept or exists (select 1 from analytics_private.kpi_protocol_logging_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_protocol_logging_retention_active as y
                         where y.site_id = x.site_id and y.actor_hash = x.actor_hash
                           and y.period = (s.cohort + 7 * s.j)) > 0) then 0
                  else s.a_kept::int - s.b_kept::int end,
             0,
             case when s.a_gone = s.b_gone or exists (select 1 from analytics_private.kpi_protocol_logging_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_protocol_logging_retention_active as y
                         where y.site_id = x.site_id and y.actor_hash = x.actor_hash
                           and y.period = (s.cohort + 7 * s.j)) = 0) then 0
                  else s.a_gone::int - s.b_gone::int end
      from sits as s
      where s.a_kept <> s.b_kept or s.a_gone <> s.b_gone
    ), agg as (
      select d.network_id, d.cohort, d.j, sum(d.dc) as dc, sum(d.dv) as dv, sum(d.ds) as ds,
             sum(d.dga) as dga, sum(d.dgs) as dgs
      from d
      group by d.network_id, d.cohort, d.j
      having sum(d.dc) <> 0 or sum(d.dv) <> 0 or sum(d.ds) <> 0 or sum(d.dga) <> 0 or sum(d.dgs) <> 0
    ), written as (
      insert into analytics_private.kpi_protocol_logging_retention_net as r (network_id, period, period_number, cohort_actors, value, sites, actors,
                                               gone_actors, gone_sites, cohort_sites, but_one)
      select a.network_id, a.cohort, a.j, a.dc, a.dv, a.ds, a.dv, a.dga, a.dgs, 0, 0
      from agg as a
      on conflict (network_id, period, period_number) do update
        set cohort_actors = r.cohort_actors + excluded.cohort_actors, value = r.value + excluded.value,
            sites = r.sites + excluded.sites, actors = r.actors + excluded.actors,
            gone_actors = r.gone_actors + excluded.gone_actors, gone_sites = r.gone_sites + excluded.gone_sites
    )
    -- the touched cohorts (the suppression's), and those whose members changed
    select coalesce(array_agg(t.network_id), '{}'), coalesce(array_agg(t.period), '{}'),
           coalesce(array_agg(t.network_id) filter (where t.members), '{}'),
           coalesce(array_agg(t.period) filter (where t.members), '{}')
      into rt_nets, rt_periods, rm_nets, rm_periods
    from (select a.network_id, a.cohort as period, bool_or(a.dc <> 0) as members
          from agg as a group by 1, 2) as t;
    -- A cohort's sites and actors-but-one change only with its members: recounted for those cohorts.
    delete from analytics_private.kpi_protocol_logging_retention_net as nc
    using unnest(rm_nets, rm_periods) as t (network_id, period)
    where nc.network_id = t.network_id and nc.period = t.period and nc.cohort_actors = 0;
    update analytics_private.kpi_protocol_logging_retention_net as nc set cohort_sites = coh.sites, but_one = coh.but_one
    from (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_protocol_logging_retention_cohorts as c
        join (select x.network_id, x.period from unnest(rm_nets, rm_periods) as x (network_id, period)) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    where nc.network_id = coh.network_id and nc.period = coh.period;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_logging_retention_net;
  end if;
  -- Which periods of each touched network cohort the view hides: those with fewer than 5 sites or
  -- actors retained, or with some but fewer than 5 actors or sites not retained (cohort size minus
  -- retained is published by difference; none is no one's value). A cohort
  -- hiding any period keeps the others only when its members are 5 actors and 5 sites after
  -- removing any one site (a hidden period lies between 0 and the published cohort size); otherwise
  -- the whole cohort is hidden. The counts are stored on the cells (net_refresh).
  update analytics_private.kpi_protocol_logging_retention_net as nc
  set hidden = (nc.sites < 5 or nc.actors < 5
                or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)))
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period
    and nc.hidden is distinct from (nc.sites < 5 or nc.actors < 5
                                    or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)));
  update analytics_private.kpi_protocol_logging_retention_net as nc set hidden = true
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period and not nc.hidden
    and (nc.but_one < 5 or nc.cohort_sites <= 5)
    and exists (select 1 from analytics_private.kpi_protocol_logging_retention_net as h
                where h.network_id = nc.network_id and h.period = nc.period and h.hidden);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_protocol_logging_retention_for_caller()
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_protocol_logging_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;

create or replace function analytics_private.kpi_protocol_logging_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_protocol_logging_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;

create or replace function analytics_private.network_protocol_logging_retention_cells()
returns table (period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, suppressed boolean)
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
  select q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.period_number, case when r.suppressed then null else r.cohort_actors end as cohort_actors, case when r.suppressed then null else r.value end as retained, round(case when r.suppressed then null else r.value end::numeric / nullif(case when r.suppressed then null else r.cohort_actors end, 0), 6) as rate, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_protocol_logging_retention_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, period_number, cohort_actors, retained, rate, suppressed);
end
$fn$;

-- KPI protocol_sessions_logged
create table if not exists analytics_private.kpi_protocol_sessions_logged_facts (
  site_id uuid not null,
  period date not null,
  logging_mode text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_sessions_logged_facts_key unique nulls not distinct (site_id, period, logging_mode, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_protocol_sessions_logged_facts is 'KPI protocol_sessions_logged: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_protocol_sessions_logged_facts enable row level security;
revoke all on analytics_private.kpi_protocol_sessions_logged_facts from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_sessions_logged_facts to service_role;

create index if not exists kpi_protocol_sessions_logged_facts_xid_idx on analytics_private.kpi_protocol_sessions_logged_facts (ingest_xid);

create index if not exists kpi_protocol_sessions_logged_facts_net_idx on analytics_private.kpi_protocol_sessions_logged_facts (network_id, period, logging_mode);

create table if not exists analytics_private.kpi_protocol_sessions_logged (
  site_id uuid not null,
  period date not null,
  logging_mode text not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_sessions_logged_key unique nulls not distinct (site_id, period, logging_mode, network_id)
);
comment on table analytics_private.kpi_protocol_sessions_logged is 'Protocol sessions logged per day, by logging mode (live, after the session, bulk import).';
alter table analytics_private.kpi_protocol_sessions_logged enable row level security;
revoke all on analytics_private.kpi_protocol_sessions_logged from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_sessions_logged to service_role;

create index if not exists kpi_protocol_sessions_logged_xid_idx on analytics_private.kpi_protocol_sessions_logged (ingest_xid);

create index if not exists kpi_protocol_sessions_logged_rollup_net_idx on analytics_private.kpi_protocol_sessions_logged (network_id, period, logging_mode);

create table if not exists analytics_private.kpi_protocol_sessions_logged_net (
  network_id uuid not null,
  period date not null,
  logging_mode text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_protocol_sessions_logged_net_key unique nulls not distinct (network_id, period, logging_mode)
);
comment on table analytics_private.kpi_protocol_sessions_logged_net is 'KPI protocol_sessions_logged: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_protocol_sessions_logged_net enable row level security;
revoke all on analytics_private.kpi_protocol_sessions_logged_net from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_sessions_logged_net to service_role;

drop policy if exists kpi_protocol_sessions_logged_facts_service on analytics_private.kpi_protocol_sessions_logged_facts;
create policy kpi_protocol_sessions_logged_facts_service on analytics_private.kpi_protocol_sessions_logged_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_sessions_logged_service on analytics_private.kpi_protocol_sessions_logged;
create policy kpi_protocol_sessions_logged_service on analytics_private.kpi_protocol_sessions_logged for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_sessions_logged_net_service on analytics_private.kpi_protocol_sessions_logged_net;
create policy kpi_protocol_sessions_logged_net_service on analytics_private.kpi_protocol_sessions_logged_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_protocol_sessions_logged()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.protocol_sessions_logged', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.protocol_sessions_logged', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_sessions_logged' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'protocol_sessions_logged';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_protocol_sessions_logged_facts (site_id, period, logging_mode, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'logging_mode', ''), ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')
  order by 1, 2, 3, 4, 5
  on conflict do nothing;
  insert into analytics_private.kpi_protocol_sessions_logged as r (site_id, period, logging_mode, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'logging_mode', ''), e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')
  group by 1, 2, 3, 4
  on conflict (site_id, period, logging_mode, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_sessions_logged_facts;
    analyze analytics_private.kpi_protocol_sessions_logged;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'protocol_sessions_logged';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_protocol_sessions_logged_net as nc
  using (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.logging_mode = t.logging_mode;
  insert into analytics_private.kpi_protocol_sessions_logged_net (network_id, period, logging_mode, value, sites, actors)
select u.network_id, u.period, u.logging_mode, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, f.logging_mode, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_protocol_sessions_logged as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode = t.logging_mode
        group by 1, 2, 3
        union all
        select f.network_id, f.period, f.logging_mode, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_protocol_sessions_logged_facts as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode = t.logging_mode
        group by 1, 2, 3) as u
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_sessions_logged_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_protocol_sessions_logged_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_protocol_sessions_logged_for_caller()
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
  from analytics_private.kpi_protocol_sessions_logged as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2, 3) as q (site_id, period, logging_mode, value);
end
$fn$;

create or replace function analytics_private.kpi_protocol_sessions_logged_between("from" date, "to" date)
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
  from analytics_private.kpi_protocol_sessions_logged as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3) as q (site_id, period, logging_mode, value);
end
$fn$;

create or replace function analytics_private.network_protocol_sessions_logged_cells()
returns table (period date, logging_mode text, value bigint, suppressed boolean)
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
  select q.period::date, q.logging_mode::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, nullif(r.logging_mode, '') as logging_mode, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_protocol_sessions_logged_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, logging_mode, value, suppressed);
end
$fn$;

-- KPI screen_load_ms
create table if not exists analytics_private.kpi_screen_load_ms_values (
  site_id uuid not null,
  period date not null,
  screen text not null,
  platform text not null,
  actor_hash bigint not null,
  event_key uuid not null,
  occurred_at timestamptz not null,
  measure double precision not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_screen_load_ms_values_key unique (site_id, event_key, occurred_at)
);
comment on table analytics_private.kpi_screen_load_ms_values is 'KPI screen_load_ms: one measured value per event.';
alter table analytics_private.kpi_screen_load_ms_values enable row level security;
revoke all on analytics_private.kpi_screen_load_ms_values from public, anon, authenticated;
grant all on analytics_private.kpi_screen_load_ms_values to service_role;

create index if not exists kpi_screen_load_ms_values_xid_idx on analytics_private.kpi_screen_load_ms_values (ingest_xid);

create index if not exists kpi_screen_load_ms_values_cell_idx on analytics_private.kpi_screen_load_ms_values (site_id, period, screen, platform);

create index if not exists kpi_screen_load_ms_values_net_idx on analytics_private.kpi_screen_load_ms_values (network_id, period, screen, platform);

create table if not exists analytics_private.kpi_screen_load_ms (
  site_id uuid not null,
  period date not null,
  screen text not null,
  platform text not null,
  n bigint,
  p50 double precision,
  p95 double precision,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_screen_load_ms_key unique nulls not distinct (site_id, period, screen, platform)
);
comment on table analytics_private.kpi_screen_load_ms is 'Median and 95th percentile time to interactive per day, by screen and client platform.';
alter table analytics_private.kpi_screen_load_ms enable row level security;
revoke all on analytics_private.kpi_screen_load_ms from public, anon, authenticated;
grant all on analytics_private.kpi_screen_load_ms to service_role;

create index if not exists kpi_screen_load_ms_xid_idx on analytics_private.kpi_screen_load_ms (ingest_xid);

create table if not exists analytics_private.kpi_screen_load_ms_net (
  network_id uuid not null,
  period date not null,
  screen text not null,
  platform text not null,
  n bigint not null,
  p50 double precision,
  p95 double precision,
  sites bigint not null,
  actors bigint not null,
  p50_hidden boolean not null default true,
  p95_hidden boolean not null default true,
  hidden boolean not null default true,
  constraint kpi_screen_load_ms_net_key unique nulls not distinct (network_id, period, screen, platform)
);
comment on table analytics_private.kpi_screen_load_ms_net is 'KPI screen_load_ms: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_screen_load_ms_net enable row level security;
revoke all on analytics_private.kpi_screen_load_ms_net from public, anon, authenticated;
grant all on analytics_private.kpi_screen_load_ms_net to service_role;

drop policy if exists kpi_screen_load_ms_values_service on analytics_private.kpi_screen_load_ms_values;
create policy kpi_screen_load_ms_values_service on analytics_private.kpi_screen_load_ms_values for all to service_role
  using (true) with check (true);

drop policy if exists kpi_screen_load_ms_service on analytics_private.kpi_screen_load_ms;
create policy kpi_screen_load_ms_service on analytics_private.kpi_screen_load_ms for all to service_role
  using (true) with check (true);

drop policy if exists kpi_screen_load_ms_net_service on analytics_private.kpi_screen_load_ms_net;
create policy kpi_screen_load_ms_net_service on analytics_private.kpi_screen_load_ms_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_screen_load_ms()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.screen_load_ms', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.screen_load_ms', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'screen_load_ms' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'screen_load_ms';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_screen_load_ms_values (site_id, period, screen, platform, actor_hash, event_key, occurred_at, measure, network_id)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'screen', ''), coalesce(e.payload ->> 'platform', ''), ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.idempotency_key, e.occurred_at, (e.payload ->> 'load_ms')::double precision, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'screen_load_ms')
    and jsonb_typeof(e.payload -> 'load_ms') = 'number'
  order by 1, 6, 7
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_screen_load_ms_values;
  end if;
  insert into analytics_private.kpi_screen_load_ms as r (site_id, period, screen, platform, n, p50, p95)
  select f.site_id, f.period, f.screen, f.platform, count(*), (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95
  from analytics_private.kpi_screen_load_ms_values as f
  join (select distinct t.site_id, t.period, t.screen, t.platform
        from analytics_private.kpi_screen_load_ms_values as t where t.ingest_xid = pg_current_xact_id()) as a
    on f.site_id = a.site_id and f.period = a.period and f.screen = a.screen and f.platform = a.platform
  group by 1, 2, 3, 4
  on conflict (site_id, period, screen, platform) do update
    set n = excluded.n, p50 = excluded.p50, p95 = excluded.p95, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_screen_load_ms_values;
    analyze analytics_private.kpi_screen_load_ms;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'screen_load_ms';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_screen_load_ms_net as nc
  using (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.screen = t.screen and nc.platform = t.platform;
  insert into analytics_private.kpi_screen_load_ms_net (network_id, period, screen, platform, n, p50, p95, sites, actors)
select f.network_id, f.period, f.screen, f.platform, count(*) as n, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_screen_load_ms_values as f
  join (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.screen = t.screen and f.platform = t.platform
  group by 1, 2, 3, 4;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_screen_load_ms_net;
  end if;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_screen_load_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_screen_load_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.screen = c.screen and v.platform = c.platform),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_screen_load_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.screen = c.screen and v.platform = c.platform)
  from (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.screen = t.screen and c.platform = t.platform;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_screen_load_ms_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_screen_load_ms_for_caller()
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
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
  select q.site_id::uuid, q.period::date, q.screen::text, q.platform::text, q.n::bigint, q.p50::double precision, q.p95::double precision
  from (select r.site_id, r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, r.n, r.p50, r.p95
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, screen, platform, n, p50, p95);
end
$fn$;

create or replace function analytics_private.kpi_screen_load_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
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
  select q.site_id::uuid, q.period::date, q.screen::text, q.platform::text, q.n::bigint, q.p50::double precision, q.p95::double precision
  from (select r.site_id, r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, r.n, r.p50, r.p95
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, screen, platform, n, p50, p95);
end
$fn$;

create or replace function analytics_private.network_screen_load_ms_cells()
returns table (period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, suppressed boolean)
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
  select q.period::date, q.screen::text, q.platform::text, q.n::bigint, q.p50::double precision, q.p95::double precision, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, case when r.suppressed then null else r.n end as n, case when r.suppressed or r.p50_hidden then null else r.p50 end as p50, case when r.suppressed or r.p95_hidden then null else r.p95 end as p95, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_screen_load_ms_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, screen, platform, n, p50, p95, suppressed);
end
$fn$;

-- KPI trial_activation_to_conversion
create table if not exists analytics_private.kpi_trial_activation_to_conversion_steps (
  site_id uuid not null,
  actor_hash bigint not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_steps_key unique (site_id, actor_hash, occurred_at, event_key, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_steps is 'KPI trial_activation_to_conversion: every event that matches a step, per actor.';
alter table analytics_private.kpi_trial_activation_to_conversion_steps enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_steps from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_steps to service_role;

create index if not exists kpi_trial_activation_to_conversion_steps_xid_idx on analytics_private.kpi_trial_activation_to_conversion_steps (ingest_xid);

create table if not exists analytics_private.kpi_trial_activation_to_conversion_actors (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_actors_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_actors is 'KPI trial_activation_to_conversion: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_trial_activation_to_conversion_actors enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_actors from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_actors to service_role;

create index if not exists kpi_trial_activation_to_conversion_actors_xid_idx on analytics_private.kpi_trial_activation_to_conversion_actors (ingest_xid);

create index if not exists kpi_trial_activation_to_conversion_actors_net_idx on analytics_private.kpi_trial_activation_to_conversion_actors (network_id, period, actor_hash);

create table if not exists analytics_private.kpi_trial_activation_to_conversion (
  site_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion is 'Pro trials that are activated (protocol created, then a session logged) and convert to a paid subscription within 30 days of the trial start.';
alter table analytics_private.kpi_trial_activation_to_conversion enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion to service_role;

create table if not exists analytics_private.kpi_trial_activation_to_conversion_net (
  network_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_trial_activation_to_conversion_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_net is 'KPI trial_activation_to_conversion: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_trial_activation_to_conversion_net enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_net from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_net to service_role;

drop policy if exists kpi_trial_activation_to_conversion_steps_service on analytics_private.kpi_trial_activation_to_conversion_steps;
create policy kpi_trial_activation_to_conversion_steps_service on analytics_private.kpi_trial_activation_to_conversion_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_trial_activation_to_conversion_actors_service on analytics_private.kpi_trial_activation_to_conversion_actors;
create policy kpi_trial_activation_to_conversion_actors_service on analytics_private.kpi_trial_activation_to_conversion_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_trial_activation_to_conversion_service on analytics_private.kpi_trial_activation_to_conversion;
create policy kpi_trial_activation_to_conversion_service on analytics_private.kpi_trial_activation_to_conversion for all to service_role
  using (true) with check (true);

drop policy if exists kpi_trial_activation_to_conversion_net_service on analytics_private.kpi_trial_activation_to_conversion_net;
create policy kpi_trial_activation_to_conversion_net_service on analytics_private.kpi_trial_activation_to_conversion_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_trial_activation_to_conversion()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
  fs_nets uuid[];
  fs_periods date[];
  fs_next_nets uuid[];
  fs_next_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.trial_activation_to_conversion', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'trial_activation_to_conversion' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'trial_activation_to_conversion';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_trial_activation_to_conversion_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step1')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step2')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step3')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 4::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step4')
  order by 1, 2, 4, 5, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_steps;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every actor's rows written, then every cell counted.
    insert into analytics_private.kpi_trial_activation_to_conversion_actors as r (site_id, actor_hash, period, network_id, depth)
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_trial_activation_to_conversion_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '30 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_trial_activation_to_conversion_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 4, interval '30 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    order by 1, 3, 2, 4
    on conflict (site_id, period, actor_hash, network_id) do update
      set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      where r.depth is distinct from excluded.depth;
    analyze analytics_private.kpi_trial_activation_to_conversion_actors;
    insert into analytics_private.kpi_trial_activation_to_conversion as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
    from analytics_private.kpi_trial_activation_to_conversion_actors as a
    cross join generate_series(1, 4) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Exact deltas. chg: the rows whose depth the re-evaluation changed (or new rows), with the depth
    -- they had. Every other statement of this one reads the actors as they were before the upsert, so
    -- an actor's depth before and after is taken over all its rows of the cell: a site cell counts
    -- distinct actors (an actor has a row per network there), a network cell distinct actors and sites.
    with fresh as (
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_trial_activation_to_conversion_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '30 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_trial_activation_to_conversion_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 4, interval '30 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    ), chg as (
      select f.site_id, f.actor_hash, f.period, f.network_id, f.depth, o.depth as old_depth
      from fresh as f
      left join analytics_private.kpi_trial_activation_to_conversion_actors as o on o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.network_id is not distinct from f.network_id
      where o.depth is distinct from f.depth
    ), up as (
      insert into analytics_private.kpi_trial_activation_to_conversion_actors as r (site_id, actor_hash, period, network_id, depth)
      select c.site_id, c.actor_hash, c.period, c.network_id, c.depth from chg as c
      on conflict (site_id, period, actor_hash, network_id) do update
        set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      returning 1
    ), sa as (
      -- per touched (site cell, actor): its deepest row before and after
      select g.site_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.site_id, v.period, v.actor_hash, v.network_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.site_id, c.period, c.actor_hash, c.network_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  union all
                  select o.site_id, o.period, o.actor_hash, o.network_id, o.depth, null
                  from (select distinct c.site_id, c.period, c.actor_hash from chg as c) as k
                  join analytics_private.kpi_trial_activation_to_conversion_actors as o on o.site_id = k.site_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.site_id, v.period, v.actor_hash, v.network_id) as g
      group by g.site_id, g.period, g.actor_hash
    ), na as (
      -- per touched (network cell, actor): its deepest row over the network's sites, before and after
      select g.network_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.network_id, v.period, v.actor_hash, v.site_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.network_id, c.period, c.actor_hash, c.site_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  where c.network_id is not null
                  union all
                  select o.network_id, o.period, o.actor_hash, o.site_id, o.depth, null
                  from (select distinct c.network_id, c.period, c.actor_hash from chg as c
                        where c.network_id is not null) as k
                  join analytics_private.kpi_trial_activation_to_conversion_actors as o on o.network_id = k.network_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.network_id, v.period, v.actor_hash, v.site_id) as g
      group by g.network_id, g.period, g.actor_hash
    ), ns as (
      -- per touched (network cell, site, step) where the changed rows' presence flips: m changed rows
      -- reached the step before
      select c.network_id, c.period, c.site_id, g.step,
             coalesce(bool_or(c.old_depth >= g.step), false) as had, bool_or(c.depth >= g.step) as has,
             count(*) filter (where c.old_depth >= g.step) as m
      from chg as c
      cross join generate_series(1, 4) as g (step)
      where c.network_id is not null
      group by c.network_id, c.period, c.site_id, g.step
      having coalesce(bool_or(c.old_depth >= g.step), false) <> bool_or(c.depth >= g.step)
    ), nd as (
      -- a site's presence flips only if no untouched row keeps it: more than m of its rows of the cell
      -- reached the step before (one probe of its site cell, only where the changed rows flip)
      select d.network_id, d.period, d.step::smallint as step, sum(d.dv) as dv, sum(d.ds) as ds
      from (select a.network_id, a.period, g.step,
                   (a.new_depth >= g.step)::int - coalesce(a.old_depth >= g.step, false)::int as dv, 0 as ds
            from na as a
            cross join generate_series(1, 4) as g (step)
            union all
            select s.network_id, s.period, s.step, 0,
                   case when (select count(*) from (select 1 from analytics_private.kpi_trial_activation_to_conversion_actors as x
                                                    where x.site_id = s.site_id and x.period = s.period and x.network_id = s.network_id and x.depth >= s.step
                                                    limit s.m + 1) as q) > s.m then 0
                        else s.has::int - s.had::int end
            from ns as s) as d
      group by d.network_id, d.period, d.step
    ), net_written as (
      insert into analytics_private.kpi_trial_activation_to_conversion_net as r (network_id, period, step, value, sites, actors)
      select d.network_id, d.period, d.step, d.dv, d.ds, d.dv from nd as d
      on conflict (network_id, period, step) do update
        set value = r.value + excluded.value, sites = r.sites + excluded.sites, actors = r.actors + excluded.actors
        where excluded.value <> 0 or excluded.sites <> 0
      returning 1
    )
    insert into analytics_private.kpi_trial_activation_to_conversion as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint,
           count(*) filter (where a.new_depth >= g.step) - count(*) filter (where a.old_depth >= g.step)
    from sa as a
    cross join generate_series(1, 4) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = r.value + excluded.value, ingest_xid = pg_current_xact_id()
      where excluded.value <> 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_steps;
    analyze analytics_private.kpi_trial_activation_to_conversion_actors;
    analyze analytics_private.kpi_trial_activation_to_conversion;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'trial_activation_to_conversion';
  if lo = '0'::xid8 then
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_trial_activation_to_conversion_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_trial_activation_to_conversion_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_trial_activation_to_conversion_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_net;
  end if;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_trial_activation_to_conversion_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  -- A cell's rules read only its own rows, so a pass after the first re-reads only the (network,
  -- period)s in which the previous pass hid a step (fs_nets, fs_periods; null: every touched cell).
  fs_nets := null;
  fs_periods := null;
  loop
    fs_total := 0;
    fs_next_nets := '{}';
    fs_next_periods := '{}';
    for fs_step in 2 .. 4 loop
      with hid as (
      update analytics_private.kpi_trial_activation_to_conversion_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_trial_activation_to_conversion_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_trial_activation_to_conversion_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden and (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                  group by 1, 2) as x
            left join analytics_private.kpi_trial_activation_to_conversion_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_trial_activation_to_conversion_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end
      returning c.network_id, c.period
      )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    end loop;
    with hid as (
    update analytics_private.kpi_trial_activation_to_conversion_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_trial_activation_to_conversion_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                where (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                group by 1, 2) as x
          join analytics_private.kpi_trial_activation_to_conversion_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 4
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5)
    returning c.network_id, c.period
    )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
    fs_nets := fs_next_nets;
    fs_periods := fs_next_periods;
  end loop;
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_trial_activation_to_conversion_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['started_trial', 'created_protocol', 'logged_protocol', 'converted']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_trial_activation_to_conversion as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.kpi_trial_activation_to_conversion_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['started_trial', 'created_protocol', 'logged_protocol', 'converted']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_trial_activation_to_conversion as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.network_trial_activation_to_conversion_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
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
  select q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['started_trial', 'created_protocol', 'logged_protocol', 'converted']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_trial_activation_to_conversion_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, step, step_name, actors, conversion, step_conversion, suppressed);
end
$fn$;

-- KPI upgrade_funnel_consumer_to_clinic
create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (
  site_id uuid not null,
  actor_hash bigint not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_steps_key unique (site_id, actor_hash, occurred_at, event_key, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps is 'KPI upgrade_funnel_consumer_to_clinic: every event that matches a step, per actor.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps to service_role;

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_steps_xid_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (ingest_xid);

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_actors_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors is 'KPI upgrade_funnel_consumer_to_clinic: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors to service_role;

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_actors_xid_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (ingest_xid);

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_actors_net_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (network_id, period, actor_hash);

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic (
  site_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic is 'Free-plan actors who go on to start a pro trial, log a protocol session and move their site onto the clinic plan within 30 days.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic to service_role;

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net (
  network_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_upgrade_funnel_consumer_to_clinic_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net is 'KPI upgrade_funnel_consumer_to_clinic: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net to service_role;

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_steps_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
create policy kpi_upgrade_funnel_consumer_to_clinic_steps_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_actors_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
create policy kpi_upgrade_funnel_consumer_to_clinic_actors_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic;
create policy kpi_upgrade_funnel_consumer_to_clinic_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_net_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net;
create policy kpi_upgrade_funnel_consumer_to_clinic_net_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
  fs_nets uuid[];
  fs_periods date[];
  fs_next_nets uuid[];
  fs_next_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.upgrade_funnel_consumer_to_clinic', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_funnel_consumer_to_clinic' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'upgrade_funnel_consumer_to_clinic';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step1')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step2')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step3')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 4::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step4')
  order by 1, 2, 4, 5, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every actor's rows written, then every cell counted.
    insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as r (site_id, actor_hash, period, network_id, depth)
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '30 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 4, interval '30 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    order by 1, 3, 2, 4
    on conflict (site_id, period, actor_hash, network_id) do update
      set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      where r.depth is distinct from excluded.depth;
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
    insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
    from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as a
    cross join generate_series(1, 4) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Exact deltas. chg: the rows whose depth the re-evaluation changed (or new rows), with the depth
    -- they had. Every other statement of this one reads the actors as they were before the upsert, so
    -- an actor's depth before and after is taken over all its rows of the cell: a site cell counts
    -- distinct actors (an actor has a row per network there), a network cell distinct actors and sites.
    with fresh as (
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '30 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 4, interval '30 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    ), chg as (
      select f.site_id, f.actor_hash, f.period, f.network_id, f.depth, o.depth as old_depth
      from fresh as f
      left join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as o on o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.network_id is not distinct from f.network_id
      where o.depth is distinct from f.depth
    ), up as (
      insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as r (site_id, actor_hash, period, network_id, depth)
      select c.site_id, c.actor_hash, c.period, c.network_id, c.depth from chg as c
      on conflict (site_id, period, actor_hash, network_id) do update
        set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      returning 1
    ), sa as (
      -- per touched (site cell, actor): its deepest row before and after
      select g.site_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.site_id, v.period, v.actor_hash, v.network_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.site_id, c.period, c.actor_hash, c.network_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  union all
                  select o.site_id, o.period, o.actor_hash, o.network_id, o.depth, null
                  from (select distinct c.site_id, c.period, c.actor_hash from chg as c) as k
                  join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as o on o.site_id = k.site_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.site_id, v.period, v.actor_hash, v.network_id) as g
      group by g.site_id, g.period, g.actor_hash
    ), na as (
      -- per touched (network cell, actor): its deepest row over the network's sites, before and after
      select g.network_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.network_id, v.period, v.actor_hash, v.site_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.network_id, c.period, c.actor_hash, c.site_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  where c.network_id is not null
                  union all
                  select o.network_id, o.period, o.actor_hash, o.site_id, o.depth, null
                  from (select distinct c.network_id, c.period, c.actor_hash from chg as c
                        where c.network_id is not null) as k
                  join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as o on o.network_id = k.network_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.network_id, v.period, v.actor_hash, v.site_id) as g
      group by g.network_id, g.period, g.actor_hash
    ), ns as (
      -- per touched (network cell, site, step) where the changed rows' presence flips: m changed rows
      -- reached the step before
      select c.network_id, c.period, c.site_id, g.step,
             coalesce(bool_or(c.old_depth >= g.step), false) as had, bool_or(c.depth >= g.step) as has,
             count(*) filter (where c.old_depth >= g.step) as m
      from chg as c
      cross join generate_series(1, 4) as g (step)
      where c.network_id is not null
      group by c.network_id, c.period, c.site_id, g.step
      having coalesce(bool_or(c.old_depth >= g.step), false) <> bool_or(c.depth >= g.step)
    ), nd as (
      -- a site's presence flips only if no untouched row keeps it: more than m of its rows of the cell
      -- reached the step before (one probe of its site cell, only where the changed rows flip)
      select d.network_id, d.period, d.step::smallint as step, sum(d.dv) as dv, sum(d.ds) as ds
      from (select a.network_id, a.period, g.step,
                   (a.new_depth >= g.step)::int - coalesce(a.old_depth >= g.step, false)::int as dv, 0 as ds
            from na as a
            cross join generate_series(1, 4) as g (step)
            union all
            select s.network_id, s.period, s.step, 0,
                   case when (select count(*) from (select 1 from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
                                                    where x.site_id = s.site_id and x.period = s.period and x.network_id = s.network_id and x.depth >= s.step
                                                    limit s.m + 1) as q) > s.m then 0
                        else s.has::int - s.had::int end
            from ns as s) as d
      group by d.network_id, d.period, d.step
    ), net_written as (
      insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as r (network_id, period, step, value, sites, actors)
      select d.network_id, d.period, d.step, d.dv, d.ds, d.dv from nd as d
      on conflict (network_id, period, step) do update
        set value = r.value + excluded.value, sites = r.sites + excluded.sites, actors = r.actors + excluded.actors
        where excluded.value <> 0 or excluded.sites <> 0
      returning 1
    )
    insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint,
           count(*) filter (where a.new_depth >= g.step) - count(*) filter (where a.old_depth >= g.step)
    from sa as a
    cross join generate_series(1, 4) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = r.value + excluded.value, ingest_xid = pg_current_xact_id()
      where excluded.value <> 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'upgrade_funnel_consumer_to_clinic';
  if lo = '0'::xid8 then
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net;
  end if;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  -- A cell's rules read only its own rows, so a pass after the first re-reads only the (network,
  -- period)s in which the previous pass hid a step (fs_nets, fs_periods; null: every touched cell).
  fs_nets := null;
  fs_periods := null;
  loop
    fs_total := 0;
    fs_next_nets := '{}';
    fs_next_periods := '{}';
    for fs_step in 2 .. 4 loop
      with hid as (
      update analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden and (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                  group by 1, 2) as x
            left join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end
      returning c.network_id, c.period
      )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    end loop;
    with hid as (
    update analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                where (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                group by 1, 2) as x
          join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 4
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5)
    returning c.network_id, c.period
    )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
    fs_nets := fs_next_nets;
    fs_periods := fs_next_periods;
  end loop;
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.network_upgrade_funnel_consumer_to_clinic_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
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
  select q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, step, step_name, actors, conversion, step_conversion, suppressed);
end
$fn$;

-- KPI upgrade_prompt_to_trial
create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_steps (
  site_id uuid not null,
  actor_hash bigint not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_steps_key unique (site_id, actor_hash, occurred_at, event_key, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_steps is 'KPI upgrade_prompt_to_trial: every event that matches a step, per actor.';
alter table analytics_private.kpi_upgrade_prompt_to_trial_steps enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_steps from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_steps to service_role;

create index if not exists kpi_upgrade_prompt_to_trial_steps_xid_idx on analytics_private.kpi_upgrade_prompt_to_trial_steps (ingest_xid);

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_actors (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_actors_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_actors is 'KPI upgrade_prompt_to_trial: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_upgrade_prompt_to_trial_actors enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_actors from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_actors to service_role;

create index if not exists kpi_upgrade_prompt_to_trial_actors_xid_idx on analytics_private.kpi_upgrade_prompt_to_trial_actors (ingest_xid);

create index if not exists kpi_upgrade_prompt_to_trial_actors_net_idx on analytics_private.kpi_upgrade_prompt_to_trial_actors (network_id, period, actor_hash);

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial (
  site_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial is 'Free-plan actors shown a pro upgrade prompt who start a pro trial within 7 days.';
alter table analytics_private.kpi_upgrade_prompt_to_trial enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial to service_role;

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_net (
  network_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_upgrade_prompt_to_trial_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_net is 'KPI upgrade_prompt_to_trial: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_upgrade_prompt_to_trial_net enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_net from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_net to service_role;

drop policy if exists kpi_upgrade_prompt_to_trial_steps_service on analytics_private.kpi_upgrade_prompt_to_trial_steps;
create policy kpi_upgrade_prompt_to_trial_steps_service on analytics_private.kpi_upgrade_prompt_to_trial_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_prompt_to_trial_actors_service on analytics_private.kpi_upgrade_prompt_to_trial_actors;
create policy kpi_upgrade_prompt_to_trial_actors_service on analytics_private.kpi_upgrade_prompt_to_trial_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_prompt_to_trial_service on analytics_private.kpi_upgrade_prompt_to_trial;
create policy kpi_upgrade_prompt_to_trial_service on analytics_private.kpi_upgrade_prompt_to_trial for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_prompt_to_trial_net_service on analytics_private.kpi_upgrade_prompt_to_trial_net;
create policy kpi_upgrade_prompt_to_trial_net_service on analytics_private.kpi_upgrade_prompt_to_trial_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_upgrade_prompt_to_trial()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
  fs_nets uuid[];
  fs_periods date[];
  fs_next_nets uuid[];
  fs_next_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.upgrade_prompt_to_trial', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_prompt_to_trial' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'upgrade_prompt_to_trial';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_upgrade_prompt_to_trial_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_prompt_to_trial.step1')
      and (e.payload ->> 'offered_tier') = any (array['practitioner']::text[])
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_prompt_to_trial.step2')
  order by 1, 2, 4, 5, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_steps;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every actor's rows written, then every cell counted.
    insert into analytics_private.kpi_upgrade_prompt_to_trial_actors as r (site_id, actor_hash, period, network_id, depth)
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_upgrade_prompt_to_trial_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '7 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_upgrade_prompt_to_trial_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 2, interval '7 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    order by 1, 3, 2, 4
    on conflict (site_id, period, actor_hash, network_id) do update
      set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      where r.depth is distinct from excluded.depth;
    analyze analytics_private.kpi_upgrade_prompt_to_trial_actors;
    insert into analytics_private.kpi_upgrade_prompt_to_trial as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
    from analytics_private.kpi_upgrade_prompt_to_trial_actors as a
    cross join generate_series(1, 2) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Exact deltas. chg: the rows whose depth the re-evaluation changed (or new rows), with the depth
    -- they had. Every other statement of this one reads the actors as they were before the upsert, so
    -- an actor's depth before and after is taken over all its rows of the cell: a site cell counts
    -- distinct actors (an actor has a row per network there), a network cell distinct actors and sites.
    with fresh as (
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_upgrade_prompt_to_trial_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '7 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_upgrade_prompt_to_trial_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 2, interval '7 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    ), chg as (
      select f.site_id, f.actor_hash, f.period, f.network_id, f.depth, o.depth as old_depth
      from fresh as f
      left join analytics_private.kpi_upgrade_prompt_to_trial_actors as o on o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.network_id is not distinct from f.network_id
      where o.depth is distinct from f.depth
    ), up as (
      insert into analytics_private.kpi_upgrade_prompt_to_trial_actors as r (site_id, actor_hash, period, network_id, depth)
      select c.site_id, c.actor_hash, c.period, c.network_id, c.depth from chg as c
      on conflict (site_id, period, actor_hash, network_id) do update
        set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      returning 1
    ), sa as (
      -- per touched (site cell, actor): its deepest row before and after
      select g.site_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.site_id, v.period, v.actor_hash, v.network_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.site_id, c.period, c.actor_hash, c.network_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  union all
                  select o.site_id, o.period, o.actor_hash, o.network_id, o.depth, null
                  from (select distinct c.site_id, c.period, c.actor_hash from chg as c) as k
                  join analytics_private.kpi_upgrade_prompt_to_trial_actors as o on o.site_id = k.site_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.site_id, v.period, v.actor_hash, v.network_id) as g
      group by g.site_id, g.period, g.actor_hash
    ), na as (
      -- per touched (network cell, actor): its deepest row over the network's sites, before and after
      select g.network_id, g.period, g.actor_hash, max(g.old_depth) as old_depth, max(g.new_depth) as new_depth
      from (select v.network_id, v.period, v.actor_hash, v.site_id, max(v.old_depth) as old_depth,
                   coalesce(max(v.new_depth), max(v.old_depth)) as new_depth
            from (select c.network_id, c.period, c.actor_hash, c.site_id, null::smallint as old_depth, c.depth as new_depth
                  from chg as c
                  where c.network_id is not null
                  union all
                  select o.network_id, o.period, o.actor_hash, o.site_id, o.depth, null
                  from (select distinct c.network_id, c.period, c.actor_hash from chg as c
                        where c.network_id is not null) as k
                  join analytics_private.kpi_upgrade_prompt_to_trial_actors as o on o.network_id = k.network_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
            group by v.network_id, v.period, v.actor_hash, v.site_id) as g
      group by g.network_id, g.period, g.actor_hash
    ), ns as (
      -- per touched (network cell, site, step) where the changed rows' presence flips: m changed rows
      -- reached the step before
      select c.network_id, c.period, c.site_id, g.step,
             coalesce(bool_or(c.old_depth >= g.step), false) as had, bool_or(c.depth >= g.step) as has,
             count(*) filter (where c.old_depth >= g.step) as m
      from chg as c
      cross join generate_series(1, 2) as g (step)
      where c.network_id is not null
      group by c.network_id, c.period, c.site_id, g.step
      having coalesce(bool_or(c.old_depth >= g.step), false) <> bool_or(c.depth >= g.step)
    ), nd as (
      -- a site's presence flips only if no untouched row keeps it: more than m of its rows of the cell
      -- reached the step before (one probe of its site cell, only where the changed rows flip)
      select d.network_id, d.period, d.step::smallint as step, sum(d.dv) as dv, sum(d.ds) as ds
      from (select a.network_id, a.period, g.step,
                   (a.new_depth >= g.step)::int - coalesce(a.old_depth >= g.step, false)::int as dv, 0 as ds
            from na as a
            cross join generate_series(1, 2) as g (step)
            union all
            select s.network_id, s.period, s.step, 0,
                   case when (select count(*) from (select 1 from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
                                                    where x.site_id = s.site_id and x.period = s.period and x.network_id = s.network_id and x.depth >= s.step
                                                    limit s.m + 1) as q) > s.m then 0
                        else s.has::int - s.had::int end
            from ns as s) as d
      group by d.network_id, d.period, d.step
    ), net_written as (
      insert into analytics_private.kpi_upgrade_prompt_to_trial_net as r (network_id, period, step, value, sites, actors)
      select d.network_id, d.period, d.step, d.dv, d.ds, d.dv from nd as d
      on conflict (network_id, period, step) do update
        set value = r.value + excluded.value, sites = r.sites + excluded.sites, actors = r.actors + excluded.actors
        where excluded.value <> 0 or excluded.sites <> 0
      returning 1
    )
    insert into analytics_private.kpi_upgrade_prompt_to_trial as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint,
           count(*) filter (where a.new_depth >= g.step) - count(*) filter (where a.old_depth >= g.step)
    from sa as a
    cross join generate_series(1, 2) as g (step)
    group by 1, 2, 3
    on conflict (site_id, period, step) do update
      set value = r.value + excluded.value, ingest_xid = pg_current_xact_id()
      where excluded.value <> 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_steps;
    analyze analytics_private.kpi_upgrade_prompt_to_trial_actors;
    analyze analytics_private.kpi_upgrade_prompt_to_trial;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'upgrade_prompt_to_trial';
  if lo = '0'::xid8 then
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_upgrade_prompt_to_trial_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_upgrade_prompt_to_trial_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_upgrade_prompt_to_trial_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 2) as g (step)
  group by 1, 2, 3;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_net;
  end if;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_upgrade_prompt_to_trial_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  -- A cell's rules read only its own rows, so a pass after the first re-reads only the (network,
  -- period)s in which the previous pass hid a step (fs_nets, fs_periods; null: every touched cell).
  fs_nets := null;
  fs_periods := null;
  loop
    fs_total := 0;
    fs_next_nets := '{}';
    fs_next_periods := '{}';
    for fs_step in 2 .. 2 loop
      with hid as (
      update analytics_private.kpi_upgrade_prompt_to_trial_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_upgrade_prompt_to_trial_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_upgrade_prompt_to_trial_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden and (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                  group by 1, 2) as x
            left join analytics_private.kpi_upgrade_prompt_to_trial_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_upgrade_prompt_to_trial_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end
      returning c.network_id, c.period
      )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    end loop;
    with hid as (
    update analytics_private.kpi_upgrade_prompt_to_trial_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_upgrade_prompt_to_trial_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                where (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                group by 1, 2) as x
          join analytics_private.kpi_upgrade_prompt_to_trial_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 2
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5)
    returning c.network_id, c.period
    )
select fs_next_nets || coalesce(array_agg(h.network_id), '{}'), fs_next_periods || coalesce(array_agg(h.period), '{}'),
           count(*)
      into fs_next_nets, fs_next_periods, fs_moved
    from hid as h;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
    fs_nets := fs_next_nets;
    fs_periods := fs_next_periods;
  end loop;
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_upgrade_prompt_to_trial_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['saw_pro_prompt', 'started_trial']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_prompt_to_trial as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.kpi_upgrade_prompt_to_trial_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['saw_pro_prompt', 'started_trial']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_prompt_to_trial as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;

create or replace function analytics_private.network_upgrade_prompt_to_trial_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
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
  select q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['saw_pro_prompt', 'started_trial']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_upgrade_prompt_to_trial_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, step, step_name, actors, conversion, step_conversion, suppressed);
end
$fn$;

-- KPI weekly_active_actors
create table if not exists analytics_private.kpi_weekly_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_active_actors_facts_key unique nulls not distinct (site_id, period, tier, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_weekly_active_actors_facts is 'KPI weekly_active_actors: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_weekly_active_actors_facts enable row level security;
revoke all on analytics_private.kpi_weekly_active_actors_facts from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_actors_facts to service_role;

create index if not exists kpi_weekly_active_actors_facts_xid_idx on analytics_private.kpi_weekly_active_actors_facts (ingest_xid);

create index if not exists kpi_weekly_active_actors_facts_net_idx on analytics_private.kpi_weekly_active_actors_facts (network_id, period, tier);

create table if not exists analytics_private.kpi_weekly_active_actors (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_active_actors_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_weekly_active_actors is 'Distinct actors with at least one product event in the calendar week, by tier (WAU).';
alter table analytics_private.kpi_weekly_active_actors enable row level security;
revoke all on analytics_private.kpi_weekly_active_actors from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_actors to service_role;

create index if not exists kpi_weekly_active_actors_xid_idx on analytics_private.kpi_weekly_active_actors (ingest_xid);

create table if not exists analytics_private.kpi_weekly_active_actors_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_weekly_active_actors_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_weekly_active_actors_net is 'KPI weekly_active_actors: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_weekly_active_actors_net enable row level security;
revoke all on analytics_private.kpi_weekly_active_actors_net from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_actors_net to service_role;

drop policy if exists kpi_weekly_active_actors_facts_service on analytics_private.kpi_weekly_active_actors_facts;
create policy kpi_weekly_active_actors_facts_service on analytics_private.kpi_weekly_active_actors_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_active_actors_service on analytics_private.kpi_weekly_active_actors;
create policy kpi_weekly_active_actors_service on analytics_private.kpi_weekly_active_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_active_actors_net_service on analytics_private.kpi_weekly_active_actors_net;
create policy kpi_weekly_active_actors_net_service on analytics_private.kpi_weekly_active_actors_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_weekly_active_actors()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.weekly_active_actors', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.weekly_active_actors', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'weekly_active_actors';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_weekly_active_actors_facts (site_id, period, tier, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, e.actor_tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_active_actors')
    order by 1, 2, 3, 4, 5
    on conflict do nothing
    returning site_id, period, tier, actor_hash
  )
  insert into analytics_private.kpi_weekly_active_actors as r (site_id, period, tier, value)
  select fresh.site_id, fresh.period, fresh.tier, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_weekly_active_actors_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier = fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_active_actors_facts;
    analyze analytics_private.kpi_weekly_active_actors;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_weekly_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_weekly_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier = t.tier
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_active_actors_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_weekly_active_actors_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_weekly_active_actors_for_caller()
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
  from analytics_private.kpi_weekly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.kpi_weekly_active_actors_between("from" date, "to" date)
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
  from analytics_private.kpi_weekly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, tier, value);
end
$fn$;

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
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
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

create or replace function analytics_private.network_weekly_active_actors_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
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
  select q.period::date, q.tier::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period and m.period + 6 and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_weekly_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, tier, value, suppressed);
end
$fn$;

-- KPI weekly_signup_retention
create table if not exists analytics_private.kpi_weekly_signup_retention_cohorts (
  site_id uuid not null,
  actor_hash bigint not null,
  cohort date not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_signup_retention_cohorts_key primary key (site_id, actor_hash)
);
comment on table analytics_private.kpi_weekly_signup_retention_cohorts is 'KPI weekly_signup_retention: each actor''s cohort, the week of its first cohort event at the site.';
alter table analytics_private.kpi_weekly_signup_retention_cohorts enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention_cohorts from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention_cohorts to service_role;

create index if not exists kpi_weekly_signup_retention_cohorts_xid_idx on analytics_private.kpi_weekly_signup_retention_cohorts (ingest_xid);

create index if not exists kpi_weekly_signup_retention_cohorts_net_idx on analytics_private.kpi_weekly_signup_retention_cohorts (network_id, cohort);

create index if not exists kpi_weekly_signup_retention_cohorts_actor_idx on analytics_private.kpi_weekly_signup_retention_cohorts (actor_hash);

create index if not exists kpi_weekly_signup_retention_cohorts_site_idx on analytics_private.kpi_weekly_signup_retention_cohorts (site_id, cohort, network_id);

create table if not exists analytics_private.kpi_weekly_signup_retention_active (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_signup_retention_active_key primary key (site_id, actor_hash, period)
);
comment on table analytics_private.kpi_weekly_signup_retention_active is 'KPI weekly_signup_retention: the weeks in which each actor had a returning event.';
alter table analytics_private.kpi_weekly_signup_retention_active enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention_active from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention_active to service_role;

create index if not exists kpi_weekly_signup_retention_active_xid_idx on analytics_private.kpi_weekly_signup_retention_active (ingest_xid);

create table if not exists analytics_private.kpi_weekly_signup_retention (
  site_id uuid not null,
  period date not null,
  period_number smallint not null,
  cohort_actors bigint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_signup_retention_key unique nulls not distinct (site_id, period, period_number)
);
comment on table analytics_private.kpi_weekly_signup_retention is 'Of the actors who signed up in a week, the share with a consumer or practitioner event in each of the following 8 weeks.';
alter table analytics_private.kpi_weekly_signup_retention enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention to service_role;

create table if not exists analytics_private.kpi_weekly_signup_retention_net (
  network_id uuid not null,
  period date not null,
  period_number smallint not null,
  cohort_actors bigint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  gone_actors bigint not null,
  gone_sites bigint not null,
  cohort_sites bigint not null,
  but_one bigint not null,
  hidden boolean not null default true,
  constraint kpi_weekly_signup_retention_net_key unique nulls not distinct (network_id, period, period_number)
);
comment on table analytics_private.kpi_weekly_signup_retention_net is 'KPI weekly_signup_retention: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_weekly_signup_retention_net enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention_net from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention_net to service_role;

drop policy if exists kpi_weekly_signup_retention_cohorts_service on analytics_private.kpi_weekly_signup_retention_cohorts;
create policy kpi_weekly_signup_retention_cohorts_service on analytics_private.kpi_weekly_signup_retention_cohorts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_signup_retention_active_service on analytics_private.kpi_weekly_signup_retention_active;
create policy kpi_weekly_signup_retention_active_service on analytics_private.kpi_weekly_signup_retention_active for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_signup_retention_service on analytics_private.kpi_weekly_signup_retention;
create policy kpi_weekly_signup_retention_service on analytics_private.kpi_weekly_signup_retention for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_signup_retention_net_service on analytics_private.kpi_weekly_signup_retention_net;
create policy kpi_weekly_signup_retention_net_service on analytics_private.kpi_weekly_signup_retention_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_weekly_signup_retention()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  moved_sites uuid[];
  moved_actors bigint[];
  moved_cohorts date[];
  moved_networks uuid[];
  rt_nets uuid[];
  rt_periods date[];
  rm_nets uuid[];
  rm_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.weekly_signup_retention', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_signup_retention' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'weekly_signup_retention';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  -- A late, earlier cohort event moves an actor to an earlier cohort: remember the cohort it leaves.
  select coalesce(array_agg(c.site_id), '{}'), coalesce(array_agg(c.actor_hash), '{}'),
         coalesce(array_agg(c.cohort), '{}'), coalesce(array_agg(c.network_id), '{}')
    into moved_sites, moved_actors, moved_cohorts, moved_networks
  from analytics_private.kpi_weekly_signup_retention_cohorts as c
  join (select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_weekly_signup_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.cohort')
  group by 1, 2
  order by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_weekly_signup_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, date_trunc('week', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.returning')
  order by 1, 2, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_signup_retention_cohorts;
    analyze analytics_private.kpi_weekly_signup_retention_active;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every cohort counted.
    insert into analytics_private.kpi_weekly_signup_retention as r (site_id, period, period_number, cohort_actors, value)
    select c.site_id, c.cohort, g.j::smallint, count(c.actor_hash), count(a.actor_hash)
    from analytics_private.kpi_weekly_signup_retention_cohorts as c
    cross join generate_series(0, 8) as g (j)
    left join analytics_private.kpi_weekly_signup_retention_active as a
      on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
    group by 1, 2, 3
    on conflict (site_id, period, period_number) do update
      set cohort_actors = excluded.cohort_actors, value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Each touched (site, actor): its contribution now added, before taken away (a new member had
    -- none; a moved one had its old cohort; returning periods stored before this transaction).
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_weekly_signup_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_weekly_signup_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), states as (
      select x.site_id, x.actor_hash, x.cohort, 1 as side
      from p join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from p join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts) as m (site_id, actor_hash, cohort)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), diff as (
      select c.site_id, c.cohort, g.j::smallint as j,
             sum(case when c.side = 1 then 1 else -1 end) as dc,
             count(a.xid) filter (where c.side = 1)
               - count(a.xid) filter (where c.side = 0 and a.xid <> pg_current_xact_id()) as dv
      from states as c
      cross join generate_series(0, 8) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_weekly_signup_retention_active as y
                where y.site_id = c.site_id and y.actor_hash = c.actor_hash and y.period = (c.cohort + 7 * g.j)) as xid) as a
      where c.cohort is not null
      group by 1, 2, 3
    )
    insert into analytics_private.kpi_weekly_signup_retention as r (site_id, period, period_number, cohort_actors, value)
    select d.site_id, d.cohort, d.j, d.dc, d.dv from diff as d where d.dc <> 0 or d.dv <> 0
    on conflict (site_id, period, period_number) do update
      set cohort_actors = r.cohort_actors + excluded.cohort_actors, value = r.value + excluded.value,
          ingest_xid = pg_current_xact_id();
    -- A cohort left by its last member has no cells.
    delete from analytics_private.kpi_weekly_signup_retention as r
    using (select distinct m.site_id, m.cohort from unnest(moved_sites, moved_cohorts) as m (site_id, cohort)) as m
    where r.site_id = m.site_id and r.period = m.cohort and r.cohort_actors = 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_signup_retention_cohorts;
    analyze analytics_private.kpi_weekly_signup_retention_active;
    analyze analytics_private.kpi_weekly_signup_retention;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_signup_retention';
  if lo = '0'::xid8 then
    select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into rt_nets, rt_periods
    from (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as x;
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_signup_retention_net as nc
  using (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_weekly_signup_retention_net (network_id, period, period_number, cohort_actors, value, sites, actors, gone_actors, gone_sites, cohort_sites, but_one)
select n.network_id, n.period, n.period_number, n.cohort_actors, n.value, n.sites, n.actors,
         n.gone_actors, n.gone_sites, coh.sites, coh.but_one
  from (select c.network_id, c.cohort as period, g.j::smallint as period_number,
               count(distinct c.actor_hash) as cohort_actors, count(distinct a.actor_hash) as value,
               count(distinct a.site_id) as sites, count(distinct a.actor_hash) as actors,
               count(distinct c.actor_hash) filter (where a.actor_hash is null) as gone_actors,
               count(distinct c.site_id) filter (where a.actor_hash is null) as gone_sites
        from analytics_private.kpi_weekly_signup_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        cross join generate_series(0, 8) as g (j)
        left join analytics_private.kpi_weekly_signup_retention_active as a
          on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
        group by 1, 2, 3) as n
  join (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_weekly_signup_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    on coh.network_id = n.network_id and coh.period = n.period;
  else
    -- The network cells' difference, from every site of each touched actor, before and after.
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_weekly_signup_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_weekly_signup_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), who as (
      select distinct p.actor_hash from p
    ), states as (
      select x.site_id, x.actor_hash, x.network_id, x.cohort, 1 as side
      from who as w join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.actor_hash = w.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.network_id else x.network_id end,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from who as w join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.actor_hash = w.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts, moved_networks) as m (site_id, actor_hash, cohort, network_id)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), cells as (
      select c.site_id, c.actor_hash, c.network_id, c.cohort, g.j::smallint as j, c.side,
             (a.xid is not null and (c.side = 1 or a.xid <> pg_current_xact_id())) as kept
      from states as c
      cross join generate_series(0, 8) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_weekly_signup_retention_active as y
                where y.site_id = c.site_id and y.actor_hash = c.actor_hash and y.period = (c.cohort + 7 * g.j)) as xid) as a
      where c.cohort is not null and c.network_id is not null
    ), acts as (
      select c.network_id, c.cohort, c.j,
             bool_or(c.side = 1)::int - bool_or(c.side = 0)::int as dc,
             coalesce(bool_or(c.side = 1 and c.kept), false)::int - coalesce(bool_or(c.side = 0 and c.kept), false)::int as dv,
             coalesce(bool_or(c.side = 1 and not c.kept), false)::int
               - coalesce(bool_or(c.side = 0 and not c.kept), false)::int as dga
      from cells as c
      group by c.network_id, c.cohort, c.j, c.actor_hash
    ), sits as (
      select c.network_id, c.cohort, c.j, c.site_id,
             coalesce(bool_or(c.side = 1 and c.kept), false) as a_kept,
             coalesce(bool_or(c.side = 0 and c.kept), false) as b_kept,
             coalesce(bool_or(c.side = 1 and not c.kept), false) as a_gone,
             coalesce(bool_or(c.side = 0 and not c.kept), false) as b_gone
      from cells as c
      group by c.network_id, c.cohort, c.j, c.site_id
    ), d as (
      select a.network_id, a.cohort, a.j, a.dc, a.dv, 0 as ds, a.dga, 0 as dgs from acts as a
      union all
      select s.network_id, s.cohort, s.j, 0, 0,
             case when s.a_kept = s.b_kept or exists (select 1 from analytics_private.kpi_weekly_signup_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_weekly_signup_retention_active as y
                         where y.site_id = x.site_id and y.actor_hash = x.actor_hash
                           and y.period = (s.cohort + 7 * s.j)) > 0) then 0
                  else s.a_kept::int - s.b_kept::int end,
             0,
             case when s.a_gone = s.b_gone or exists (select 1 from analytics_private.kpi_weekly_signup_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_weekly_signup_retention_active as y
                         where y.site_id = x.site_id and y.actor_hash = x.actor_hash
                           and y.period = (s.cohort + 7 * s.j)) = 0) then 0
                  else s.a_gone::int - s.b_gone::int end
      from sits as s
      where s.a_kept <> s.b_kept or s.a_gone <> s.b_gone
    ), agg as (
      select d.network_id, d.cohort, d.j, sum(d.dc) as dc, sum(d.dv) as dv, sum(d.ds) as ds,
             sum(d.dga) as dga, sum(d.dgs) as dgs
      from d
      group by d.network_id, d.cohort, d.j
      having sum(d.dc) <> 0 or sum(d.dv) <> 0 or sum(d.ds) <> 0 or sum(d.dga) <> 0 or sum(d.dgs) <> 0
    ), written as (
      insert into analytics_private.kpi_weekly_signup_retention_net as r (network_id, period, period_number, cohort_actors, value, sites, actors,
                                               gone_actors, gone_sites, cohort_sites, but_one)
      select a.network_id, a.cohort, a.j, a.dc, a.dv, a.ds, a.dv, a.dga, a.dgs, 0, 0
      from agg as a
      on conflict (network_id, period, period_number) do update
        set cohort_actors = r.cohort_actors + excluded.cohort_actors, value = r.value + excluded.value,
            sites = r.sites + excluded.sites, actors = r.actors + excluded.actors,
            gone_actors = r.gone_actors + excluded.gone_actors, gone_sites = r.gone_sites + excluded.gone_sites
    )
    -- the touched cohorts (the suppression's), and those whose members changed
    select coalesce(array_agg(t.network_id), '{}'), coalesce(array_agg(t.period), '{}'),
           coalesce(array_agg(t.network_id) filter (where t.members), '{}'),
           coalesce(array_agg(t.period) filter (where t.members), '{}')
      into rt_nets, rt_periods, rm_nets, rm_periods
    from (select a.network_id, a.cohort as period, bool_or(a.dc <> 0) as members
          from agg as a group by 1, 2) as t;
    -- A cohort's sites and actors-but-one change only with its members: recounted for those cohorts.
    delete from analytics_private.kpi_weekly_signup_retention_net as nc
    using unnest(rm_nets, rm_periods) as t (network_id, period)
    where nc.network_id = t.network_id and nc.period = t.period and nc.cohort_actors = 0;
    update analytics_private.kpi_weekly_signup_retention_net as nc set cohort_sites = coh.sites, but_one = coh.but_one
    from (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_weekly_signup_retention_cohorts as c
        join (select x.network_id, x.period from unnest(rm_nets, rm_periods) as x (network_id, period)) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    where nc.network_id = coh.network_id and nc.period = coh.period;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_signup_retention_net;
  end if;
  -- Which periods of each touched network cohort the view hides: those with fewer than 5 sites or
  -- actors retained, or with some but fewer than 5 actors or sites not retained (cohort size minus
  -- retained is published by difference; none is no one's value). A cohort
  -- hiding any period keeps the others only when its members are 5 actors and 5 sites after
  -- removing any one site (a hidden period lies between 0 and the published cohort size); otherwise
  -- the whole cohort is hidden. The counts are stored on the cells (net_refresh).
  update analytics_private.kpi_weekly_signup_retention_net as nc
  set hidden = (nc.sites < 5 or nc.actors < 5
                or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)))
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period
    and nc.hidden is distinct from (nc.sites < 5 or nc.actors < 5
                                    or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)));
  update analytics_private.kpi_weekly_signup_retention_net as nc set hidden = true
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period and not nc.hidden
    and (nc.but_one < 5 or nc.cohort_sites <= 5)
    and exists (select 1 from analytics_private.kpi_weekly_signup_retention_net as h
                where h.network_id = nc.network_id and h.period = nc.period and h.hidden);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_weekly_signup_retention_for_caller()
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_weekly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;

create or replace function analytics_private.kpi_weekly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_weekly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;

create or replace function analytics_private.network_weekly_signup_retention_cells()
returns table (period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, suppressed boolean)
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
  select q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.period_number, case when r.suppressed then null else r.cohort_actors end as cohort_actors, case when r.suppressed then null else r.value end as retained, round(case when r.suppressed then null else r.value end::numeric / nullif(case when r.suppressed then null else r.cohort_actors end, 0), 6) as rate, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_weekly_signup_retention_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, period_number, cohort_actors, retained, rate, suppressed);
end
$fn$;

-- KPI active_actors_28d
create table if not exists analytics_private.kpi_active_actors_28d_runs (
  kind smallint not null,
  key uuid not null,
  tier text not null,
  member bytea not null,
  run_from date not null,
  run_to date not null,
  constraint kpi_active_actors_28d_runs_key primary key (kind, key, tier, member, run_from, run_to)
);
comment on table analytics_private.kpi_active_actors_28d_runs is 'KPI active_actors_28d: per member (0: an actor of a site, 1: an actor of a network, as int8send; 2: a site of a network, as uuid_send) and dimensions, each run of active days less than 29 days apart; the member counts in the windows ending from run_from to run_to + 27.';
alter table analytics_private.kpi_active_actors_28d_runs enable row level security;
revoke all on analytics_private.kpi_active_actors_28d_runs from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_28d_runs to service_role;

create index if not exists kpi_active_actors_28d_runs_to_idx on analytics_private.kpi_active_actors_28d_runs (run_to);

create table if not exists analytics_private.kpi_active_actors_28d (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_actors_28d_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_28d is 'Distinct actors active on any of the 28 days ending with each day, by tier.';
alter table analytics_private.kpi_active_actors_28d enable row level security;
revoke all on analytics_private.kpi_active_actors_28d from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_28d to service_role;

create index if not exists kpi_active_actors_28d_period_idx on analytics_private.kpi_active_actors_28d (period);

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

drop policy if exists kpi_active_actors_28d_runs_service on analytics_private.kpi_active_actors_28d_runs;
create policy kpi_active_actors_28d_runs_service on analytics_private.kpi_active_actors_28d_runs for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_actors_28d_service on analytics_private.kpi_active_actors_28d;
create policy kpi_active_actors_28d_service on analytics_private.kpi_active_actors_28d for all to service_role
  using (true) with check (true);

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
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  last_day date;
  rn_nets uuid[];
  rn_periods date[];
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
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_actors_28d';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo = '0'::xid8 then
    -- A backfill: every member's runs in one sorted pass over the base's facts (a day more than
    -- 28 days after the member's previous one starts a run), then the cells from the runs.
    delete from analytics_private.kpi_active_actors_28d_runs;
    insert into analytics_private.kpi_active_actors_28d_runs (kind, key, tier, member, run_from, run_to)
    select y.kind, y.key, y.tier, y.member, min(y.day), max(y.day)
    from (select a.*, sum(a.brk) over (partition by a.kind, a.key, a.tier, a.member order by a.day) as grp
          from (select m.*,
                       case when m.day - lag(m.day) over (partition by m.kind, m.key, m.tier, m.member
                                                          order by m.day) <= 28 then 0 else 1 end as brk
                from (select distinct 0::smallint as kind, f.site_id as key, f.tier, int8send(f.actor_hash) as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where true
          union all
          select distinct 1::smallint, f.network_id, f.tier, int8send(f.actor_hash), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null
          union all
          select distinct 2::smallint, f.network_id, f.tier, uuid_send(f.site_id), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null) as m) as a) as y
    group by y.kind, y.key, y.tier, y.member, y.grp
    order by 1, 2, 3, 4, 5, 6;
    analyze analytics_private.kpi_active_actors_28d_runs;
    insert into analytics_private.kpi_active_actors_28d as r (site_id, period, tier, value)
with marks as (
    select r.key, r.tier, r.run_from as day, 1 as delta
    from analytics_private.kpi_active_actors_28d_runs as r where r.kind = 0
    union all
    select r.key, r.tier, r.run_to + 28, -1
    from analytics_private.kpi_active_actors_28d_runs as r where r.kind = 0
  ), deltas as (
    select m.key, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.key, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.key as site_id, s.period, s.tier, s.value
  from (select c.key, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.key, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.key = c.key and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0
    on conflict (site_id, period, tier) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- The day of the previous refresh: the cells of the days since are counted from the runs as they
    -- were (a window moves on with no new event), before this refresh's facts are merged in.
    select (w.refreshed_at at time zone 'UTC')::date into last_day
    from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d';
    if last_day < (now() at time zone 'UTC')::date then
      with cover as (
        select r.kind, r.key, r.tier, g.day::date as period, count(*) as n
        from analytics_private.kpi_active_actors_28d_runs as r
        cross join generate_series(greatest(r.run_from, last_day + 1), least(r.run_to + 27, (now() at time zone 'UTC')::date),
                                   interval '1 day') as g (day)
        where r.run_to >= last_day + 1 - 27 and r.run_from <= (now() at time zone 'UTC')::date
        group by 1, 2, 3, 4
      ), site as (
        insert into analytics_private.kpi_active_actors_28d as r (site_id, period, tier, value)
        select c.key, c.period, c.tier, c.n from cover as c where c.kind = 0
        on conflict (site_id, period, tier) do update
          set value = excluded.value, ingest_xid = pg_current_xact_id()
      ), cells as (
        insert into analytics_private.kpi_active_actors_28d_net as r (network_id, period, tier, value, sites, actors)
        select c.key, c.period, c.tier, coalesce(sum(c.n) filter (where c.kind = 1), 0),
               coalesce(sum(c.n) filter (where c.kind = 2), 0), coalesce(sum(c.n) filter (where c.kind = 1), 0)
        from cover as c where c.kind > 0
        group by c.key, c.period, c.tier
        on conflict (network_id, period, tier) do update
          set value = excluded.value, sites = excluded.sites, actors = excluded.actors
        returning r.network_id, r.period
      )
      select coalesce(array_agg(c.network_id), '{}'), coalesce(array_agg(c.period), '{}') into rn_nets, rn_periods
      from cells as c;
    end if;
    -- Merge the new facts' days into the runs they can reach; add the difference in coverage.
    with fresh as (
      select distinct 0::smallint as kind, f.site_id as key, f.tier, int8send(f.actor_hash) as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id())
          union all
          select distinct 1::smallint, f.network_id, f.tier, int8send(f.actor_hash), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id()) and f.network_id is not null
          union all
          select distinct 2::smallint, f.network_id, f.tier, uuid_send(f.site_id), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id()) and f.network_id is not null
    ), who as (
      select w.kind, w.key, w.tier, w.member, min(w.day) as d0, max(w.day) as d1
      from fresh as w
      group by w.kind, w.key, w.tier, w.member
    ), old as (
      select r.kind, r.key, r.tier, r.member, r.run_from, r.run_to
      from who as w
      join analytics_private.kpi_active_actors_28d_runs as r
        on r.kind = w.kind and r.key = w.key and r.tier = w.tier and r.member = w.member
       and r.run_to >= w.d0 - 28 and r.run_from <= w.d1 + 28
    ), items as (
      select o.kind, o.key, o.tier, o.member, o.run_from as d_from, o.run_to as d_to from old as o
      union all
      select w.kind, w.key, w.tier, w.member, w.day, w.day from fresh as w
    ), flagged as (
      select i.*,
             case when i.d_from - max(i.d_to) over (partition by i.kind, i.key, i.tier, i.member
                                                   order by i.d_from, i.d_to
                                                   rows between unbounded preceding and 1 preceding) <= 28
                  then 0 else 1 end as brk
      from items as i
    ), grouped as (
      select g.*, sum(g.brk) over (partition by g.kind, g.key, g.tier, g.member order by g.d_from, g.d_to
                                   rows unbounded preceding) as grp
      from flagged as g
    ), merged as (
      select g.kind, g.key, g.tier, g.member, min(g.d_from) as run_from, max(g.d_to) as run_to
      from grouped as g
      group by g.kind, g.key, g.tier, g.member, g.grp
    ), dropped as (  -- EXCEPT hashes both sides; no probe of one CTE per row of the other
      select o.kind, o.key, o.tier, o.member, o.run_from, o.run_to from old as o
      except
      select n.kind, n.key, n.tier, n.member, n.run_from, n.run_to from merged as n
    ), gone as (
      delete from analytics_private.kpi_active_actors_28d_runs as r
      using dropped as o
      where r.kind = o.kind and r.key = o.key and r.tier = o.tier and r.member = o.member
        and r.run_from = o.run_from and r.run_to = o.run_to
    ), added as (
      insert into analytics_private.kpi_active_actors_28d_runs (kind, key, tier, member, run_from, run_to)
      select n.kind, n.key, n.tier, n.member, n.run_from, n.run_to from merged as n
      except
      select o.kind, o.key, o.tier, o.member, o.run_from, o.run_to from old as o
    ), marks as (
      select m.kind, m.key, m.tier, m.day, sum(m.delta) as delta
      from (select o.kind, o.key, o.tier, o.run_from as day, -1 as delta from old as o
            union all
            select o.kind, o.key, o.tier, o.run_to + 28, 1 from old as o
            union all
            select n.kind, n.key, n.tier, n.run_from, 1 from merged as n
            union all
            select n.kind, n.key, n.tier, n.run_to + 28, -1 from merged as n) as m
      group by m.kind, m.key, m.tier, m.day
      having sum(m.delta) <> 0
    ), steps as (
      select m.kind, m.key, m.tier, m.day,
             lead(m.day) over w as next, sum(m.delta) over (w rows unbounded preceding) as delta
      from marks as m
      window w as (partition by m.kind, m.key, m.tier order by m.day)
    ), diff as (
      select s.kind, s.key, s.tier, g.day::date as period, s.delta
      from steps as s
      cross join generate_series(s.day, least(s.next - 1, (now() at time zone 'UTC')::date), interval '1 day') as g (day)
      where s.delta <> 0 and s.day <= (now() at time zone 'UTC')::date
    ), site as (
      insert into analytics_private.kpi_active_actors_28d as r (site_id, period, tier, value)
      select d.key, d.period, d.tier, d.delta from diff as d where d.kind = 0
      on conflict (site_id, period, tier) do update
        set value = r.value + excluded.value, ingest_xid = pg_current_xact_id()
    ), cells as (
      insert into analytics_private.kpi_active_actors_28d_net as r (network_id, period, tier, value, sites, actors)
      select d.key, d.period, d.tier, coalesce(sum(d.delta) filter (where d.kind = 1), 0),
             coalesce(sum(d.delta) filter (where d.kind = 2), 0), coalesce(sum(d.delta) filter (where d.kind = 1), 0)
      from diff as d where d.kind > 0
      group by d.key, d.period, d.tier
      on conflict (network_id, period, tier) do update
        set value = r.value + excluded.value, sites = r.sites + excluded.sites, actors = r.actors + excluded.actors
      returning r.network_id, r.period
    )
    select coalesce(rn_nets, '{}') || coalesce(array_agg(c.network_id), '{}'),
           coalesce(rn_periods, '{}') || coalesce(array_agg(c.period), '{}')
      into rn_nets, rn_periods
    from cells as c;
  end if;

  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_28d_runs;
    analyze analytics_private.kpi_active_actors_28d;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_actors_28d';
  if lo = '0'::xid8 then
    delete from analytics_private.kpi_active_actors_28d_net;
    with cells as (
      insert into analytics_private.kpi_active_actors_28d_net (network_id, period, tier, value, sites, actors)
      select u.network_id, u.period, u.tier, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.value)::bigint
      from (select v.network_id, v.period, v.tier, v.value, 0 as sites
            from (with marks as (
    select r.key, r.tier, r.run_from as day, 1 as delta
    from analytics_private.kpi_active_actors_28d_runs as r where r.kind = 1
    union all
    select r.key, r.tier, r.run_to + 28, -1
    from analytics_private.kpi_active_actors_28d_runs as r where r.kind = 1
  ), deltas as (
    select m.key, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.key, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.key as network_id, s.period, s.tier, s.value
  from (select c.key, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.key, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.key = c.key and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v
            union all
            select v.network_id, v.period, v.tier, 0, v.value
            from (with marks as (
    select r.key, r.tier, r.run_from as day, 1 as delta
    from analytics_private.kpi_active_actors_28d_runs as r where r.kind = 2
    union all
    select r.key, r.tier, r.run_to + 28, -1
    from analytics_private.kpi_active_actors_28d_runs as r where r.kind = 2
  ), deltas as (
    select m.key, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.key, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.key as network_id, s.period, s.tier, s.value
  from (select c.key, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.key, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.key = c.key and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v) as u
      group by 1, 2, 3
      returning network_id, period
    )
    select coalesce(array_agg(c.network_id), '{}'), coalesce(array_agg(c.period), '{}') into rn_nets, rn_periods
    from cells as c;
  end if;

  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_28d_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select x.network_id, x.period from unnest(rn_nets, rn_periods) as x (network_id, period)) as y) as x;
  perform analytics_private.kpi_active_actors_28d_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

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
  from analytics_private.kpi_active_actors_28d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]) and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
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
  from analytics_private.kpi_active_actors_28d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to" and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.network_active_actors_28d_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
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
  select q.period::date, q.tier::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period - 27 and m.period and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_active_actors_28d_net as m
        where m.network_id = (select analytics_private.kpi_caller_network()) and m.period <= (now() at time zone 'UTC')::date) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, tier, value, suppressed);
end
$fn$;

-- KPI active_actors_7d
create table if not exists analytics_private.kpi_active_actors_7d_runs (
  kind smallint not null,
  key uuid not null,
  tier text not null,
  member bytea not null,
  run_from date not null,
  run_to date not null,
  constraint kpi_active_actors_7d_runs_key primary key (kind, key, tier, member, run_from, run_to)
);
comment on table analytics_private.kpi_active_actors_7d_runs is 'KPI active_actors_7d: per member (0: an actor of a site, 1: an actor of a network, as int8send; 2: a site of a network, as uuid_send) and dimensions, each run of active days less than 8 days apart; the member counts in the windows ending from run_from to run_to + 6.';
alter table analytics_private.kpi_active_actors_7d_runs enable row level security;
revoke all on analytics_private.kpi_active_actors_7d_runs from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_7d_runs to service_role;

create index if not exists kpi_active_actors_7d_runs_to_idx on analytics_private.kpi_active_actors_7d_runs (run_to);

create table if not exists analytics_private.kpi_active_actors_7d (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_actors_7d_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_7d is 'Distinct actors active on any of the 7 days ending with each day, by tier (a trailing window, unlike the calendar-week WAU).';
alter table analytics_private.kpi_active_actors_7d enable row level security;
revoke all on analytics_private.kpi_active_actors_7d from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_7d to service_role;

create index if not exists kpi_active_actors_7d_period_idx on analytics_private.kpi_active_actors_7d (period);

create table if not exists analytics_private.kpi_active_actors_7d_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_actors_7d_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_7d_net is 'KPI active_actors_7d: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_actors_7d_net enable row level security;
revoke all on analytics_private.kpi_active_actors_7d_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_7d_net to service_role;

drop policy if exists kpi_active_actors_7d_runs_service on analytics_private.kpi_active_actors_7d_runs;
create policy kpi_active_actors_7d_runs_service on analytics_private.kpi_active_actors_7d_runs for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_actors_7d_service on analytics_private.kpi_active_actors_7d;
create policy kpi_active_actors_7d_service on analytics_private.kpi_active_actors_7d for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_actors_7d_net_service on analytics_private.kpi_active_actors_7d_net;
create policy kpi_active_actors_7d_net_service on analytics_private.kpi_active_actors_7d_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_actors_7d()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  last_day date;
  rn_nets uuid[];
  rn_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  -- An input KPI is brought up to date first, in this transaction, so this one never lags it.
  perform analytics_private.refresh_kpi_daily_active_actors();
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_actors_7d', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_actors_7d', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_7d' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_actors_7d';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo = '0'::xid8 then
    -- A backfill: every member's runs in one sorted pass over the base's facts (a day more than
    -- 7 days after the member's previous one starts a run), then the cells from the runs.
    delete from analytics_private.kpi_active_actors_7d_runs;
    insert into analytics_private.kpi_active_actors_7d_runs (kind, key, tier, member, run_from, run_to)
    select y.kind, y.key, y.tier, y.member, min(y.day), max(y.day)
    from (select a.*, sum(a.brk) over (partition by a.kind, a.key, a.tier, a.member order by a.day) as grp
          from (select m.*,
                       case when m.day - lag(m.day) over (partition by m.kind, m.key, m.tier, m.member
                                                          order by m.day) <= 7 then 0 else 1 end as brk
                from (select distinct 0::smallint as kind, f.site_id as key, f.tier, int8send(f.actor_hash) as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where true
          union all
          select distinct 1::smallint, f.network_id, f.tier, int8send(f.actor_hash), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null
          union all
          select distinct 2::smallint, f.network_id, f.tier, uuid_send(f.site_id), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null) as m) as a) as y
    group by y.kind, y.key, y.tier, y.member, y.grp
    order by 1, 2, 3, 4, 5, 6;
    analyze analytics_private.kpi_active_actors_7d_runs;
    insert into analytics_private.kpi_active_actors_7d as r (site_id, period, tier, value)
with marks as (
    select r.key, r.tier, r.run_from as day, 1 as delta
    from analytics_private.kpi_active_actors_7d_runs as r where r.kind = 0
    union all
    select r.key, r.tier, r.run_to + 7, -1
    from analytics_private.kpi_active_actors_7d_runs as r where r.kind = 0
  ), deltas as (
    select m.key, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.key, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.key as site_id, s.period, s.tier, s.value
  from (select c.key, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.key, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.key = c.key and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0
    on conflict (site_id, period, tier) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- The day of the previous refresh: the cells of the days since are counted from the runs as they
    -- were (a window moves on with no new event), before this refresh's facts are merged in.
    select (w.refreshed_at at time zone 'UTC')::date into last_day
    from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_7d';
    if last_day < (now() at time zone 'UTC')::date then
      with cover as (
        select r.kind, r.key, r.tier, g.day::date as period, count(*) as n
        from analytics_private.kpi_active_actors_7d_runs as r
        cross join generate_series(greatest(r.run_from, last_day + 1), least(r.run_to + 6, (now() at time zone 'UTC')::date),
                                   interval '1 day') as g (day)
        where r.run_to >= last_day + 1 - 6 and r.run_from <= (now() at time zone 'UTC')::date
        group by 1, 2, 3, 4
      ), site as (
        insert into analytics_private.kpi_active_actors_7d as r (site_id, period, tier, value)
        select c.key, c.period, c.tier, c.n from cover as c where c.kind = 0
        on conflict (site_id, period, tier) do update
          set value = excluded.value, ingest_xid = pg_current_xact_id()
      ), cells as (
        insert into analytics_private.kpi_active_actors_7d_net as r (network_id, period, tier, value, sites, actors)
        select c.key, c.period, c.tier, coalesce(sum(c.n) filter (where c.kind = 1), 0),
               coalesce(sum(c.n) filter (where c.kind = 2), 0), coalesce(sum(c.n) filter (where c.kind = 1), 0)
        from cover as c where c.kind > 0
        group by c.key, c.period, c.tier
        on conflict (network_id, period, tier) do update
          set value = excluded.value, sites = excluded.sites, actors = excluded.actors
        returning r.network_id, r.period
      )
      select coalesce(array_agg(c.network_id), '{}'), coalesce(array_agg(c.period), '{}') into rn_nets, rn_periods
      from cells as c;
    end if;
    -- Merge the new facts' days into the runs they can reach; add the difference in coverage.
    with fresh as (
      select distinct 0::smallint as kind, f.site_id as key, f.tier, int8send(f.actor_hash) as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id())
          union all
          select distinct 1::smallint, f.network_id, f.tier, int8send(f.actor_hash), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id()) and f.network_id is not null
          union all
          select distinct 2::smallint, f.network_id, f.tier, uuid_send(f.site_id), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id()) and f.network_id is not null
    ), who as (
      select w.kind, w.key, w.tier, w.member, min(w.day) as d0, max(w.day) as d1
      from fresh as w
      group by w.kind, w.key, w.tier, w.member
    ), old as (
      select r.kind, r.key, r.tier, r.member, r.run_from, r.run_to
      from who as w
      join analytics_private.kpi_active_actors_7d_runs as r
        on r.kind = w.kind and r.key = w.key and r.tier = w.tier and r.member = w.member
       and r.run_to >= w.d0 - 7 and r.run_from <= w.d1 + 7
    ), items as (
      select o.kind, o.key, o.tier, o.member, o.run_from as d_from, o.run_to as d_to from old as o
      union all
      select w.kind, w.key, w.tier, w.member, w.day, w.day from fresh as w
    ), flagged as (
      select i.*,
             case when i.d_from - max(i.d_to) over (partition by i.kind, i.key, i.tier, i.member
                                                   order by i.d_from, i.d_to
                                                   rows between unbounded preceding and 1 preceding) <= 7
                  then 0 else 1 end as brk
      from items as i
    ), grouped as (
      select g.*, sum(g.brk) over (partition by g.kind, g.key, g.tier, g.member order by g.d_from, g.d_to
                                   rows unbounded preceding) as grp
      from flagged as g
    ), merged as (
      select g.kind, g.key, g.tier, g.member, min(g.d_from) as run_from, max(g.d_to) as run_to
      from grouped as g
      group by g.kind, g.key, g.tier, g.member, g.grp
    ), dropped as (  -- EXCEPT hashes both sides; no probe of one CTE per row of the other
      select o.kind, o.key, o.tier, o.member, o.run_from, o.run_to from old as o
      except
      select n.kind, n.key, n.tier, n.member, n.run_from, n.run_to from merged as n
    ), gone as (
      delete from analytics_private.kpi_active_actors_7d_runs as r
      using dropped as o
      where r.kind = o.kind and r.key = o.key and r.tier = o.tier and r.member = o.member
        and r.run_from = o.run_from and r.run_to = o.run_to
    ), added as (
      insert into analytics_private.kpi_active_actors_7d_runs (kind, key, tier, member, run_from, run_to)
      select n.kind, n.key, n.tier, n.member, n.run_from, n.run_to from merged as n
      except
      select o.kind, o.key, o.tier, o.member, o.run_from, o.run_to from old as o
    ), marks as (
      select m.kind, m.key, m.tier, m.day, sum(m.delta) as delta
      from (select o.kind, o.key, o.tier, o.run_from as day, -1 as delta from old as o
            union all
            select o.kind, o.key, o.tier, o.run_to + 7, 1 from old as o
            union all
            select n.kind, n.key, n.tier, n.run_from, 1 from merged as n
            union all
            select n.kind, n.key, n.tier, n.run_to + 7, -1 from merged as n) as m
      group by m.kind, m.key, m.tier, m.day
      having sum(m.delta) <> 0
    ), steps as (
      select m.kind, m.key, m.tier, m.day,
             lead(m.day) over w as next, sum(m.delta) over (w rows unbounded preceding) as delta
      from marks as m
      window w as (partition by m.kind, m.key, m.tier order by m.day)
    ), diff as (
      select s.kind, s.key, s.tier, g.day::date as period, s.delta
      from steps as s
      cross join generate_series(s.day, least(s.next - 1, (now() at time zone 'UTC')::date), interval '1 day') as g (day)
      where s.delta <> 0 and s.day <= (now() at time zone 'UTC')::date
    ), site as (
      insert into analytics_private.kpi_active_actors_7d as r (site_id, period, tier, value)
      select d.key, d.period, d.tier, d.delta from diff as d where d.kind = 0
      on conflict (site_id, period, tier) do update
        set value = r.value + excluded.value, ingest_xid = pg_current_xact_id()
    ), cells as (
      insert into analytics_private.kpi_active_actors_7d_net as r (network_id, period, tier, value, sites, actors)
      select d.key, d.period, d.tier, coalesce(sum(d.delta) filter (where d.kind = 1), 0),
             coalesce(sum(d.delta) filter (where d.kind = 2), 0), coalesce(sum(d.delta) filter (where d.kind = 1), 0)
      from diff as d where d.kind > 0
      group by d.key, d.period, d.tier
      on conflict (network_id, period, tier) do update
        set value = r.value + excluded.value, sites = r.sites + excluded.sites, actors = r.actors + excluded.actors
      returning r.network_id, r.period
    )
    select coalesce(rn_nets, '{}') || coalesce(array_agg(c.network_id), '{}'),
           coalesce(rn_periods, '{}') || coalesce(array_agg(c.period), '{}')
      into rn_nets, rn_periods
    from cells as c;
  end if;

  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_7d_runs;
    analyze analytics_private.kpi_active_actors_7d;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_actors_7d';
  if lo = '0'::xid8 then
    delete from analytics_private.kpi_active_actors_7d_net;
    with cells as (
      insert into analytics_private.kpi_active_actors_7d_net (network_id, period, tier, value, sites, actors)
      select u.network_id, u.period, u.tier, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.value)::bigint
      from (select v.network_id, v.period, v.tier, v.value, 0 as sites
            from (with marks as (
    select r.key, r.tier, r.run_from as day, 1 as delta
    from analytics_private.kpi_active_actors_7d_runs as r where r.kind = 1
    union all
    select r.key, r.tier, r.run_to + 7, -1
    from analytics_private.kpi_active_actors_7d_runs as r where r.kind = 1
  ), deltas as (
    select m.key, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.key, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.key as network_id, s.period, s.tier, s.value
  from (select c.key, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.key, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.key = c.key and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v
            union all
            select v.network_id, v.period, v.tier, 0, v.value
            from (with marks as (
    select r.key, r.tier, r.run_from as day, 1 as delta
    from analytics_private.kpi_active_actors_7d_runs as r where r.kind = 2
    union all
    select r.key, r.tier, r.run_to + 7, -1
    from analytics_private.kpi_active_actors_7d_runs as r where r.kind = 2
  ), deltas as (
    select m.key, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.key, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.key as network_id, s.period, s.tier, s.value
  from (select c.key, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.key, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.key = c.key and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v) as u
      group by 1, 2, 3
      returning network_id, period
    )
    select coalesce(array_agg(c.network_id), '{}'), coalesce(array_agg(c.period), '{}') into rn_nets, rn_periods
    from cells as c;
  end if;

  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_7d_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select x.network_id, x.period from unnest(rn_nets, rn_periods) as x (network_id, period)) as y) as x;
  perform analytics_private.kpi_active_actors_7d_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_active_actors_7d_for_caller()
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
  from analytics_private.kpi_active_actors_7d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]) and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.kpi_active_actors_7d_between("from" date, "to" date)
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
  from analytics_private.kpi_active_actors_7d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to" and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
end
$fn$;

create or replace function analytics_private.network_active_actors_7d_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
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
  select q.period::date, q.tier::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period - 6 and m.period and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_active_actors_7d_net as m
        where m.network_id = (select analytics_private.kpi_caller_network()) and m.period <= (now() at time zone 'UTC')::date) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, tier, value, suppressed);
end
$fn$;

-- KPI active_actors_28d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

-- KPI active_actors_7d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_7d';

-- KPI active_clinic_members
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_clinic_members';

-- KPI active_network_members
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_network_members';

-- KPI active_practitioners
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_practitioners';

-- KPI api_latency_ms
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

-- KPI api_request_count
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_request_count';

-- KPI api_server_error_count
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_server_error_count';

-- KPI clinic_collaborators
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_collaborators';

-- KPI clinic_team_onboarding
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

-- KPI consumer_daily_actives
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_daily_actives';

-- KPI consumer_feature_users
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users';

-- KPI consumer_feature_users_by_feature
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users_by_feature';

-- KPI daily_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

-- KPI error_count
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'error_count';

-- KPI errors_by_code
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'errors_by_code';

-- KPI monthly_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_active_actors';

-- KPI monthly_signup_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

-- KPI network_analytics_viewers
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'network_analytics_viewers';

-- KPI protocol_loggers
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_loggers';

-- KPI protocol_logging_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

-- KPI protocol_sessions_logged
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_sessions_logged';

-- KPI screen_load_ms
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'screen_load_ms';

-- KPI trial_activation_to_conversion
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

-- KPI upgrade_funnel_consumer_to_clinic
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

-- KPI upgrade_prompt_to_trial
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

-- KPI weekly_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_active_actors';

-- KPI weekly_signup_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';
