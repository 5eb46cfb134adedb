-- trackgen migration 20261201072111: core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';
create or replace function analytics_private.track_events(events jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
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
