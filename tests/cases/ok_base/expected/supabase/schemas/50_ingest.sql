-- Ingestion: analytics.track_events(events jsonb) -> one result per input, in order.
-- The exposed function is SECURITY INVOKER; the privileged work happens in the
-- private definer function, which trusts only the JWT for site, tier and actor.

create or replace function analytics_private.track_events(events jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
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
  entries jsonb[] := '{}';
  ok_pos integer[] := '{}';
  ok_key uuid[] := '{}';
  ok_event text[] := '{}';
  ok_time timestamptz[] := '{}';
  ok_plan text[] := '{}';
  ok_payload jsonb[] := '{}';
  stored_pos integer[];
  bad_event text[] := '{}';
  bad_reason text[] := '{}';
  bad_field text[] := '{}';
  item jsonb;
  position integer := -1;
  v_reason text;
  v_field text;
  event_name text;
  event_tier text;
  event_status text;
  event_rank integer;
  event_is_system boolean;
  happened timestamptz;
  client_key uuid;
  problem text;
  bad_network boolean := false;
  known_event text;
  known_field text;
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

  for item in select e.value from jsonb_array_elements(events) with ordinality as e (value, n) order by e.n loop
    position := position + 1;
    v_reason := batch_reason;
    v_field := null;
    event_name := null;
    happened := null;
    client_key := null;

    if v_reason is null and jsonb_typeof(item) is distinct from 'object' then
      v_reason := 'not_an_object';
    end if;
    if v_reason is null then
      select k into v_field from jsonb_object_keys(item) as k
        where not (k = any (array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[])) order by k limit 1;
      if v_field is not null then
        v_reason := 'unknown_envelope_field';
      end if;
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'event_id') is distinct from 'string' then
        v_reason := 'missing_event_id';
      else
        event_name := item ->> 'event_id';
        select et.tier, et.status, t.rank, t.is_system
          into event_tier, event_status, event_rank, event_is_system
          from analytics.event_types as et join analytics.tiers as t on t.name = et.tier
          where et.id = event_name;
        if not found then
          v_reason := 'unknown_event';
        elsif event_status <> 'active' then
          v_reason := 'deprecated_event';
        elsif not event_is_system and event_rank > caller_rank then
          v_reason := 'tier_not_allowed';
        end if;
      end if;
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'idempotency_key') is distinct from 'string'
         or (item ->> 'idempotency_key') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
        v_reason := 'bad_idempotency_key';
      else
        client_key := (item ->> 'idempotency_key')::uuid;
      end if;
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'occurred_at') is distinct from 'string'
         or (item ->> 'occurred_at') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$'
         or not analytics_private.is_timestamp(item ->> 'occurred_at') then
        v_reason := 'bad_timestamp';
      else
        happened := (item ->> 'occurred_at')::timestamptz;
        if happened > now() + interval '5 minutes' then
          v_reason := 'timestamp_in_future';
        elsif happened < now() - interval '7 days' then
          v_reason := 'timestamp_too_old';
        end if;
      end if;
    end if;
    if v_reason is null and item ? 'plan_version' and (
         jsonb_typeof(item -> 'plan_version') is distinct from 'string'
         or (item ->> 'plan_version') !~ '^[A-Za-z0-9._-]{1,64}$') then
      v_reason := 'bad_plan_version';
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'payload') is distinct from 'object' then
        v_reason := 'payload_not_object';
      elsif octet_length((item -> 'payload')::text) > 4096 then
        v_reason := 'payload_too_large';
      else
        problem := analytics_private.payload_problem(event_name, item -> 'payload');
        if problem is not null then
          v_reason := split_part(problem, ':', 1);
          v_field := nullif(split_part(problem, ':', 2), '');
        end if;
      end if;
    end if;

    if v_reason is null then
      -- valid: stored after the loop, in one statement, so concurrent batches take key locks in the same order
      ok_pos := ok_pos || position;
      ok_key := ok_key || client_key;
      ok_event := ok_event || event_name;
      ok_time := ok_time || happened;
      ok_plan := ok_plan || (item ->> 'plan_version');
      ok_payload := ok_payload || (item -> 'payload');
      entries := array_append(entries, null::jsonb);
      continue;
    end if;

    -- Counters keep only names the taxonomy knows (the event id, a property of that event), else
    -- '<unknown>': never a name the caller chose (an unknown key can spell out a person).
    select et.id, case when (et.payload_schema -> 'properties') ? v_field then v_field end
      into known_event, known_field
      from analytics.event_types as et where et.id = event_name;
    bad_event := bad_event || coalesce(known_event, '<unknown>');
    bad_reason := bad_reason || v_reason;
    bad_field := bad_field || case when v_field is null then '' else coalesce(known_field, '<unknown>') end;
    entries := entries || jsonb_strip_nulls(
      jsonb_build_object('index', position, 'status', 'rejected', 'reason', v_reason, 'field', v_field));
  end loop;

  -- The first occurrence of each new key wins; keys are inserted in key order (no deadlock between retries).
  with candidates as (
    select c.pos, c.k, c.t from unnest(ok_pos, ok_key, ok_time) as c (pos, k, t)
  ), firsts as (
    select distinct on (k) pos, k, t from candidates order by k, pos
  ), inserted as (
    insert into analytics_private.event_keys (site_id, idempotency_key, occurred_at)
    select caller_site, f.k, f.t from firsts as f order by f.k
    on conflict do nothing
    returning idempotency_key
  )
  select coalesce(array_agg(f.pos), '{}') into stored_pos
    from firsts as f join inserted as i on i.idempotency_key = f.k;

  insert into analytics_private.events
    (event_id, site_id, network_id, actor_hash, actor_tier, occurred_at, idempotency_key, plan_version, payload)
  select v.e, caller_site, caller_network, actor, caller_tier, v.t, v.k, v.pv, v.p
    from unnest(ok_pos, ok_event, ok_key, ok_time, ok_plan, ok_payload) as v (pos, e, k, t, pv, p)
    where v.pos = any (stored_pos)
    order by v.k;

  for i in 1 .. coalesce(array_length(ok_pos, 1), 0) loop
    entries[ok_pos[i] + 1] := jsonb_build_object(
      'index', ok_pos[i], 'status', case when ok_pos[i] = any (stored_pos) then 'accepted' else 'duplicate' end,
      'reason', null);
  end loop;

  -- Rejections are counted per day, site, event, reason and field, upserted in a fixed order.
  insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected)
  select (now() at time zone 'UTC')::date, caller_site, b.e, b.r, b.f, count(*)
    from unnest(bad_event, bad_reason, bad_field) as b (e, r, f)
    group by b.e, b.r, b.f
    order by b.e, b.r, b.f
  on conflict on constraint rejections_counter_key
    do update set rejected = r.rejected + excluded.rejected, last_seen = now();

  return to_jsonb(entries);
