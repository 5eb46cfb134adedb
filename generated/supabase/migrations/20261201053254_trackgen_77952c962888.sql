-- trackgen migration 20261201053254: KPIs api_server_error_rate, clinic_collaboration_adoption, consumer_feature_adoption, consumer_feature_users_by_feature, daily_active_actors, error_rate, monthly_active_actors, network_analytics_adoption, protocol_logging_adoption, stickiness_dau_28d, weekly_active_actors.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';

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
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users_by_feature';
  return query
  with tail as materialized (
    -- every site's events since the watermark in the requested periods, at most 20000 + 1
    select e.site_id, e.event_id, e.actor_tier, e.actor_hash, e.occurred_at, e.payload
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 20001),
  bound as (select count(*) <= 20000 as ok from tail),
  mine as (
    -- the caller's site's tail events that this KPI reads, as cells
    select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'feature') as feature, e.actor_hash
    from tail as e
    where (select b.ok from bound as b)
      and e.site_id = caller_site
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users_by_feature')
      and e.actor_tier = any (array['consumer']::text[])),
  fresh as (select m.* from mine as m where m.period >= "from" and m.period <= "to")
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
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors';
  return query
  with tail as materialized (
    -- every site's events since the watermark in the requested periods, at most 20000 + 1
    select e.site_id, e.event_id, e.actor_tier, e.actor_hash, e.occurred_at, e.payload
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
    order by e.ingest_xid
    limit 20001),
  bound as (select count(*) <= 20000 as ok from tail),
  mine as (
    -- the caller's site's tail events that this KPI reads, as cells
    select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
    from tail as e
    where (select b.ok from bound as b)
      and e.site_id = caller_site
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors')),
  fresh as (select m.* from mine as m where m.period >= "from" and m.period <= "to")
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
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_active_actors';
  return query
  with tail as materialized (
    -- every site's events since the watermark in the requested periods, at most 20000 + 1
    select e.site_id, e.event_id, e.actor_tier, e.actor_hash, e.occurred_at, e.payload
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
    order by e.ingest_xid
    limit 20001),
  bound as (select count(*) <= 20000 as ok from tail),
  mine as (
    -- the caller's site's tail events that this KPI reads, as cells
    select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
    from tail as e
    where (select b.ok from bound as b)
      and e.site_id = caller_site
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_active_actors')),
  fresh as (select m.* from mine as m where m.period >= "from" and m.period <= "to")
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
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_actors';
  return query
  with tail as materialized (
    -- every site's events since the watermark in the requested periods, at most 20000 + 1
    select e.site_id, e.event_id, e.actor_tier, e.actor_hash, e.occurred_at, e.payload
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 20001),
  bound as (select count(*) <= 20000 as ok from tail),
  mine as (
    -- the caller's site's tail events that this KPI reads, as cells
    select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
    from tail as e
    where (select b.ok from bound as b)
      and e.site_id = caller_site
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_active_actors')),
  fresh as (select m.* from mine as m where m.period >= "from" and m.period <= "to")
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

-- KPI api_server_error_rate
comment on function analytics.kpi_api_server_error_rate_live(date, date) is 'KPI api_server_error_rate, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_api_server_error_rate_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_server_error_rate_live(date, date) to authenticated, service_role;

-- KPI clinic_collaboration_adoption
comment on function analytics.kpi_clinic_collaboration_adoption_live(date, date) is 'KPI clinic_collaboration_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_clinic_collaboration_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_collaboration_adoption_live(date, date) to authenticated, service_role;

-- KPI consumer_feature_adoption
comment on function analytics.kpi_consumer_feature_adoption_live(date, date) is 'KPI consumer_feature_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_consumer_feature_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_adoption_live(date, date) to authenticated, service_role;

-- KPI error_rate
comment on function analytics.kpi_error_rate_live(date, date) is 'KPI error_rate, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_error_rate_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_error_rate_live(date, date) to authenticated, service_role;

-- KPI network_analytics_adoption
comment on function analytics.kpi_network_analytics_adoption_live(date, date) is 'KPI network_analytics_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_network_analytics_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_network_analytics_adoption_live(date, date) to authenticated, service_role;

-- KPI protocol_logging_adoption
comment on function analytics.kpi_protocol_logging_adoption_live(date, date) is 'KPI protocol_logging_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_protocol_logging_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_adoption_live(date, date) to authenticated, service_role;

-- KPI stickiness_dau_28d
create or replace function analytics.kpi_stickiness_dau_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select x.*,
         (select min(w.refreshed_at) from analytics_private.kpi_watermarks as w where w.kpi in ('daily_active_actors', 'active_actors_28d')) as as_of
  from (  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from analytics_private.kpi_daily_active_actors_between("from", "to") as n
        union
        select d.site_id, d.period, d.tier from analytics_private.kpi_active_actors_28d_between("from", "to") as d) as keys
  left join analytics_private.kpi_daily_active_actors_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join analytics_private.kpi_active_actors_28d_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as x;
$fn$;

comment on function analytics.kpi_stickiness_dau_28d_live(date, date) is 'KPI stickiness_dau_28d for the caller''s own site, periods in [from, to]: the refreshed cells of its numerator and denominator (one of them has no real-time tail, and a live side over a refreshed one could exceed one); as_of: the older of their last refreshes.';
revoke all on function analytics.kpi_stickiness_dau_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_stickiness_dau_28d_live(date, date) to authenticated, service_role;
