-- trackgen migration 20261201032548: KPIs clinic_team_onboarding, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';
drop function if exists analytics_private.kpi_funnel_depth(smallint[], timestamptz[], integer, integer, interval, text);

-- KPI clinic_team_onboarding
drop table if exists analytics_private.kpi_clinic_team_onboarding;

drop table if exists analytics_private.kpi_clinic_team_onboarding_actors;

drop table if exists analytics_private.kpi_clinic_team_onboarding_net;

drop table if exists analytics_private.kpi_clinic_team_onboarding_steps;

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

create or replace function analytics_private.kpi_funnel_depth(steps smallint[], times timestamptz[], keys uuid[], anchor integer, n_steps integer, win interval, mode text)
returns smallint
language plpgsql
immutable
security invoker
set search_path = ''
as $fn$
-- One actor's funnel events at one site, one entry per (event, step it matches), sorted by
-- (occurred_at, event key, step); an event matching several steps has several entries, which
-- share its time and key. Every step is met by a different event:
--   ordered: step j + 1 by an event strictly later than the one that met step j;
--   strict:  as ordered, and that event lies at the first instant after step j's event at which
--            any funnel event happened (another funnel event in between ends the attempt);
--   any:     steps 2 .. d by different events, none of them the step-1 event, in any order at or
--            after the step-1 event (a matching: an event meets one step only).
-- All within win of the step-1 event (entry anchor).
declare
  depth integer := 1;
  start timestamptz := times[anchor];
  stop timestamptz := times[anchor] + win;
  last timestamptz := times[anchor];
  len integer := coalesce(array_length(steps, 1), 0);
  i integer;
  j integer;
  t timestamptz;
  found boolean;
  mask integer;
  masks integer[] := '{}';
  counts integer[] := '{}';
  d integer;
  sub integer;
  s integer;
  hits integer;
begin
  if mode = 'any' then
    -- the distinct events in the window other than the step-1 event: which of steps 2 .. n each
    -- meets (bit s - 2), counted per distinct set
    i := 1;
    while i <= len loop
      mask := 0;
      j := i;
      while j <= len and times[j] = times[i] and keys[j] = keys[i] loop
        if steps[j] >= 2 then
          mask := mask | (1 << (steps[j] - 2));
        end if;
        j := j + 1;
      end loop;
      if mask <> 0 and times[i] >= start and times[i] <= stop
         and not (keys[i] = keys[anchor] and times[i] = start) then
        found := false;
        for s in 1 .. coalesce(array_length(masks, 1), 0) loop
          if masks[s] = mask then
            counts[s] := counts[s] + 1;
            found := true;
          end if;
        end loop;
        if not found then
          masks := masks || mask;
          counts := counts || 1;
        end if;
      end if;
      i := j;
    end loop;
    -- depth d when steps 2 .. d can each be given a different event: Hall's condition, every set
    -- of those steps is met by at least as many events (sets without step d were checked before)
    for d in 2 .. n_steps loop
      for sub in 0 .. (1 << (d - 2)) - 1 loop
        s := sub | (1 << (d - 2));
        hits := 0;
        for i in 1 .. coalesce(array_length(masks, 1), 0) loop
          if masks[i] & s <> 0 then
            hits := hits + counts[i];
          end if;
        end loop;
        if hits < bit_count(s::bit(32)) then
          return depth;
        end if;
      end loop;
      depth := d;
    end loop;
    return depth;
  end if;
  i := anchor + 1;
  while i <= len and depth < n_steps loop
    t := times[i];
    exit when t > stop;
    if t <= last then
      i := i + 1;
      continue;
    end if;
    -- the funnel events of instant t: does one of them meet the next step?
    found := false;
    while i <= len and times[i] = t loop
      if steps[i] = depth + 1 then
        found := true;
      end if;
      i := i + 1;
    end loop;
    if found then
      depth := depth + 1;
      last := t;
    elsif mode = 'strict' then
      exit;
    end if;
  end loop;
  return depth;
end
$fn$;
comment on function analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text) is 'How deep one funnel attempt gets (see the KPI semantics).';
revoke all on function analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text) from public, anon, authenticated;
grant execute on function analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text) to service_role;

-- KPI clinic_team_onboarding
create table if not exists analytics_private.kpi_clinic_team_onboarding_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding_steps is 'KPI clinic_team_onboarding: every event that matches a step, per actor.';
alter table analytics_private.kpi_clinic_team_onboarding_steps enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_steps from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_steps to service_role;

