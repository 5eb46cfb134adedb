-- trackgen migration 20261201105104: KPIs active_actors_28d, active_actors_7d, clinic_team_onboarding, monthly_signup_retention, protocol_logging_retention, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial, weekly_signup_retention; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';
drop function if exists analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text);

-- KPI active_actors_28d
drop table if exists analytics_private.kpi_active_actors_28d;

drop table if exists analytics_private.kpi_active_actors_28d_net;

-- KPI active_actors_7d
drop table if exists analytics_private.kpi_active_actors_7d;

drop table if exists analytics_private.kpi_active_actors_7d_net;

-- KPI clinic_team_onboarding
drop table if exists analytics_private.kpi_clinic_team_onboarding;

drop table if exists analytics_private.kpi_clinic_team_onboarding_actors;

drop table if exists analytics_private.kpi_clinic_team_onboarding_net;

drop table if exists analytics_private.kpi_clinic_team_onboarding_steps;

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

-- KPI weekly_signup_retention
drop table if exists analytics_private.kpi_weekly_signup_retention;

drop table if exists analytics_private.kpi_weekly_signup_retention_active;

drop table if exists analytics_private.kpi_weekly_signup_retention_cohorts;

drop table if exists analytics_private.kpi_weekly_signup_retention_net;

create or replace function analytics_private.track_events(events jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_nestloop = off
as $fn$
declare
  claims jsonb;
  caller_uid uuid;
  caller_tier text;
  caller_site uuid;
  caller_network uuid;
  caller_rank integer;
  batch_reason text;
  hmac_key bytea;
  actor bytea;
  bad_network boolean := false;
  result jsonb;
begin
  -- Batch-level errors (README, Ingestion), raised before any element is looked at. PostgREST
  -- answers 400 for SQLSTATE 22023 and, for PTnnn, the HTTP status nnn: 413 for an oversized batch.
  if events is null or jsonb_typeof(events) is distinct from 'array' then
    raise exception using errcode = '22023', message = 'batch_not_an_array',
      detail = format('track_events expects a JSON array of events, got %s', coalesce(jsonb_typeof(events), 'null')),
      hint = 'send [{event_id, occurred_at, idempotency_key, payload, plan_version}, ...]';
  end if;
  -- O(1): a jsonb array stores its length in its header.
  if jsonb_array_length(events) > 500 then
    raise exception using errcode = 'PT413', message = 'batch_too_large',
      detail = format('the batch has %s events, the limit is %s', jsonb_array_length(events), 500),
      hint = format('split it into batches of at most %s events', 500);
  end if;

  -- Claims: a missing or malformed claim makes every event a rejection with a reason below,
  -- never an error (a sub that is not a uuid used to fail the call with 22P02).
  begin
    claims := coalesce((select auth.jwt()), '{}'::jsonb);
  exception when invalid_text_representation then
    claims := '{}'::jsonb;
  end;
  begin
    caller_uid := (select auth.uid());
  exception when invalid_text_representation then
    caller_uid := null;
  end;
  caller_tier := claims #>> '{app_metadata,tier}';
  begin
    caller_site := (claims #>> '{app_metadata,site_id}')::uuid;
  exception when invalid_text_representation then
    caller_site := null;
  end;
  begin
    caller_network := (claims #>> '{app_metadata,network_id}')::uuid;
  exception when invalid_text_representation then
    bad_network := true;  -- absent is fine (no network); present but not a uuid is refused
  end;
  select t.rank into caller_rank from analytics.tiers as t where t.name = caller_tier and not t.is_system;

  if caller_site is null then
    batch_reason := 'missing_site';
  elsif caller_rank is null then
    batch_reason := 'unknown_caller_tier';
  elsif caller_uid is null then
    batch_reason := 'missing_actor';
  elsif bad_network then
    batch_reason := 'bad_network_claim';
  else
    select s.value into hmac_key from analytics_private.secrets as s where s.name = 'actor_hmac_key';
    actor := extensions.hmac(convert_to(caller_uid::text, 'UTF8'), hmac_key, 'sha256');
  end if;

  -- The whole batch in one statement (set-based; a PL/pgSQL loop over the items and its array
  -- appends cost more than the writes, see docs/ingestion.md). Per item, the first failing check
  -- in this order gives the reason, as the README's list of reason codes says: each CASE branch
  -- is evaluated only when the ones before it were false, so a cast never sees a value an
  -- earlier check refused. The payload check runs only for items that passed everything else.
  with items as (
    select (e.n - 1)::integer as pos, e.value as item,
           jsonb_typeof(e.value) = 'object' as is_object
      from jsonb_array_elements(events) with ordinality as e (value, n)
  ), envelope as (
    -- the first envelope key that is not allowed, by name (looked for only when there is one)
    select i.*, x.stray_key,
           case when batch_reason is null and i.is_object and x.stray_key is null
                     and jsonb_typeof(i.item -> 'event_id') = 'string'
                then i.item ->> 'event_id' end as event_name
      from items as i
      cross join lateral (
        select case when i.is_object and i.item - array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[] <> '{}'::jsonb then (
          select k from jsonb_object_keys(i.item) as k
           where not (k = any (array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[])) order by k limit 1) end as stray_key
        offset 0) as x
  ), checked as materialized (
    -- the envelope's checks; the payload and the fields to store, without the rest of the item
    select v.pos, v.stray_key, v.event_name, et.id as known_event, v.item -> 'payload' as payload,
           v.item ->> 'idempotency_key' as key_text, v.item ->> 'occurred_at' as time_text,
           v.item ->> 'plan_version' as plan_version,
           case
             when batch_reason is not null then batch_reason
             when not v.is_object then 'not_an_object'
             when v.stray_key is not null then 'unknown_envelope_field'
             when v.event_name is null then 'missing_event_id'
             when et.id is null then 'unknown_event'
             when et.status <> 'active' then 'deprecated_event'
             when not t.is_system and t.rank > caller_rank then 'tier_not_allowed'
             when jsonb_typeof(v.item -> 'idempotency_key') is distinct from 'string' then 'bad_idempotency_key'
             -- the uuid pattern, spelled as cheaper tests (a regular expression with counted
             -- repetitions costs microseconds per call): 36 characters with hyphens at 9, 14, 19
             -- and 24, nothing but hex digits and hyphens, exactly 4 hyphens
             when not ((v.item ->> 'idempotency_key') like '________-____-____-____-____________'
                       and (v.item ->> 'idempotency_key') !~ '[^0-9a-fA-F-]'
                       and length(replace(v.item ->> 'idempotency_key', '-', '')) = 32) then 'bad_idempotency_key'
             when jsonb_typeof(v.item -> 'occurred_at') is distinct from 'string' then 'bad_timestamp'
             -- RFC 3339 and a real instant: a plain pattern vouches for both in the common case;
             -- otherwise the full pattern, then the cast itself (is_timestamp, a subtransaction)
             when case when (v.item ->> 'occurred_at') ~ '^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$' then false
                       when (v.item ->> 'occurred_at') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$' then true
                       else not analytics_private.is_timestamp(v.item ->> 'occurred_at') end then 'bad_timestamp'
             when (v.item ->> 'occurred_at')::timestamptz > now() + interval '5 minutes' then 'timestamp_in_future'
             when (v.item ->> 'occurred_at')::timestamptz < now() - interval '7 days' then 'timestamp_too_old'
             when not (v.item ? 'plan_version') then null
             when jsonb_typeof(v.item -> 'plan_version') is distinct from 'string' then 'bad_plan_version'
             -- '^[A-Za-z0-9._-]{1,64}$' as cheaper tests
             when not (length(v.item ->> 'plan_version') between 1 and 64
                       and (v.item ->> 'plan_version') !~ '[^A-Za-z0-9._-]') then 'bad_plan_version'
           end as envelope_reason
      from envelope as v
      left join analytics.event_types as et on et.id = v.event_name
      left join analytics.tiers as t on t.name = et.tier
  ), judged as materialized (
    -- the payload's checks, then the verdict (OFFSET 0 keeps each value computed once per item)
    select c.pos, c.event_name, c.known_event, c.payload, c.plan_version, r.reason,
           case when r.reason is null then c.key_text::uuid end as k,
           case when r.reason is null then c.time_text::timestamptz end as t,
           case
             when c.envelope_reason = 'unknown_envelope_field' then c.stray_key
             when c.envelope_reason is null then nullif(split_part(pr.payload_result, ':', 2), '')
           end as field
      from checked as c
      cross join lateral (
        select case
                 when c.envelope_reason is not null then null
                 when jsonb_typeof(c.payload) is distinct from 'object' then 'payload_not_object'
                 when octet_length(c.payload::text) > 4096 then 'payload_too_large'
                 else analytics_private.payload_problem(c.event_name, c.payload)
               end as payload_result
        offset 0) as pr
      cross join lateral (
        select coalesce(c.envelope_reason, split_part(pr.payload_result, ':', 1)) as reason offset 0) as r
  ), firsts as (
    -- the first occurrence of each new key wins; keys are inserted in key order (no deadlock between retries)
    select distinct on (j.k) j.pos, j.k, j.t from judged as j where j.reason is null order by j.k, j.pos
  ), inserted as (
    insert into analytics_private.event_keys (site_id, idempotency_key, occurred_at)
    select caller_site, f.k, f.t from firsts as f order by f.k
    on conflict do nothing
    returning idempotency_key
  ), stored as (
    select f.pos from firsts as f join inserted as i on i.idempotency_key = f.k
  ), stored_events as (
    insert into analytics_private.events
      (event_id, site_id, network_id, actor_hash, actor_tier, occurred_at, idempotency_key, plan_version, payload)
    select j.event_name, caller_site, caller_network, actor, caller_tier, j.t, j.k, j.plan_version, j.payload
      from judged as j join stored as s on s.pos = j.pos
     order by j.k
  ), counted as (
    -- Rejections are counted per day, site, event, reason and field, upserted in a fixed order.
    -- Counters keep only names the taxonomy knows (the event id, a property of that event), else
    -- '<unknown>': never a name the caller chose (an unknown key can spell out a person). The
    -- event's schema is read only for a rejection that names a field (rare, and large to read).
    insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected)
    select (now() at time zone 'UTC')::date, caller_site, b.e, b.r, b.f, count(*)
      from (select coalesce(j.known_event, '<unknown>') as e, j.reason as r,
                   case when j.field is null then ''
                        when exists (select from analytics.event_types as et
                                      where et.id = j.known_event and (et.payload_schema -> 'properties') ? j.field)
                          then j.field
                        else '<unknown>' end as f
              from judged as j where j.reason is not null) as b
     group by b.e, b.r, b.f
     order by b.e, b.r, b.f
    on conflict on constraint rejections_counter_key
      do update set rejected = r.rejected + excluded.rejected, last_seen = now()
  )
  -- One entry per input, in input order.
  select coalesce(jsonb_agg(case
           when j.reason is not null then jsonb_strip_nulls(jsonb_build_object('index', j.pos, 'status', 'rejected',
             'reason', j.reason, 'field', j.field))
           else jsonb_build_object('index', j.pos,
             'status', case when s.pos is null then 'duplicate' else 'accepted' end, 'reason', null)
         end order by j.pos), '[]'::jsonb)
    into result
    from judged as j left join stored as s on s.pos = j.pos;
  return result;
end
$fn$;

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

create index if not exists kpi_clinic_team_onboarding_steps_actor_idx on analytics_private.kpi_clinic_team_onboarding_steps (site_id, actor_hash, occurred_at);

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

create index if not exists kpi_trial_activation_to_conversion_steps_actor_idx on analytics_private.kpi_trial_activation_to_conversion_steps (site_id, actor_hash, occurred_at);

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

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_steps_actor_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (site_id, actor_hash, occurred_at);

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

create index if not exists kpi_upgrade_prompt_to_trial_steps_actor_idx on analytics_private.kpi_upgrade_prompt_to_trial_steps (site_id, actor_hash, occurred_at);

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

-- KPI clinic_team_onboarding
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

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

-- KPI weekly_signup_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';
