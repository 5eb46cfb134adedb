-- trackgen migration 20261201054728: core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';
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
  ok_pos integer[];
  ok_key uuid[];
  ok_event text[];
  ok_time timestamptz[];
  ok_plan text[];
  ok_payload jsonb[];
  stored_pos integer[];
  bad_pos integer[];
  bad_reason text[];
  bad_field text[];
  bad_event_label text[];
  bad_field_label text[];
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

  -- Every item is checked in one statement (set-based: a PL/pgSQL loop over the items cost about
  -- three quarters of the call, see docs/ingestion.md). Per item, the first failing check in
  -- this order gives the reason, as the README's list of reason codes says: each CASE branch
  -- is evaluated only when the ones before it were false, so a cast never sees a value an
  -- earlier check refused. The payload check runs only for items that passed everything else.
  with items as (
    select (e.n - 1)::integer as pos, e.value as item,
           jsonb_typeof(e.value) = 'object' as is_object
      from jsonb_array_elements(events) with ordinality as e (value, n)
  ), envelope as (
    select i.*, x.k as stray_key,
           case when batch_reason is null and i.is_object and x.k is null
                     and jsonb_typeof(i.item -> 'event_id') = 'string'
                then i.item ->> 'event_id' end as event_name
      from items as i
      left join lateral (
        select k from jsonb_object_keys(case when i.is_object then i.item end) as k
         where not (k = any (array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[])) order by k limit 1) as x on true
  ), checked as materialized (
    select v.pos, v.item, v.stray_key, v.event_name, et.id as known_event,
           et.payload_schema -> 'properties' as known_properties,
           case
             when batch_reason is not null then batch_reason
             when not v.is_object then 'not_an_object'
             when v.stray_key is not null then 'unknown_envelope_field'
             when v.event_name is null then 'missing_event_id'
             when et.id is null then 'unknown_event'
             when et.status <> 'active' then 'deprecated_event'
             when not t.is_system and t.rank > caller_rank then 'tier_not_allowed'
             when jsonb_typeof(v.item -> 'idempotency_key') is distinct from 'string' then 'bad_idempotency_key'
             when (v.item ->> 'idempotency_key') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then 'bad_idempotency_key'
             when jsonb_typeof(v.item -> 'occurred_at') is distinct from 'string' then 'bad_timestamp'
             when (v.item ->> 'occurred_at') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$' then 'bad_timestamp'
             when not analytics_private.is_timestamp(v.item ->> 'occurred_at') then 'bad_timestamp'
             when (v.item ->> 'occurred_at')::timestamptz > now() + interval '5 minutes' then 'timestamp_in_future'
             when (v.item ->> 'occurred_at')::timestamptz < now() - interval '7 days' then 'timestamp_too_old'
             when not (v.item ? 'plan_version') then null
             when jsonb_typeof(v.item -> 'plan_version') is distinct from 'string' then 'bad_plan_version'
             when (v.item ->> 'plan_version') !~ '^[A-Za-z0-9._-]{1,64}$' then 'bad_plan_version'
           end as envelope_reason
      from envelope as v
      left join analytics.event_types as et on et.id = v.event_name
      left join analytics.tiers as t on t.name = et.tier
  ), payload as materialized (
    select c.*,
           case
             when c.envelope_reason is not null then null
             when jsonb_typeof(c.item -> 'payload') is distinct from 'object' then 'payload_not_object'
             when octet_length((c.item -> 'payload')::text) > 4096 then 'payload_too_large'
             else analytics_private.payload_problem(c.event_name, c.item -> 'payload')
           end as payload_result
      from checked as c
  ), judged as (
    select p.pos, p.item, p.event_name, p.known_event, p.known_properties,
           coalesce(p.envelope_reason, split_part(p.payload_result, ':', 1)) as reason,
           case
             when p.envelope_reason = 'unknown_envelope_field' then p.stray_key
             when p.envelope_reason is null then nullif(split_part(p.payload_result, ':', 2), '')
           end as field
      from payload as p
  )
  select array_agg(j.pos order by j.pos) filter (where j.reason is null),
         array_agg((j.item ->> 'idempotency_key')::uuid order by j.pos) filter (where j.reason is null),
         array_agg(j.event_name order by j.pos) filter (where j.reason is null),
         array_agg((j.item ->> 'occurred_at')::timestamptz order by j.pos) filter (where j.reason is null),
         array_agg(j.item ->> 'plan_version' order by j.pos) filter (where j.reason is null),
         array_agg(j.item -> 'payload' order by j.pos) filter (where j.reason is null),
         array_agg(j.pos order by j.pos) filter (where j.reason is not null),
         array_agg(j.reason order by j.pos) filter (where j.reason is not null),
         array_agg(j.field order by j.pos) filter (where j.reason is not null),
         -- Counters keep only names the taxonomy knows (the event id, a property of that event), else
         -- '<unknown>': never a name the caller chose (an unknown key can spell out a person).
         array_agg(coalesce(j.known_event, '<unknown>') order by j.pos) filter (where j.reason is not null),
         array_agg(case when j.field is null then ''
                        when j.known_properties ? j.field then j.field
                        else '<unknown>' end order by j.pos) filter (where j.reason is not null)
    into ok_pos, ok_key, ok_event, ok_time, ok_plan, ok_payload,
         bad_pos, bad_reason, bad_field, bad_event_label, bad_field_label
    from judged as j;

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
    join unnest(stored_pos) as s (pos) on s.pos = v.pos
    order by v.k;

  -- Rejections are counted per day, site, event, reason and field, upserted in a fixed order.
  insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected)
  select (now() at time zone 'UTC')::date, caller_site, b.e, b.r, b.f, count(*)
    from unnest(bad_event_label, bad_reason, bad_field_label) as b (e, r, f)
    group by b.e, b.r, b.f
    order by b.e, b.r, b.f
  on conflict on constraint rejections_counter_key
    do update set rejected = r.rejected + excluded.rejected, last_seen = now();

  -- One entry per input, in input order.
  select coalesce(jsonb_agg(x.entry order by x.pos), '[]'::jsonb) into result
    from (
      select o.pos, jsonb_build_object('index', o.pos,
               'status', case when s.pos is null then 'duplicate' else 'accepted' end, 'reason', null) as entry
        from unnest(ok_pos) as o (pos)
        left join unnest(stored_pos) as s (pos) on s.pos = o.pos
      union all
      select b.pos, jsonb_strip_nulls(jsonb_build_object('index', b.pos, 'status', 'rejected',
               'reason', b.r, 'field', b.f))
        from unnest(bad_pos, bad_reason, bad_field) as b (pos, r, f)
    ) as x;
  return result;
end
$fn$;
