-- trackgen migration 20261201093707: KPIs active_actors_28d, active_actors_7d, monthly_signup_retention, protocol_logging_retention, weekly_signup_retention.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';

-- KPI active_actors_28d
drop table if exists analytics_private.kpi_active_actors_28d;

drop table if exists analytics_private.kpi_active_actors_28d_net;

-- KPI active_actors_7d
drop table if exists analytics_private.kpi_active_actors_7d;

drop table if exists analytics_private.kpi_active_actors_7d_net;

-- KPI monthly_signup_retention
drop table if exists analytics_private.kpi_monthly_signup_retention;

drop table if exists analytics_private.kpi_monthly_signup_retention_active;

drop table if exists analytics_private.kpi_monthly_signup_retention_cohorts;

drop table if exists analytics_private.kpi_monthly_signup_retention_net;

-- KPI protocol_logging_retention
drop table if exists analytics_private.kpi_protocol_logging_retention;

drop table if exists analytics_private.kpi_protocol_logging_retention_active;

drop table if exists analytics_private.kpi_protocol_logging_retention_cohorts;

drop table if exists analytics_private.kpi_protocol_logging_retention_net;

-- KPI weekly_signup_retention
drop table if exists analytics_private.kpi_weekly_signup_retention;

drop table if exists analytics_private.kpi_weekly_signup_retention_active;

drop table if exists analytics_private.kpi_weekly_signup_retention_cohorts;

drop table if exists analytics_private.kpi_weekly_signup_retention_net;

-- KPI monthly_signup_retention
create table if not exists analytics_private.kpi_monthly_signup_retention_cohorts (
  site_id uuid not null,
  actor_hash bytea not null,
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
  actor_hash bytea not null,
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
  moved_actors bytea[];
  moved_cohorts date[];
  moved_networks uuid[];
  rt_nets uuid[];
  rt_periods date[];
  rm_nets uuid[];
  rm_periods date[];
begin
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
  join (select e.site_id, e.actor_hash, min(date_trunc('month', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_monthly_signup_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, e.actor_hash, min(date_trunc('month', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.cohort')
  group by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_monthly_signup_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, e.actor_hash, date_trunc('month', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.returning')
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

-- KPI protocol_logging_retention
create table if not exists analytics_private.kpi_protocol_logging_retention_cohorts (
  site_id uuid not null,
  actor_hash bytea not null,
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
  actor_hash bytea not null,
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
  moved_actors bytea[];
  moved_cohorts date[];
  moved_networks uuid[];
  rt_nets uuid[];
  rt_periods date[];
  rm_nets uuid[];
  rm_periods date[];
begin
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
  join (select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_protocol_logging_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.cohort')
  group by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_protocol_logging_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, e.actor_hash, date_trunc('week', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.returning')
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

-- KPI weekly_signup_retention
create table if not exists analytics_private.kpi_weekly_signup_retention_cohorts (
  site_id uuid not null,
  actor_hash bytea not null,
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
  actor_hash bytea not null,
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
  moved_actors bytea[];
  moved_cohorts date[];
  moved_networks uuid[];
  rt_nets uuid[];
  rt_periods date[];
  rm_nets uuid[];
  rm_periods date[];
begin
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
  join (select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_weekly_signup_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.cohort')
  group by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_weekly_signup_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, e.actor_hash, date_trunc('week', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.returning')
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
comment on table analytics_private.kpi_active_actors_28d_runs is 'KPI active_actors_28d: per member (0: an actor of a site, 1: an actor of a network, 2: a site of a network, as uuid_send) and dimensions, each run of active days less than 29 days apart; the member counts in the windows ending from run_from to run_to + 27.';
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
                from (select distinct 0::smallint as kind, f.site_id as key, f.tier, f.actor_hash as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where true
          union all
          select distinct 1::smallint, f.network_id, f.tier, f.actor_hash, f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null
          union all
          select distinct 2::smallint, f.network_id, f.tier, uuid_send(f.site_id), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null) as m) as a) as y
    group by y.kind, y.key, y.tier, y.member, y.grp;
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
      select distinct 0::smallint as kind, f.site_id as key, f.tier, f.actor_hash as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id())
          union all
          select distinct 1::smallint, f.network_id, f.tier, f.actor_hash, f.period
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
comment on table analytics_private.kpi_active_actors_7d_runs is 'KPI active_actors_7d: per member (0: an actor of a site, 1: an actor of a network, 2: a site of a network, as uuid_send) and dimensions, each run of active days less than 8 days apart; the member counts in the windows ending from run_from to run_to + 6.';
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
                from (select distinct 0::smallint as kind, f.site_id as key, f.tier, f.actor_hash as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where true
          union all
          select distinct 1::smallint, f.network_id, f.tier, f.actor_hash, f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null
          union all
          select distinct 2::smallint, f.network_id, f.tier, uuid_send(f.site_id), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null) as m) as a) as y
    group by y.kind, y.key, y.tier, y.member, y.grp;
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
      select distinct 0::smallint as kind, f.site_id as key, f.tier, f.actor_hash as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id())
          union all
          select distinct 1::smallint, f.network_id, f.tier, f.actor_hash, f.period
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

-- KPI active_actors_28d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

-- KPI active_actors_7d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_7d';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_7d';

-- KPI monthly_signup_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

-- KPI protocol_logging_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

-- KPI weekly_signup_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';
