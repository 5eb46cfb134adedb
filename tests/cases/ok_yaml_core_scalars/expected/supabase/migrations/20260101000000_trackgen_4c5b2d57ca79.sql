-- trackgen migration 20260101000000: events consumer.consent_answered, system.page_loaded; KPIs consent_refusals; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set statement_timeout = '5min';
-- KPI refreshes take this lock shared: wait for the running ones; new ones skip their run until this commits.
set lock_timeout = '5min';
select pg_advisory_xact_lock(hashtextextended('trackgen.migrations', 0));
set lock_timeout = '5s';
create extension if not exists pgcrypto with schema extensions;

create extension if not exists pg_cron;

create schema if not exists analytics;
comment on schema analytics is 'yaml-core: analytics exposed to the API (views, RPC)';
revoke all on schema analytics from public;
grant usage on schema analytics to anon, authenticated, service_role;

create schema if not exists analytics_private;
comment on schema analytics_private is 'yaml-core: analytics storage and definer code; never granted to API roles';
revoke all on schema analytics_private from public;
grant usage on schema analytics_private to authenticated, service_role;

-- nothing created here later is reachable by default: every grant is explicit
do $defaults$
begin
  alter default privileges in schema analytics, analytics_private revoke all on tables from public, anon, authenticated;
  alter default privileges in schema analytics, analytics_private revoke all on sequences from public, anon, authenticated;
  alter default privileges in schema analytics, analytics_private revoke all on functions from public, anon, authenticated;
  if exists (select from pg_catalog.pg_roles as r
             where r.rolname = 'postgres' and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')) then
    alter default privileges for role postgres in schema analytics, analytics_private revoke all on tables from public, anon, authenticated;
    alter default privileges for role postgres in schema analytics, analytics_private revoke all on sequences from public, anon, authenticated;
    alter default privileges for role postgres in schema analytics, analytics_private revoke all on functions from public, anon, authenticated;
  end if;
  if exists (select from pg_catalog.pg_roles as r
             where r.rolname = 'supabase_admin' and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')) then
    alter default privileges for role supabase_admin in schema analytics, analytics_private revoke all on tables from public, anon, authenticated;
    alter default privileges for role supabase_admin in schema analytics, analytics_private revoke all on sequences from public, anon, authenticated;
    alter default privileges for role supabase_admin in schema analytics, analytics_private revoke all on functions from public, anon, authenticated;
  end if;
end
$defaults$;

create table if not exists analytics.tiers (
  name text check (name ~ '^[a-z][a-z0-9_]*$'),
  rank integer not null,
  is_system boolean not null default false,
  description text not null,
  constraint tiers_pkey primary key (name)
);
comment on table analytics.tiers is 'Caller tiers, lowest rank first; system events are accepted from any tier.';
alter table analytics.tiers enable row level security;
revoke all on analytics.tiers from public, anon, authenticated;
grant select on analytics.tiers to anon, authenticated;
grant all on analytics.tiers to service_role;

create table if not exists analytics.event_types (
  id text check (id ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9]*(_[a-z0-9]+)+$'),
  tier text not null references analytics.tiers (name),
  description text not null,
  owner text not null,
  status text not null check (status in ('active', 'deprecated')),
  schema_version text not null check (schema_version ~ '^[1-9][0-9]*-[0-9]+-[0-9]+$'),
  replaced_by text references analytics.event_types (id),
  payload_schema jsonb not null,
  constraint event_types_pkey primary key (id)
);
comment on table analytics.event_types is 'Controlled event ids; events reference this table. Never deleted, only deprecated.';
alter table analytics.event_types enable row level security;
revoke all on analytics.event_types from public, anon, authenticated;
grant select on analytics.event_types to anon, authenticated;
grant all on analytics.event_types to service_role;

create index if not exists event_types_tier_idx on analytics.event_types (tier);

insert into analytics.tiers (name, rank, is_system, description) values
  ('consumer', 1, false, 'Free plan with self-care tools anyone can use.'),
  ('system', 2, true, 'Platform events accepted from a caller of any tier.')
on conflict (name) do update
  set rank = excluded.rank, is_system = excluded.is_system, description = excluded.description;

-- event consumer.consent_answered
insert into analytics.event_types (id, tier, description, owner, status, schema_version, replaced_by, payload_schema) values
  ('consumer.consent_answered', 'consumer', 'The data-sharing consent question was answered.', 'privacy', 'active', '1-0-0', null, '{"$id":"urn:trackgen:yaml-core:event:consumer.consent_answered:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"The data-sharing consent question was answered.","examples":[{"answer":"no","effective_from":"2024-01-01","reminders":"off"},{"answer":"yes","effective_from":"2024-02-29","reminders":"on"}],"properties":{"answer":{"description":"The answer as shown on the button (yes and no stay strings).","enum":["yes","no"],"type":"string"},"effective_from":{"description":"Day the answer applies from (a plain date stays a string).","format":"date","type":"string"},"reminders":{"description":"Reminder switch position (on and off stay strings).","enum":["on","off"],"type":"string"}},"required":["answer","effective_from","reminders"],"title":"consumer.consent_answered","type":"object","x-trackgen":{"owner":"privacy","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('system.page_loaded', 'system', 'A page finished loading in the web client.', 'platform-reliability', 'active', '1-0-0', null, '{"$id":"urn:trackgen:yaml-core:event:system.page_loaded:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A page finished loading in the web client.","examples":[{"cached":true,"load_ms":350.5},{"cached":false,"load_ms":1000.0}],"properties":{"cached":{"description":"True when the page came from the service worker cache.","type":"boolean"},"load_ms":{"description":"Time to interactive in milliseconds (bounds in exponent notation).","maximum":15000.0,"minimum":0,"type":"number"}},"required":["cached","load_ms"],"title":"system.page_loaded","type":"object","x-trackgen":{"owner":"platform-reliability","status":"active","tier":"system","version":"1-0-0"}}'::jsonb)
on conflict (id) do update
  set description = excluded.description, owner = excluded.owner, status = excluded.status, schema_version = excluded.schema_version, replaced_by = excluded.replaced_by, payload_schema = excluded.payload_schema;

drop policy if exists tiers_read on analytics.tiers;
create policy tiers_read on analytics.tiers for select to anon, authenticated
  using (true);

drop policy if exists tiers_service on analytics.tiers;
create policy tiers_service on analytics.tiers for all to service_role
  using (true) with check (true);

drop policy if exists event_types_read on analytics.event_types;
create policy event_types_read on analytics.event_types for select to anon, authenticated
  using (true);

drop policy if exists event_types_service on analytics.event_types;
create policy event_types_service on analytics.event_types for all to service_role
  using (true) with check (true);

create table if not exists analytics_private.secrets (
  name text,
  value bytea not null,
  constraint secrets_pkey primary key (name)
);
comment on table analytics_private.secrets is 'Per-deployment secrets, made at migration time and never leaving the database.';
alter table analytics_private.secrets enable row level security;
revoke all on analytics_private.secrets from public, anon, authenticated;
grant all on analytics_private.secrets to service_role;

insert into analytics_private.secrets (name, value) values
  ('actor_hmac_key', extensions.gen_random_bytes(32))
on conflict (name) do nothing;

create table if not exists analytics_private.events (
  event_id text not null references analytics.event_types (id),
  site_id uuid not null,
  network_id uuid,
  actor_hash bytea not null,
  actor_tier text not null references analytics.tiers (name),
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  idempotency_key uuid not null,
  plan_version text,
  payload jsonb not null,
  -- the writing transaction: rollups read up to the oldest running one, so late commits are never skipped
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint events_pkey primary key (site_id, idempotency_key, occurred_at)
) partition by range (occurred_at);
comment on table analytics_private.events is 'Accepted events, one row each; partitioned by month, default partition catches the rest.';
alter table analytics_private.events enable row level security;
revoke all on analytics_private.events from public, anon, authenticated;
grant all on analytics_private.events to service_role;

create table if not exists analytics_private.events_default partition of analytics_private.events default;
alter table analytics_private.events_default enable row level security;
revoke all on analytics_private.events_default from public, anon, authenticated;
grant all on analytics_private.events_default to service_role;

create index if not exists events_site_time_idx on analytics_private.events (site_id, occurred_at);

create index if not exists events_event_time_idx on analytics_private.events (event_id, occurred_at);

create index if not exists events_ingest_xid_idx on analytics_private.events (ingest_xid);

create table if not exists analytics_private.event_keys (
  site_id uuid not null,
  idempotency_key uuid not null,
  occurred_at timestamptz not null,
  constraint event_keys_pkey primary key (site_id, idempotency_key)
);
comment on table analytics_private.event_keys is 'Idempotency: one row per client key and site, whatever the partition of the event.';
alter table analytics_private.event_keys enable row level security;
revoke all on analytics_private.event_keys from public, anon, authenticated;
grant all on analytics_private.event_keys to service_role;

create index if not exists event_keys_time_idx on analytics_private.event_keys (occurred_at);

create table if not exists analytics_private.rejections (
  day date not null,
  site_id uuid,
  event_id text not null,
  reason text not null,
  field text not null default '',
  rejected bigint not null default 0,
  last_seen timestamptz not null default now(),
  constraint rejections_counter_key unique nulls not distinct (day, site_id, event_id, reason, field)
);
comment on table analytics_private.rejections is 'Rejections counted by day, site, event id and reason; payload values are never kept.';
alter table analytics_private.rejections enable row level security;
revoke all on analytics_private.rejections from public, anon, authenticated;
grant all on analytics_private.rejections to service_role;

drop policy if exists event_keys_service on analytics_private.event_keys;
create policy event_keys_service on analytics_private.event_keys for all to service_role
  using (true) with check (true);

drop policy if exists events_service on analytics_private.events;
create policy events_service on analytics_private.events for all to service_role
  using (true) with check (true);

drop policy if exists events_default_service on analytics_private.events_default;
create policy events_default_service on analytics_private.events_default for all to service_role
  using (true) with check (true);

drop policy if exists rejections_service on analytics_private.rejections;
create policy rejections_service on analytics_private.rejections for all to service_role
  using (true) with check (true);

drop policy if exists secrets_service on analytics_private.secrets;
create policy secrets_service on analytics_private.secrets for all to service_role
  using (true) with check (true);

drop policy if exists events_own_site on analytics_private.events;
create policy events_own_site on analytics_private.events for select to authenticated
  using (site_id = ((select auth.jwt()) #>> '{app_metadata,site_id}')::uuid);

create or replace function analytics_private.ensure_event_partitions(months_ahead integer default 3)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
set timezone = 'UTC'
as $fn$
declare
  first_month date := date_trunc('month', now() at time zone 'UTC')::date;
  month_start date;
  month_end date;
  part text;
  made integer := 0;
begin
  -- one maintenance run at a time; a concurrent run waits, then finds the work done
  perform pg_advisory_xact_lock(hashtext('analytics_private.ensure_event_partitions'));
  for i in 0 .. greatest(months_ahead, 0) loop
    month_start := (first_month + make_interval(months => i))::date;
    month_end := (month_start + interval '1 month')::date;
    part := 'events_' || to_char(month_start, 'YYYY_MM');
    continue when to_regclass(format('%I.%I', 'analytics_private', part)) is not null;
    execute format('create table %I.%I (like %I.events including defaults)', 'analytics_private', part, 'analytics_private');
    execute format(
      'with moved as (delete from %I.events_default where occurred_at >= %L::timestamptz and occurred_at < %L::timestamptz returning *) '
      'insert into %I.%I select * from moved',
      'analytics_private', month_start::text || ' 00:00:00+00', month_end::text || ' 00:00:00+00', 'analytics_private', part);
    execute format('alter table %I.events attach partition %I.%I for values from (%L) to (%L)',
      'analytics_private', 'analytics_private', part, month_start::text || ' 00:00:00+00', month_end::text || ' 00:00:00+00');
    execute format('alter table %I.%I enable row level security', 'analytics_private', part);
    execute format('revoke all on table %I.%I from public, anon, authenticated', 'analytics_private', part);
    execute format('grant all on table %I.%I to service_role', 'analytics_private', part);
    execute format('create policy %I on %I.%I for all to service_role using (true) with check (true)',
      part || '_service', 'analytics_private', part);
    made := made + 1;
  end loop;
  return made;
end
$fn$;
comment on function analytics_private.ensure_event_partitions(integer) is 'Monthly event partitions, made ahead of time by a pg_cron job; rows that reached the default partition for a month move into the new partition.';
revoke all on function analytics_private.ensure_event_partitions(integer) from public, anon, authenticated;
grant execute on function analytics_private.ensure_event_partitions(integer) to service_role;

-- the partitions for this month and the next ones
select analytics_private.ensure_event_partitions();

create or replace function analytics_private.is_timestamp(value text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  perform value::timestamptz;
  return true;
exception when others then
  return false;
end
$fn$;
revoke all on function analytics_private.is_timestamp(text) from public, anon, authenticated;

create or replace function analytics_private.is_date(value text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  y integer;
  m integer;
  d integer;
begin
  -- the common case without a subtransaction: four, two and two digits, checked by arithmetic
  -- against the proleptic Gregorian calendar PostgreSQL uses (years 0001-9999, as to_date below)
  if value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    y := substr(value, 1, 4)::integer;
    m := substr(value, 6, 2)::integer;
    d := substr(value, 9, 2)::integer;
    return y >= 1 and m between 1 and 12 and d between 1 and case
      when m = 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
      when m in (4, 6, 9, 11) then 30
      else 31 end;
  end if;
  perform to_date(value, 'YYYY-MM-DD');
  return to_char(to_date(value, 'YYYY-MM-DD'), 'YYYY-MM-DD') = value;
exception when others then
  return false;
end
$fn$;
revoke all on function analytics_private.is_date(text) from public, anon, authenticated;

-- event consumer.consent_answered
create or replace function analytics_private.check_consumer__consent_answered(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['answer', 'effective_from', 'reminders']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['answer', 'effective_from', 'reminders']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'answer') then 'missing_property:answer'
      when not (p ? 'effective_from') then 'missing_property:effective_from'
      when not (p ? 'reminders') then 'missing_property:reminders' end,
    case when p ? 'answer' then case
      when jsonb_typeof(p -> 'answer') is distinct from 'string' then 'wrong_type:answer'
      when not ((p ->> 'answer') = any (array['yes', 'no']::text[])) then 'bad_enum:answer' end end,
    case when p ? 'effective_from' then case
      when jsonb_typeof(p -> 'effective_from') is distinct from 'string' then 'wrong_type:effective_from'
      when (p ->> 'effective_from') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' or not analytics_private.is_date((p ->> 'effective_from')) then 'bad_format:effective_from' end end,
    case when p ? 'reminders' then case
      when jsonb_typeof(p -> 'reminders') is distinct from 'string' then 'wrong_type:reminders'
      when not ((p ->> 'reminders') = any (array['on', 'off']::text[])) then 'bad_enum:reminders' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__consent_answered(jsonb) is 'Payload check of consumer.consent_answered: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__consent_answered(jsonb) from public, anon, authenticated;

-- event system.page_loaded
create or replace function analytics_private.check_system__page_loaded(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cached', 'load_ms']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cached', 'load_ms']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'cached') then 'missing_property:cached'
      when not (p ? 'load_ms') then 'missing_property:load_ms' end,
    case when p ? 'cached' then case
      when jsonb_typeof(p -> 'cached') is distinct from 'boolean' then 'wrong_type:cached' end end,
    case when p ? 'load_ms' then case
      when jsonb_typeof(p -> 'load_ms') is distinct from 'number' then 'wrong_type:load_ms'
      when ((p ->> 'load_ms'))::numeric < 0 then 'out_of_range:load_ms'
      when ((p ->> 'load_ms'))::numeric > 15000.0 then 'out_of_range:load_ms' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__page_loaded(jsonb) is 'Payload check of system.page_loaded: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__page_loaded(jsonb) from public, anon, authenticated;

create or replace function analytics_private.payload_problem(event_id text, p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  case event_id
    when 'consumer.consent_answered' then return analytics_private.check_consumer__consent_answered(p);
    when 'system.page_loaded' then return analytics_private.check_system__page_loaded(p);
    else return 'unknown_event';
  end case;
end
$fn$;
comment on function analytics_private.payload_problem(text, jsonb) is 'Dispatch by event id; unknown ids never reach here.';
revoke all on function analytics_private.payload_problem(text, jsonb) from public, anon, authenticated;

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
comment on function analytics_private.track_events(jsonb) is 'The privileged part of track_events: trusts only the JWT for site, tier and actor.';
revoke all on function analytics_private.track_events(jsonb) from public, anon, authenticated;
grant execute on function analytics_private.track_events(jsonb) to authenticated, service_role;

create or replace function analytics.track_events(events jsonb)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $fn$
  select analytics_private.track_events(events);
$fn$;
comment on function analytics.track_events(jsonb) is 'Send a batch of events: [{event_id, occurred_at, idempotency_key, payload, plan_version}]. Returns [{index, status, reason, field}] in input order.';
revoke all on function analytics.track_events(jsonb) from public, anon, authenticated;
grant execute on function analytics.track_events(jsonb) to authenticated, service_role;

create or replace function analytics.plan_version()
returns text
language sql
immutable
security invoker
set search_path = ''
as $fn$
  select '4c5b2d57ca79'::text;
$fn$;
comment on function analytics.plan_version() is 'The tracking plan version the database accepts.';
revoke all on function analytics.plan_version() from public, anon, authenticated;
grant execute on function analytics.plan_version() to anon, authenticated, service_role;

-- rejection counters keep only names the taxonomy knows
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

create table if not exists analytics_private.kpi_watermarks (
  kpi text,
  next_xid xid8 not null default '0'::xid8,
  refreshed_at timestamptz,
  constraint kpi_watermarks_pkey primary key (kpi)
);
comment on table analytics_private.kpi_watermarks is 'Per KPI: the lowest ingest_xid its rollups have not read yet.';
alter table analytics_private.kpi_watermarks enable row level security;
revoke all on analytics_private.kpi_watermarks from public, anon, authenticated;
grant all on analytics_private.kpi_watermarks to service_role;

drop policy if exists kpi_watermarks_service on analytics_private.kpi_watermarks;
create policy kpi_watermarks_service on analytics_private.kpi_watermarks for all to service_role
  using (true) with check (true);

create table if not exists analytics_private.kpi_event_sets (
  set_name text not null,
  event_id text not null references analytics.event_types (id),
  constraint kpi_event_sets_pkey primary key (set_name, event_id)
);
comment on table analytics_private.kpi_event_sets is 'The events each KPI selection reads (wildcards expanded); a refresh joins it.';
alter table analytics_private.kpi_event_sets enable row level security;
revoke all on analytics_private.kpi_event_sets from public, anon, authenticated;
grant all on analytics_private.kpi_event_sets to service_role;

drop policy if exists kpi_event_sets_service on analytics_private.kpi_event_sets;
create policy kpi_event_sets_service on analytics_private.kpi_event_sets for all to service_role
  using (true) with check (true);

create or replace function analytics_private.kpi_caller_site()
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return (auth.jwt() #>> '{app_metadata,site_id}')::uuid;
exception when invalid_text_representation then
  return null;
end
$fn$;
comment on function analytics_private.kpi_caller_site() is 'The caller''s site from the JWT (null when absent or malformed).';
revoke all on function analytics_private.kpi_caller_site() from public, anon, authenticated;
grant execute on function analytics_private.kpi_caller_site() to service_role;

create or replace function analytics_private.kpi_caller_network()
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return (auth.jwt() #>> '{app_metadata,network_id}')::uuid;
exception when invalid_text_representation then
  return null;
end
$fn$;
comment on function analytics_private.kpi_caller_network() is 'The caller''s network from the JWT (null when absent or malformed).';
revoke all on function analytics_private.kpi_caller_network() from public, anon, authenticated;
grant execute on function analytics_private.kpi_caller_network() to service_role;

create or replace function analytics_private.kpi_caller_reads_network()
returns boolean
language sql
stable
security invoker
set search_path = ''
as $fn$
  select coalesce(
    current_setting('role', true) = 'service_role' or session_user = 'service_role'
    or ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['consumer']::text[]),
    false);
$fn$;
comment on function analytics_private.kpi_caller_reads_network() is 'Network views are for the network tier and service_role, for their own network.';
revoke all on function analytics_private.kpi_caller_reads_network() from public, anon, authenticated;
grant execute on function analytics_private.kpi_caller_reads_network() to service_role;

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

-- KPI consent_refusals
insert into analytics_private.kpi_event_sets (set_name, event_id) values
  ('consent_refusals', 'consumer.consent_answered')
on conflict (set_name, event_id) do nothing;

create or replace function analytics_private.kpi_freshness()
returns table (kpi text, live text, refreshed_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
  select k.kpi, k.live, (select min(w.refreshed_at) from analytics_private.kpi_watermarks as w where w.kpi = any (k.stored))
  from (values
    ('consent_refusals', 'exact', array['consent_refusals']::text[], array['consumer']::text[])) as k (kpi, live, stored, readers)
  where (select analytics_private.kpi_caller_site()) is not null
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (k.readers)
  order by k.kpi;
$fn$;
comment on function analytics_private.kpi_freshness() is 'Per KPI the caller may read: live = ''exact'' when its kpi_<name>_live read includes events not yet refreshed, ''refreshed'' when it returns refreshed cells only; refreshed_at: its (or its inputs'', the oldest) last refresh.';
revoke all on function analytics_private.kpi_freshness() from public, anon, authenticated;
grant execute on function analytics_private.kpi_freshness() to authenticated, service_role;

create or replace function analytics.kpi_freshness()
returns table (kpi text, live text, refreshed_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_freshness();
$fn$;
comment on function analytics.kpi_freshness() is 'Per KPI the caller may read: live = ''exact'' when its kpi_<name>_live read includes events not yet refreshed, ''refreshed'' when it returns refreshed cells only; refreshed_at: its (or its inputs'', the oldest) last refresh.';
revoke all on function analytics.kpi_freshness() from public, anon, authenticated;
grant execute on function analytics.kpi_freshness() to authenticated, service_role;

-- KPI consent_refusals
insert into analytics_private.kpi_watermarks (kpi) values
  ('consent_refusals')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_consent_refusals_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consent_refusals_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_consent_refusals_facts is 'KPI consent_refusals: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_consent_refusals_facts enable row level security;
revoke all on analytics_private.kpi_consent_refusals_facts from public, anon, authenticated;
grant all on analytics_private.kpi_consent_refusals_facts to service_role;

create index if not exists kpi_consent_refusals_facts_xid_idx on analytics_private.kpi_consent_refusals_facts (ingest_xid);

create index if not exists kpi_consent_refusals_facts_net_idx on analytics_private.kpi_consent_refusals_facts (network_id, period);

create table if not exists analytics_private.kpi_consent_refusals (
  site_id uuid not null,
  period date not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consent_refusals_key unique nulls not distinct (site_id, period, network_id)
);
comment on table analytics_private.kpi_consent_refusals is 'Consent questions answered with no, per day.';
alter table analytics_private.kpi_consent_refusals enable row level security;
revoke all on analytics_private.kpi_consent_refusals from public, anon, authenticated;
grant all on analytics_private.kpi_consent_refusals to service_role;

create index if not exists kpi_consent_refusals_xid_idx on analytics_private.kpi_consent_refusals (ingest_xid);

create index if not exists kpi_consent_refusals_rollup_net_idx on analytics_private.kpi_consent_refusals (network_id, period);

create table if not exists analytics_private.kpi_consent_refusals_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_consent_refusals_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_consent_refusals_net is 'KPI consent_refusals: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_consent_refusals_net enable row level security;
revoke all on analytics_private.kpi_consent_refusals_net from public, anon, authenticated;
grant all on analytics_private.kpi_consent_refusals_net to service_role;

drop policy if exists kpi_consent_refusals_facts_service on analytics_private.kpi_consent_refusals_facts;
create policy kpi_consent_refusals_facts_service on analytics_private.kpi_consent_refusals_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consent_refusals_service on analytics_private.kpi_consent_refusals;
create policy kpi_consent_refusals_service on analytics_private.kpi_consent_refusals for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consent_refusals_net_service on analytics_private.kpi_consent_refusals_net;
create policy kpi_consent_refusals_net_service on analytics_private.kpi_consent_refusals_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_consent_refusals()
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.consent_refusals', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.consent_refusals', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'consent_refusals' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'consent_refusals';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_consent_refusals_facts (site_id, period, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consent_refusals')
      and (e.payload ->> 'answer') = any (array['no']::text[])
  order by 1, 2, 3, 4
  on conflict do nothing;
  insert into analytics_private.kpi_consent_refusals as r (site_id, period, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consent_refusals')
      and (e.payload ->> 'answer') = any (array['no']::text[])
  group by 1, 2, 3
  on conflict (site_id, period, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consent_refusals_facts;
    analyze analytics_private.kpi_consent_refusals;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consent_refusals';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consent_refusals_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_consent_refusals as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_consent_refusals_net (network_id, period, value, sites, actors)
select u.network_id, u.period, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_consent_refusals as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_consent_refusals as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2
        union all
        select f.network_id, f.period, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_consent_refusals_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_consent_refusals as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as u
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consent_refusals_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_consent_refusals as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_consent_refusals_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_consent_refusals() is 'Folds new events into KPI consent_refusals; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_consent_refusals() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_consent_refusals() to service_role;

create or replace function analytics_private.kpi_consent_refusals_for_caller()
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
  from analytics_private.kpi_consent_refusals as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['consumer']::text[])
  group by 1, 2) as q (site_id, period, value);
end
$fn$;
comment on function analytics_private.kpi_consent_refusals_for_caller() is 'KPI consent_refusals for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_consent_refusals_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_consent_refusals_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_consent_refusals_between("from" date, "to" date)
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
  from analytics_private.kpi_consent_refusals as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['consumer']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2) as q (site_id, period, value);
end
$fn$;
comment on function analytics_private.kpi_consent_refusals_between(date, date) is 'KPI consent_refusals for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_consent_refusals_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consent_refusals_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_consent_refusals_live("from" date, "to" date)
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
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['consumer']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, sum(r.value)::bigint, statement_timestamp()
  from analytics_private.kpi_consent_refusals as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'consent_refusals')
  group by 1, 2;
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consent_refusals';
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consent_refusals')
      and (e.payload ->> 'answer') = any (array['no']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_consent_refusals as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(*)
        from fresh as f
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_consent_refusals_live(date, date) is 'KPI consent_refusals, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_consent_refusals_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consent_refusals_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_consent_refusals_cells()
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
        from analytics_private.kpi_consent_refusals_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;
comment on function analytics_private.network_consent_refusals_cells() is 'KPI consent_refusals across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_consent_refusals_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_consent_refusals_cells() to authenticated, service_role;

create or replace view analytics.kpi_consent_refusals with (security_invoker = true) as
  select * from analytics_private.kpi_consent_refusals_for_caller();
comment on view analytics.kpi_consent_refusals is 'KPI consent_refusals: Consent questions answered with no, per day.';
revoke all on analytics.kpi_consent_refusals from public, anon, authenticated;
grant select on analytics.kpi_consent_refusals to authenticated, service_role;

create or replace function analytics.kpi_consent_refusals_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consent_refusals_between("from", "to");
end
$fn$;
comment on function analytics.kpi_consent_refusals_between(date, date) is 'KPI consent_refusals for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_consent_refusals_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consent_refusals_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_consent_refusals_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_consent_refusals_live("from", "to");
end
$fn$;
comment on function analytics.kpi_consent_refusals_live(date, date) is 'KPI consent_refusals, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_consent_refusals_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consent_refusals_live(date, date) to authenticated, service_role;

create or replace view analytics.network_consent_refusals with (security_invoker = true) as
  select * from analytics_private.network_consent_refusals_cells();
comment on view analytics.network_consent_refusals is 'KPI consent_refusals across the caller''s network; small cells hidden.';
revoke all on analytics.network_consent_refusals from public, anon, authenticated;
grant select on analytics.network_consent_refusals to authenticated, service_role;

create or replace function analytics_private.kpi_consent_refusals_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_consent_refusals_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_consent_refusals_suppress(uuid[], date[]) is 'Which network cells of KPIs consent_refusals the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_consent_refusals_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consent_refusals_suppress(uuid[], date[]) to service_role;

-- keep 3 monthly event partitions ready ahead of now
select cron.schedule('analytics_event_partitions', '17 3 * * *', 'select analytics_private.ensure_event_partitions()');

-- forget idempotency keys of events too old to be accepted again
select cron.schedule('analytics_purge_event_keys', '43 3 * * *', 'delete from analytics_private.event_keys where occurred_at < now() - (interval ''7 days'' + interval ''1 day'')');

-- keep 90 days of rejection counters (storage.rejections_retention)
select cron.schedule('analytics_purge_rejections', '29 3 * * *', 'delete from analytics_private.rejections where day < ((now() at time zone ''UTC'') - interval ''90 days'')::date');

-- keep 7 days of run history, for this schema's jobs only
select cron.schedule('analytics_purge_cron_history', '11 4 * * *', 'delete from cron.job_run_details where end_time < now() - interval ''7 days'' and jobid in (select jobid from cron.job where jobname in (''analytics_event_partitions'', ''analytics_purge_cron_history'', ''analytics_purge_event_keys'', ''analytics_purge_rejections'', ''analytics_refresh_consent_refusals''))');

-- KPI consent_refusals
-- incremental refresh of KPI "consent_refusals" (count)
select cron.schedule('analytics_refresh_consent_refusals', '* * * * *', 'select analytics_private.refresh_kpi_consent_refusals()');
