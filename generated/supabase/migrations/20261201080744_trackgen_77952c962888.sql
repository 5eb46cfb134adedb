-- trackgen migration 20261201080744: KPIs clinic_team_onboarding, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';
drop function if exists analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text);

create or replace function analytics_private.kpi_funnel_depths(steps smallint[], times timestamptz[], keys uuid[], n_steps integer, win interval, mode text)
returns smallint[]
language plpgsql
immutable
security invoker
set search_path = ''
as $fn$
-- One actor's funnel events at one site, one entry per (event, step it matches), sorted by
-- (occurred_at, event key, step); an event matching several steps has several entries, which
-- share its time and key. Returns, for every step-1 entry (an attempt's anchor), how deep the
-- attempt it starts gets, and null for the other entries. Every step is met by a different event:
--   ordered: step j + 1 by an event strictly later than the one that met step j;
--   strict:  as ordered, and that event lies at the first instant after step j's event at which
--            any funnel event happened (another funnel event in between ends the attempt);
--   any:     steps 2 .. d by different events, none of them the step-1 event, in any order at or
--            after the step-1 event (a matching: an event meets one step only).
-- All within win of the step-1 event.
-- One call per actor and one pass over the actor's events: an actor with n funnel events costs
-- O(n * steps) (ordered, strict) or O(n * 4^steps) (any), never one scan per attempt.
declare
  len integer := coalesce(array_length(steps, 1), 0);
  depths smallint[] := array_fill(null::smallint, array[greatest(len, 1)]);
  -- the distinct instants (ordered, strict) or events (any), 1 .. g_n
  g_n integer := 0;
  g_time timestamptz[] := '{}';
  g_mask integer[] := '{}';
  g_of integer[] := array_fill(0, array[greatest(len, 1)]);
  nxt integer[];
  cnt integer[];
  i integer;
  g integer;
  s integer;
  cur integer;
  depth integer;
  stop timestamptz;
  lo integer;
  hi integer;
  own integer;
  width integer;
  d integer;
  sub integer;
  m integer;
  hits integer;
  ok boolean;
begin
  if len = 0 then
    return '{}';
  end if;
  if mode = 'any' then
    -- events (time, key); their mask: which of steps 2 .. n each meets (bit s - 2)
    for i in 1 .. len loop
      if g_n = 0 or times[i] <> g_time[g_n] or keys[i] <> keys[i - 1] then
        g_n := g_n + 1;
        g_time[g_n] := times[i];
        g_mask[g_n] := 0;
      end if;
      g_of[i] := g_n;
      if steps[i] >= 2 then
        g_mask[g_n] := g_mask[g_n] | (1 << (steps[i] - 2));
      end if;
    end loop;
    -- a window [anchor time, anchor time + win] sliding over the events: cnt[m + 1] events of mask m
    width := 1 << (n_steps - 1);
    cnt := array_fill(0, array[width]);
    lo := 1;
    hi := 0;
    for i in 1 .. len loop
      continue when steps[i] <> 1;
      g := g_of[i];
      stop := g_time[g] + win;
      while hi < g_n and g_time[hi + 1] <= stop loop
        hi := hi + 1;
        cnt[g_mask[hi] + 1] := cnt[g_mask[hi] + 1] + 1;
      end loop;
      while lo <= hi and g_time[lo] < g_time[g] loop
        cnt[g_mask[lo] + 1] := cnt[g_mask[lo] + 1] - 1;
        lo := lo + 1;
      end loop;
      own := g_mask[g];
      cnt[own + 1] := cnt[own + 1] - 1;
      -- depth d when steps 2 .. d can each be given a different event: Hall's condition, every set
      -- of those steps is met by at least as many events (sets without step d were checked before)
      depth := 1;
      ok := true;
      d := 2;
      while ok and d <= n_steps loop
        for sub in 0 .. (1 << (d - 2)) - 1 loop
          s := sub | (1 << (d - 2));
          hits := 0;
          for m in 1 .. width - 1 loop
            if cnt[m + 1] > 0 and m & s <> 0 then
              hits := hits + cnt[m + 1];
            end if;
          end loop;
          if hits < bit_count(s::bit(32)) then
            ok := false;
            exit;
          end if;
        end loop;
        if ok then
          depth := d;
        end if;
        d := d + 1;
      end loop;
      cnt[own + 1] := cnt[own + 1] + 1;
      depths[i] := depth;
    end loop;
    return depths;
  end if;
  -- ordered, strict: the distinct instants and which steps each one's events meet (bit s - 1)
  for i in 1 .. len loop
    if g_n = 0 or times[i] <> g_time[g_n] then
      g_n := g_n + 1;
      g_time[g_n] := times[i];
      g_mask[g_n] := 0;
    end if;
    g_of[i] := g_n;
    g_mask[g_n] := g_mask[g_n] | (1 << (steps[i] - 1));
  end loop;
  if mode = 'ordered' then
    -- nxt[(s - 1) * (g_n + 1) + g]: the first instant at or after g whose events meet step s (0: none)
    nxt := array_fill(0, array[n_steps * (g_n + 1)]);
    for g in reverse g_n .. 1 loop
      for s in 2 .. n_steps loop
        if g_mask[g] & (1 << (s - 1)) <> 0 then
          nxt[(s - 1) * (g_n + 1) + g] := g;
        else
          nxt[(s - 1) * (g_n + 1) + g] := nxt[(s - 1) * (g_n + 1) + g + 1];
        end if;
      end loop;
    end loop;
  end if;
  for i in 1 .. len loop
    continue when steps[i] <> 1;
    cur := g_of[i];
    stop := g_time[cur] + win;
    depth := 1;
    while depth < n_steps and cur < g_n loop
      if mode = 'strict' then
        g := cur + 1;
        exit when g_mask[g] & (1 << depth) = 0;
      else
        g := nxt[depth * (g_n + 1) + cur + 1];
        exit when g = 0;
      end if;
      exit when g_time[g] > stop;
      depth := depth + 1;
      cur := g;
    end loop;
    depths[i] := depth;
  end loop;
  return depths;
end
$fn$;
comment on function analytics_private.kpi_funnel_depths(smallint[], timestamptz[], uuid[], integer, interval, text) is 'How deep each funnel attempt of one actor gets, in one pass over the actor''s events (see the KPI semantics).';
revoke all on function analytics_private.kpi_funnel_depths(smallint[], timestamptz[], uuid[], integer, interval, text) from public, anon, authenticated;
grant execute on function analytics_private.kpi_funnel_depths(smallint[], timestamptz[], uuid[], integer, interval, text) to service_role;

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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_steps;
  end if;
  insert into analytics_private.kpi_clinic_team_onboarding_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(u.depth)
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_clinic_team_onboarding_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_clinic_team_onboarding_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times,
                            analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 3, interval '14 days', 'ordered'), seq.network_id)
    as u (step, t, depth, network_id)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_steps;
    analyze analytics_private.kpi_clinic_team_onboarding_actors;
    analyze analytics_private.kpi_clinic_team_onboarding;
  end if;
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
  loop
    fs_total := 0;
    for fs_step in 2 .. 3 loop
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
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_clinic_team_onboarding_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_clinic_team_onboarding_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_clinic_team_onboarding_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_clinic_team_onboarding_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_clinic_team_onboarding_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 3
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_steps;
  end if;
  insert into analytics_private.kpi_trial_activation_to_conversion_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(u.depth)
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_trial_activation_to_conversion_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_trial_activation_to_conversion_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times,
                            analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 4, interval '30 days', 'ordered'), seq.network_id)
    as u (step, t, depth, network_id)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_steps;
    analyze analytics_private.kpi_trial_activation_to_conversion_actors;
    analyze analytics_private.kpi_trial_activation_to_conversion;
  end if;
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
  loop
    fs_total := 0;
    for fs_step in 2 .. 4 loop
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
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_trial_activation_to_conversion_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_trial_activation_to_conversion_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_trial_activation_to_conversion_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_trial_activation_to_conversion_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_trial_activation_to_conversion_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 4
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
  end if;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(u.depth)
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times,
                            analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 4, interval '30 days', 'ordered'), seq.network_id)
    as u (step, t, depth, network_id)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic;
  end if;
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
  loop
    fs_total := 0;
    for fs_step in 2 .. 4 loop
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
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 4
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_steps;
  end if;
  insert into analytics_private.kpi_upgrade_prompt_to_trial_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(u.depth)
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_upgrade_prompt_to_trial_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_upgrade_prompt_to_trial_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times,
                            analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 2, interval '7 days', 'ordered'), seq.network_id)
    as u (step, t, depth, network_id)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_steps;
    analyze analytics_private.kpi_upgrade_prompt_to_trial_actors;
    analyze analytics_private.kpi_upgrade_prompt_to_trial;
  end if;
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
  loop
    fs_total := 0;
    for fs_step in 2 .. 2 loop
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
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_upgrade_prompt_to_trial_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_upgrade_prompt_to_trial_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_upgrade_prompt_to_trial_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_upgrade_prompt_to_trial_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_upgrade_prompt_to_trial_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 2
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
  end loop;
  return changed;
end
$fn$;
