-- trackgen migration 20261202051856: KPIs clinic_team_onboarding, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set statement_timeout = '5min';
-- KPI refreshes take this lock shared: wait for the running ones; new ones skip their run until this commits.
set lock_timeout = '5min';
select pg_advisory_xact_lock(hashtextextended('trackgen.migrations', 0));
set lock_timeout = '5s';

-- KPI clinic_team_onboarding
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

-- KPI trial_activation_to_conversion
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

-- KPI upgrade_funnel_consumer_to_clinic
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

-- KPI upgrade_prompt_to_trial
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