create index if not exists kpi_clinic_team_onboarding_steps_actor_idx on analytics_private.kpi_clinic_team_onboarding_steps (site_id, actor_hash);

create index if not exists kpi_clinic_team_onboarding_steps_xid_idx on analytics_private.kpi_clinic_team_onboarding_steps (ingest_xid);

create table if not exists analytics_private.kpi_clinic_team_onboarding_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_clinic_team_onboarding_actors is 'KPI clinic_team_onboarding: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_clinic_team_onboarding_actors enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_actors from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_actors to service_role;

create index if not exists kpi_clinic_team_onboarding_actors_xid_idx on analytics_private.kpi_clinic_team_onboarding_actors (ingest_xid);

create index if not exists kpi_clinic_team_onboarding_actors_net_idx on analytics_private.kpi_clinic_team_onboarding_actors (network_id, period);

create table if not exists analytics_private.kpi_clinic_team_onboarding (
  site_id uuid not null,
  period date not null,
  step smallint,
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
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  constraint kpi_clinic_team_onboarding_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding_net is 'KPI clinic_team_onboarding: per network cell, the value across its sites and the distinct sites and actors behind it.';
alter table analytics_private.kpi_clinic_team_onboarding_net enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_net from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_net to service_role;

create policy kpi_clinic_team_onboarding_steps_service on analytics_private.kpi_clinic_team_onboarding_steps for all to service_role
  using (true) with check (true);

create policy kpi_clinic_team_onboarding_actors_service on analytics_private.kpi_clinic_team_onboarding_actors for all to service_role
  using (true) with check (true);

create policy kpi_clinic_team_onboarding_service on analytics_private.kpi_clinic_team_onboarding for all to service_role
  using (true) with check (true);

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
begin
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
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step1')
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step2')
union all
select e.site_id, e.actor_hash, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step3')
  on conflict do nothing;
  insert into analytics_private.kpi_clinic_team_onboarding_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 3, interval '14 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_clinic_team_onboarding_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_clinic_team_onboarding_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_clinic_team_onboarding as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_clinic_team_onboarding_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 3) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'clinic_team_onboarding';
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
  return changed;
end
$fn$;

-- KPI trial_activation_to_conversion
create table if not exists analytics_private.kpi_trial_activation_to_conversion_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_steps is 'KPI trial_activation_to_conversion: every event that matches a step, per actor.';
alter table analytics_private.kpi_trial_activation_to_conversion_steps enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_steps from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_steps to service_role;

create index if not exists kpi_trial_activation_to_conversion_steps_actor_idx on analytics_private.kpi_trial_activation_to_conversion_steps (site_id, actor_hash);

create index if not exists kpi_trial_activation_to_conversion_steps_xid_idx on analytics_private.kpi_trial_activation_to_conversion_steps (ingest_xid);

create table if not exists analytics_private.kpi_trial_activation_to_conversion_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_actors is 'KPI trial_activation_to_conversion: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_trial_activation_to_conversion_actors enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_actors from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_actors to service_role;

create index if not exists kpi_trial_activation_to_conversion_actors_xid_idx on analytics_private.kpi_trial_activation_to_conversion_actors (ingest_xid);

create index if not exists kpi_trial_activation_to_conversion_actors_net_idx on analytics_private.kpi_trial_activation_to_conversion_actors (network_id, period);

create table if not exists analytics_private.kpi_trial_activation_to_conversion (
  site_id uuid not null,
  period date not null,
  step smallint,
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
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  constraint kpi_trial_activation_to_conversion_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_net is 'KPI trial_activation_to_conversion: per network cell, the value across its sites and the distinct sites and actors behind it.';
alter table analytics_private.kpi_trial_activation_to_conversion_net enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_net from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_net to service_role;

create policy kpi_trial_activation_to_conversion_steps_service on analytics_private.kpi_trial_activation_to_conversion_steps for all to service_role
  using (true) with check (true);

create policy kpi_trial_activation_to_conversion_actors_service on analytics_private.kpi_trial_activation_to_conversion_actors for all to service_role
  using (true) with check (true);

create policy kpi_trial_activation_to_conversion_service on analytics_private.kpi_trial_activation_to_conversion for all to service_role
  using (true) with check (true);

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
begin
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
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step1')
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step2')
union all
select e.site_id, e.actor_hash, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step3')
union all
select e.site_id, e.actor_hash, 4::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step4')
  on conflict do nothing;
  insert into analytics_private.kpi_trial_activation_to_conversion_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 4, interval '30 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_trial_activation_to_conversion_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_trial_activation_to_conversion_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_trial_activation_to_conversion as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_trial_activation_to_conversion_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'trial_activation_to_conversion';
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
  return changed;
end
$fn$;

-- KPI upgrade_funnel_consumer_to_clinic
create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps is 'KPI upgrade_funnel_consumer_to_clinic: every event that matches a step, per actor.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps to service_role;

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_steps_actor_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (site_id, actor_hash);

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_steps_xid_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (ingest_xid);

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors is 'KPI upgrade_funnel_consumer_to_clinic: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors to service_role;

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_actors_xid_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (ingest_xid);

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_actors_net_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (network_id, period);

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic (
  site_id uuid not null,
  period date not null,
  step smallint,
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
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  constraint kpi_upgrade_funnel_consumer_to_clinic_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net is 'KPI upgrade_funnel_consumer_to_clinic: per network cell, the value across its sites and the distinct sites and actors behind it.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net to service_role;

create policy kpi_upgrade_funnel_consumer_to_clinic_steps_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps for all to service_role
  using (true) with check (true);

create policy kpi_upgrade_funnel_consumer_to_clinic_actors_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors for all to service_role
  using (true) with check (true);

create policy kpi_upgrade_funnel_consumer_to_clinic_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic for all to service_role
  using (true) with check (true);

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
begin
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
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step1')
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step2')
union all
select e.site_id, e.actor_hash, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step3')
union all
select e.site_id, e.actor_hash, 4::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step4')
  on conflict do nothing;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 4, interval '30 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'upgrade_funnel_consumer_to_clinic';
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
  return changed;
end
$fn$;

-- KPI upgrade_prompt_to_trial
create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_steps is 'KPI upgrade_prompt_to_trial: every event that matches a step, per actor.';
alter table analytics_private.kpi_upgrade_prompt_to_trial_steps enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_steps from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_steps to service_role;

create index if not exists kpi_upgrade_prompt_to_trial_steps_actor_idx on analytics_private.kpi_upgrade_prompt_to_trial_steps (site_id, actor_hash);

create index if not exists kpi_upgrade_prompt_to_trial_steps_xid_idx on analytics_private.kpi_upgrade_prompt_to_trial_steps (ingest_xid);

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_actors is 'KPI upgrade_prompt_to_trial: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_upgrade_prompt_to_trial_actors enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_actors from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_actors to service_role;

create index if not exists kpi_upgrade_prompt_to_trial_actors_xid_idx on analytics_private.kpi_upgrade_prompt_to_trial_actors (ingest_xid);

create index if not exists kpi_upgrade_prompt_to_trial_actors_net_idx on analytics_private.kpi_upgrade_prompt_to_trial_actors (network_id, period);

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial (
  site_id uuid not null,
  period date not null,
  step smallint,
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
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  constraint kpi_upgrade_prompt_to_trial_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_net is 'KPI upgrade_prompt_to_trial: per network cell, the value across its sites and the distinct sites and actors behind it.';
alter table analytics_private.kpi_upgrade_prompt_to_trial_net enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_net from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_net to service_role;

create policy kpi_upgrade_prompt_to_trial_steps_service on analytics_private.kpi_upgrade_prompt_to_trial_steps for all to service_role
  using (true) with check (true);

create policy kpi_upgrade_prompt_to_trial_actors_service on analytics_private.kpi_upgrade_prompt_to_trial_actors for all to service_role
  using (true) with check (true);

create policy kpi_upgrade_prompt_to_trial_service on analytics_private.kpi_upgrade_prompt_to_trial for all to service_role
  using (true) with check (true);

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
begin
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
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_prompt_to_trial.step1')
      and (e.payload ->> 'offered_tier') = any (array['practitioner']::text[])
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_prompt_to_trial.step2')
  on conflict do nothing;
  insert into analytics_private.kpi_upgrade_prompt_to_trial_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 2, interval '7 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_upgrade_prompt_to_trial_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_upgrade_prompt_to_trial_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_upgrade_prompt_to_trial as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_upgrade_prompt_to_trial_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 2) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'upgrade_prompt_to_trial';
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
  return changed;
end
$fn$;

-- KPI clinic_team_onboarding
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

-- KPI trial_activation_to_conversion
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

-- KPI upgrade_funnel_consumer_to_clinic
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

-- KPI upgrade_prompt_to_trial
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';