end
$fn$;

create or replace function analytics.track_events(events jsonb)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $fn$
  select analytics_private.track_events(events);
$fn$;
comment on function analytics.track_events(jsonb) is
  'Send a batch of events: [{event_id, occurred_at, idempotency_key, payload, plan_version}]. Returns [{index, status, reason, field}] in input order.';

create or replace function analytics.plan_version()
returns text
language sql
immutable
security invoker
set search_path = ''
as $fn$
  select '13e864fc91fb'::text;
$fn$;

revoke all on function analytics_private.track_events(jsonb) from public, anon, authenticated;
revoke all on function analytics.track_events(jsonb) from public, anon, authenticated;
revoke all on function analytics.plan_version() from public, anon, authenticated;
grant execute on function analytics_private.track_events(jsonb) to authenticated, service_role;
grant execute on function analytics.track_events(jsonb) to authenticated, service_role;
grant execute on function analytics.plan_version() to anon, authenticated, service_role;

-- Counters written before only taxonomy names were kept: fold any other event id or field into
-- '<unknown>' (a no-op once done; counts are kept).
with scrubbed as (
  delete from analytics_private.rejections as r
  where (r.event_id <> '<unknown>'
         and not exists (select from analytics.event_types as et where et.id = r.event_id))
     or (r.field not in ('', '<unknown>')
         and not exists (select from analytics.event_types as et
                         where et.id = r.event_id and (et.payload_schema -> 'properties') ? r.field))
  returning r.day, r.site_id, r.event_id, r.reason, r.field, r.rejected, r.last_seen
), renamed as (
  select s.day, s.site_id, coalesce(et.id, '<unknown>') as event_id, s.reason,
         case when s.field = '' then ''
              when (et.payload_schema -> 'properties') ? s.field then s.field
              else '<unknown>' end as field,
         s.rejected, s.last_seen
  from scrubbed as s left join analytics.event_types as et on et.id = s.event_id
)
insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected, last_seen)
select n.day, n.site_id, n.event_id, n.reason, n.field, sum(n.rejected), max(n.last_seen)
  from renamed as n
  group by n.day, n.site_id, n.event_id, n.reason, n.field
  order by n.day, n.site_id, n.event_id, n.reason, n.field
on conflict on constraint rejections_counter_key
  do update set rejected = r.rejected + excluded.rejected, last_seen = greatest(r.last_seen, excluded.last_seen);
