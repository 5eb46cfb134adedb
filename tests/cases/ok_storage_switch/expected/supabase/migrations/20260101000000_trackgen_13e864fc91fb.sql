-- trackgen migration 20260101000000: events clinic.protocol_shared, consumer.feature_used, consumer.goal_completed, practitioner.protocol_logged, practitioner.trial_started, system.api_request_completed, system.session_pinged, system.signup_completed; KPIs active_actors_28d, api_latency_ms, daily_active_actors, live_protocol_sessions, protocol_logging_adoption, upgrade_funnel, weekly_active_practitioners, weekly_protocol_loggers, weekly_retention; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set statement_timeout = '5min';
-- KPI refreshes take this lock shared: wait for the running ones; new ones skip their run until this commits.
set lock_timeout = '5min';
select pg_advisory_xact_lock(hashtextextended('trackgen.migrations', 0));
set lock_timeout = '5s';
create extension if not exists pgcrypto with schema extensions;

create extension if not exists pg_cron;

create schema if not exists analytics;
comment on schema analytics is 'golden-clinic: analytics exposed to the API (views, RPC)';
revoke all on schema analytics from public;
grant usage on schema analytics to anon, authenticated, service_role;

create schema if not exists analytics_private;
comment on schema analytics_private is 'golden-clinic: analytics storage and definer code; never granted to API roles';
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
  ('practitioner', 2, false, 'Pro plan for an individual practitioner who logs protocols.'),
  ('clinic', 3, false, 'Clinic plan for a team sharing one site.'),
  ('system', 4, true, 'Platform events accepted from a caller of any tier.')
on conflict (name) do update
  set rank = excluded.rank, is_system = excluded.is_system, description = excluded.description;

-- event clinic.protocol_shared
insert into analytics.event_types (id, tier, description, owner, status, schema_version, replaced_by, payload_schema) values
  ('clinic.protocol_shared', 'clinic', 'A protocol template was shared with the rest of the clinic team.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:clinic.protocol_shared:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A protocol template was shared with the rest of the clinic team.","examples":[{"recipients_count":4,"share_scope":"team"}],"properties":{"recipients_count":{"description":"Number of colleagues who received the protocol.","maximum":100,"minimum":1,"type":"integer"},"share_scope":{"description":"Who the protocol was shared with.","enum":["team","site"],"type":"string"}},"required":["recipients_count","share_scope"],"title":"clinic.protocol_shared","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('consumer.feature_used', 'consumer', 'A free feature surface was opened and used.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:consumer.feature_used:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A free feature surface was opened and used.","examples":[{"feature":"check_in","platform":"web"},{"feature":"goals","platform":"ios"}],"properties":{"feature":{"description":"Which free feature surface was used.","enum":["check_in","exercise_library","goals"],"type":"string"},"platform":{"description":"Client the feature was used on.","enum":["web","ios","android"],"type":"string"}},"required":["feature","platform"],"title":"consumer.feature_used","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.goal_completed', 'consumer', 'A self-care goal was marked as completed.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:consumer.goal_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A self-care goal was marked as completed.","examples":[{"goal_kind":"habit","streak_days":12}],"properties":{"goal_kind":{"description":"Kind of goal that was completed.","enum":["mobility","strength","habit"],"type":"string"},"streak_days":{"description":"Consecutive days the goal was worked on, capped at 365.","maximum":365,"minimum":0,"type":"integer"}},"required":["goal_kind","streak_days"],"title":"consumer.goal_completed","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('practitioner.protocol_logged', 'practitioner', 'A treatment protocol session was logged by a practitioner.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:practitioner.protocol_logged:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A treatment protocol session was logged by a practitioner.","examples":[{"exercise_count":12,"logging_mode":"live","protocol_ref":"prt_0a1b2c3d","tags":["mobility"]},{"exercise_count":3,"logging_mode":"bulk_import","notes_attached":true,"protocol_ref":"prt_99887766","tags":[]}],"properties":{"exercise_count":{"description":"Number of exercises in the logged session.","maximum":50,"minimum":1,"type":"integer"},"logging_mode":{"description":"How the session was logged.","enum":["live","after_session","bulk_import"],"type":"string"},"notes_attached":{"description":"True when free-form session notes exist (their text is never sent).","type":"boolean"},"protocol_ref":{"description":"Opaque reference of the protocol template used.","pattern":"^prt_[0-9a-f]{8}$","type":"string"},"tags":{"description":"Categories of the protocol, from a fixed list.","items":{"enum":["mobility","strength","balance","cardio"],"type":"string"},"maxItems":5,"type":"array","uniqueItems":true}},"required":["exercise_count","logging_mode","protocol_ref","tags"],"title":"practitioner.protocol_logged","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.trial_started', 'practitioner', 'A free trial of the pro plan was started.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:practitioner.trial_started:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A free trial of the pro plan was started.","examples":[{"trial_length_days":14}],"properties":{"trial_length_days":{"description":"Length of the trial that was granted, in days.","maximum":60,"minimum":1,"type":"integer"}},"required":["trial_length_days"],"title":"practitioner.trial_started","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('system.api_request_completed', 'system', 'An API request finished, successfully or not.', 'platform-reliability', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:system.api_request_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An API request finished, successfully or not.","examples":[{"duration_ms":42.5,"endpoint_group":"protocols","request_id":"3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6b"}],"properties":{"duration_ms":{"description":"Server-side duration of the request in milliseconds.","maximum":600000,"minimum":0,"type":"number"},"endpoint_group":{"description":"Coarse group of the endpoint that served the request.","enum":["auth","protocols","sharing","reports"],"type":"string"},"request_id":{"description":"Random id of the request, for joining with server logs.","format":"uuid","type":"string"}},"required":["duration_ms","endpoint_group","request_id"],"title":"system.api_request_completed","type":"object","x-trackgen":{"owner":"platform-reliability","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.session_pinged', 'system', 'A keep-alive ping from an open session; superseded by request timings.', 'platform-reliability', 'deprecated', '1-0-0', 'system.api_request_completed', '{"$id":"urn:trackgen:golden-clinic:event:system.session_pinged:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"deprecated":true,"description":"A keep-alive ping from an open session; superseded by request timings.","examples":[{"idle_seconds":30}],"properties":{"idle_seconds":{"description":"Seconds since the last user interaction.","maximum":86400,"minimum":0,"type":"integer"}},"required":["idle_seconds"],"title":"system.session_pinged","type":"object","x-trackgen":{"owner":"platform-reliability","status":"deprecated","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.signup_completed', 'system', 'A new sign-up finished and its first session started.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:system.signup_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A new sign-up finished and its first session started.","examples":[{"auth_method":"google_sso","invited":false}],"properties":{"auth_method":{"description":"How the new identity authenticates.","enum":["credentials","google_sso","magic_link"],"type":"string"},"invited":{"description":"True when the sign-up came from a clinic invitation.","type":"boolean"}},"required":["auth_method","invited"],"title":"system.signup_completed","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb)
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

-- event clinic.protocol_shared
create or replace function analytics_private.check_clinic__protocol_shared(p jsonb)
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
  if p - array['recipients_count', 'share_scope']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['recipients_count', 'share_scope']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'recipients_count') then 'missing_property:recipients_count'
      when not (p ? 'share_scope') then 'missing_property:share_scope' end,
    case when p ? 'recipients_count' then case
      when jsonb_typeof(p -> 'recipients_count') is distinct from 'number' then 'wrong_type:recipients_count'
      when ((p ->> 'recipients_count'))::numeric % 1 <> 0 then 'wrong_type:recipients_count'
      when ((p ->> 'recipients_count'))::numeric < 1 then 'out_of_range:recipients_count'
      when ((p ->> 'recipients_count'))::numeric > 100 then 'out_of_range:recipients_count' end end,
    case when p ? 'share_scope' then case
      when jsonb_typeof(p -> 'share_scope') is distinct from 'string' then 'wrong_type:share_scope'
      when not ((p ->> 'share_scope') = any (array['team', 'site']::text[])) then 'bad_enum:share_scope' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__protocol_shared(jsonb) is 'Payload check of clinic.protocol_shared: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__protocol_shared(jsonb) from public, anon, authenticated;

-- event consumer.feature_used
create or replace function analytics_private.check_consumer__feature_used(p jsonb)
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
  if p - array['feature', 'platform']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['feature', 'platform']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'feature') then 'missing_property:feature'
      when not (p ? 'platform') then 'missing_property:platform' end,
    case when p ? 'feature' then case
      when jsonb_typeof(p -> 'feature') is distinct from 'string' then 'wrong_type:feature'
      when not ((p ->> 'feature') = any (array['check_in', 'exercise_library', 'goals']::text[])) then 'bad_enum:feature' end end,
    case when p ? 'platform' then case
      when jsonb_typeof(p -> 'platform') is distinct from 'string' then 'wrong_type:platform'
      when not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then 'bad_enum:platform' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__feature_used(jsonb) is 'Payload check of consumer.feature_used: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__feature_used(jsonb) from public, anon, authenticated;

-- event consumer.goal_completed
create or replace function analytics_private.check_consumer__goal_completed(p jsonb)
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
  if p - array['goal_kind', 'streak_days']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['goal_kind', 'streak_days']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'goal_kind') then 'missing_property:goal_kind'
      when not (p ? 'streak_days') then 'missing_property:streak_days' end,
    case when p ? 'goal_kind' then case
      when jsonb_typeof(p -> 'goal_kind') is distinct from 'string' then 'wrong_type:goal_kind'
      when not ((p ->> 'goal_kind') = any (array['mobility', 'strength', 'habit']::text[])) then 'bad_enum:goal_kind' end end,
    case when p ? 'streak_days' then case
      when jsonb_typeof(p -> 'streak_days') is distinct from 'number' then 'wrong_type:streak_days'
      when ((p ->> 'streak_days'))::numeric % 1 <> 0 then 'wrong_type:streak_days'
      when ((p ->> 'streak_days'))::numeric < 0 then 'out_of_range:streak_days'
      when ((p ->> 'streak_days'))::numeric > 365 then 'out_of_range:streak_days' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__goal_completed(jsonb) is 'Payload check of consumer.goal_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__goal_completed(jsonb) from public, anon, authenticated;

-- event practitioner.protocol_logged
create or replace function analytics_private.check_practitioner__protocol_logged(p jsonb)
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
  if p - array['exercise_count', 'logging_mode', 'notes_attached', 'protocol_ref', 'tags']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['exercise_count', 'logging_mode', 'notes_attached', 'protocol_ref', 'tags']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'exercise_count') then 'missing_property:exercise_count'
      when not (p ? 'logging_mode') then 'missing_property:logging_mode'
      when not (p ? 'protocol_ref') then 'missing_property:protocol_ref'
      when not (p ? 'tags') then 'missing_property:tags' end,
    case when p ? 'exercise_count' then case
      when jsonb_typeof(p -> 'exercise_count') is distinct from 'number' then 'wrong_type:exercise_count'
      when ((p ->> 'exercise_count'))::numeric % 1 <> 0 then 'wrong_type:exercise_count'
      when ((p ->> 'exercise_count'))::numeric < 1 then 'out_of_range:exercise_count'
      when ((p ->> 'exercise_count'))::numeric > 50 then 'out_of_range:exercise_count' end end,
    case when p ? 'logging_mode' then case
      when jsonb_typeof(p -> 'logging_mode') is distinct from 'string' then 'wrong_type:logging_mode'
      when not ((p ->> 'logging_mode') = any (array['live', 'after_session', 'bulk_import']::text[])) then 'bad_enum:logging_mode' end end,
    case when p ? 'notes_attached' then case
      when jsonb_typeof(p -> 'notes_attached') is distinct from 'boolean' then 'wrong_type:notes_attached' end end,
    case when p ? 'protocol_ref' then case
      when jsonb_typeof(p -> 'protocol_ref') is distinct from 'string' then 'wrong_type:protocol_ref'
      when (p ->> 'protocol_ref') !~ '^prt_[0-9a-f]{8}$' then 'bad_pattern:protocol_ref' end end);
  if problem is not null then return problem; end if;
  if p ? 'tags' then
    if jsonb_typeof(p -> 'tags') is distinct from 'array' then return 'wrong_type:tags'; end if;
    if jsonb_array_length(p -> 'tags') > 5 then return 'too_many_items:tags'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'tags') as e) then return 'duplicate_items:tags'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'tags') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:tags'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'tags') as e where not ((e #>> '{}') = any (array['mobility', 'strength', 'balance', 'cardio']::text[]))) then return 'bad_enum:tags'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__protocol_logged(jsonb) is 'Payload check of practitioner.protocol_logged: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__protocol_logged(jsonb) from public, anon, authenticated;

-- event practitioner.trial_started
create or replace function analytics_private.check_practitioner__trial_started(p jsonb)
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
  if p - array['trial_length_days']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['trial_length_days']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'trial_length_days') then 'missing_property:trial_length_days' end,
    case when p ? 'trial_length_days' then case
      when jsonb_typeof(p -> 'trial_length_days') is distinct from 'number' then 'wrong_type:trial_length_days'
      when ((p ->> 'trial_length_days'))::numeric % 1 <> 0 then 'wrong_type:trial_length_days'
      when ((p ->> 'trial_length_days'))::numeric < 1 then 'out_of_range:trial_length_days'
      when ((p ->> 'trial_length_days'))::numeric > 60 then 'out_of_range:trial_length_days' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__trial_started(jsonb) is 'Payload check of practitioner.trial_started: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__trial_started(jsonb) from public, anon, authenticated;

-- event system.api_request_completed
create or replace function analytics_private.check_system__api_request_completed(p jsonb)
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
  if p - array['duration_ms', 'endpoint_group', 'request_id']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['duration_ms', 'endpoint_group', 'request_id']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'duration_ms') then 'missing_property:duration_ms'
      when not (p ? 'endpoint_group') then 'missing_property:endpoint_group'
      when not (p ? 'request_id') then 'missing_property:request_id' end,
    case when p ? 'duration_ms' then case
      when jsonb_typeof(p -> 'duration_ms') is distinct from 'number' then 'wrong_type:duration_ms'
      when ((p ->> 'duration_ms'))::numeric < 0 then 'out_of_range:duration_ms'
      when ((p ->> 'duration_ms'))::numeric > 600000 then 'out_of_range:duration_ms' end end,
    case when p ? 'endpoint_group' then case
      when jsonb_typeof(p -> 'endpoint_group') is distinct from 'string' then 'wrong_type:endpoint_group'
      when not ((p ->> 'endpoint_group') = any (array['auth', 'protocols', 'sharing', 'reports']::text[])) then 'bad_enum:endpoint_group' end end,
    case when p ? 'request_id' then case
      when jsonb_typeof(p -> 'request_id') is distinct from 'string' then 'wrong_type:request_id'
      when (p ->> 'request_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then 'bad_format:request_id' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__api_request_completed(jsonb) is 'Payload check of system.api_request_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__api_request_completed(jsonb) from public, anon, authenticated;

-- event system.session_pinged
create or replace function analytics_private.check_system__session_pinged(p jsonb)
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
  if p - array['idle_seconds']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['idle_seconds']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'idle_seconds') then 'missing_property:idle_seconds' end,
    case when p ? 'idle_seconds' then case
      when jsonb_typeof(p -> 'idle_seconds') is distinct from 'number' then 'wrong_type:idle_seconds'
      when ((p ->> 'idle_seconds'))::numeric % 1 <> 0 then 'wrong_type:idle_seconds'
      when ((p ->> 'idle_seconds'))::numeric < 0 then 'out_of_range:idle_seconds'
      when ((p ->> 'idle_seconds'))::numeric > 86400 then 'out_of_range:idle_seconds' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__session_pinged(jsonb) is 'Payload check of system.session_pinged: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__session_pinged(jsonb) from public, anon, authenticated;

-- event system.signup_completed
create or replace function analytics_private.check_system__signup_completed(p jsonb)
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
  if p - array['auth_method', 'invited']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['auth_method', 'invited']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'auth_method') then 'missing_property:auth_method'
      when not (p ? 'invited') then 'missing_property:invited' end,
    case when p ? 'auth_method' then case
      when jsonb_typeof(p -> 'auth_method') is distinct from 'string' then 'wrong_type:auth_method'
      when not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'magic_link']::text[])) then 'bad_enum:auth_method' end end,
    case when p ? 'invited' then case
      when jsonb_typeof(p -> 'invited') is distinct from 'boolean' then 'wrong_type:invited' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__signup_completed(jsonb) is 'Payload check of system.signup_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__signup_completed(jsonb) from public, anon, authenticated;

create or replace function analytics_private.payload_problem(event_id text, p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  case event_id
    when 'clinic.protocol_shared' then return analytics_private.check_clinic__protocol_shared(p);
    when 'consumer.feature_used' then return analytics_private.check_consumer__feature_used(p);
    when 'consumer.goal_completed' then return analytics_private.check_consumer__goal_completed(p);
    when 'practitioner.protocol_logged' then return analytics_private.check_practitioner__protocol_logged(p);
    when 'practitioner.trial_started' then return analytics_private.check_practitioner__trial_started(p);
    when 'system.api_request_completed' then return analytics_private.check_system__api_request_completed(p);
    when 'system.session_pinged' then return analytics_private.check_system__session_pinged(p);
    when 'system.signup_completed' then return analytics_private.check_system__signup_completed(p);
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
  select '13e864fc91fb'::text;
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
    or ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[]),
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

-- KPI api_latency_ms
insert into analytics_private.kpi_event_sets (set_name, event_id) values
  ('api_latency_ms', 'system.api_request_completed'),
  ('daily_active_actors', 'clinic.protocol_shared'),
  ('daily_active_actors', 'consumer.feature_used'),
  ('daily_active_actors', 'consumer.goal_completed'),
  ('daily_active_actors', 'practitioner.protocol_logged'),
  ('daily_active_actors', 'practitioner.trial_started'),
  ('live_protocol_sessions', 'practitioner.protocol_logged'),
  ('upgrade_funnel.step1', 'consumer.feature_used'),
  ('upgrade_funnel.step2', 'practitioner.trial_started'),
  ('upgrade_funnel.step3', 'practitioner.protocol_logged'),
  ('weekly_active_practitioners', 'practitioner.protocol_logged'),
  ('weekly_active_practitioners', 'practitioner.trial_started'),
  ('weekly_protocol_loggers', 'practitioner.protocol_logged'),
  ('weekly_retention.cohort', 'system.signup_completed'),
  ('weekly_retention.returning', 'consumer.feature_used'),
  ('weekly_retention.returning', 'consumer.goal_completed'),
  ('weekly_retention.returning', 'practitioner.protocol_logged'),
  ('weekly_retention.returning', 'practitioner.trial_started')
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
    ('api_latency_ms', 'exact', array['api_latency_ms']::text[], array['clinic']::text[]),
    ('daily_active_actors', 'exact', array['daily_active_actors']::text[], array['clinic']::text[]),
    ('live_protocol_sessions', 'exact', array['live_protocol_sessions']::text[], array['clinic']::text[]),
    ('upgrade_funnel', 'refreshed', array['upgrade_funnel']::text[], array['clinic']::text[]),
    ('weekly_active_practitioners', 'exact', array['weekly_active_practitioners']::text[], array['clinic']::text[]),
    ('weekly_protocol_loggers', 'exact', array['weekly_protocol_loggers']::text[], array['clinic']::text[]),
    ('weekly_retention', 'refreshed', array['weekly_retention']::text[], array['clinic']::text[]),
    ('active_actors_28d', 'refreshed', array['active_actors_28d']::text[], array['clinic']::text[]),
    ('protocol_logging_adoption', 'exact', array['weekly_active_practitioners', 'weekly_protocol_loggers']::text[], array['clinic']::text[])) as k (kpi, live, stored, readers)
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

-- KPI api_latency_ms
insert into analytics_private.kpi_watermarks (kpi) values
  ('api_latency_ms')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_api_latency_ms_values (
  site_id uuid not null,
  period date not null,
  endpoint_group text not null,
  actor_hash bigint not null,
  event_key uuid not null,
  occurred_at timestamptz not null,
  measure double precision not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_latency_ms_values_key unique (site_id, event_key, occurred_at)
);
comment on table analytics_private.kpi_api_latency_ms_values is 'KPI api_latency_ms: one measured value per event.';
alter table analytics_private.kpi_api_latency_ms_values enable row level security;
revoke all on analytics_private.kpi_api_latency_ms_values from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_values to service_role;

create index if not exists kpi_api_latency_ms_values_xid_idx on analytics_private.kpi_api_latency_ms_values (ingest_xid);

create index if not exists kpi_api_latency_ms_values_cell_idx on analytics_private.kpi_api_latency_ms_values (site_id, period, endpoint_group);

create index if not exists kpi_api_latency_ms_values_net_idx on analytics_private.kpi_api_latency_ms_values (network_id, period, endpoint_group);

create table if not exists analytics_private.kpi_api_latency_ms (
  site_id uuid not null,
  period date not null,
  endpoint_group text not null,
  n bigint,
  p50 double precision,
  p95 double precision,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_latency_ms_key unique nulls not distinct (site_id, period, endpoint_group)
);
comment on table analytics_private.kpi_api_latency_ms is 'Median and 95th percentile API request duration per day, by endpoint group.';
alter table analytics_private.kpi_api_latency_ms enable row level security;
revoke all on analytics_private.kpi_api_latency_ms from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms to service_role;

create index if not exists kpi_api_latency_ms_xid_idx on analytics_private.kpi_api_latency_ms (ingest_xid);

create table if not exists analytics_private.kpi_api_latency_ms_net (
  network_id uuid not null,
  period date not null,
  endpoint_group text not null,
  n bigint not null,
  p50 double precision,
  p95 double precision,
  sites bigint not null,
  actors bigint not null,
  p50_hidden boolean not null default true,
  p95_hidden boolean not null default true,
  hidden boolean not null default true,
  constraint kpi_api_latency_ms_net_key unique nulls not distinct (network_id, period, endpoint_group)
);
comment on table analytics_private.kpi_api_latency_ms_net is 'KPI api_latency_ms: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_latency_ms_net enable row level security;
revoke all on analytics_private.kpi_api_latency_ms_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_net to service_role;

drop policy if exists kpi_api_latency_ms_values_service on analytics_private.kpi_api_latency_ms_values;
create policy kpi_api_latency_ms_values_service on analytics_private.kpi_api_latency_ms_values for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_latency_ms_service on analytics_private.kpi_api_latency_ms;
create policy kpi_api_latency_ms_service on analytics_private.kpi_api_latency_ms for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_latency_ms_net_service on analytics_private.kpi_api_latency_ms_net;
create policy kpi_api_latency_ms_net_service on analytics_private.kpi_api_latency_ms_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_api_latency_ms()
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.api_latency_ms', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.api_latency_ms', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_latency_ms';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_api_latency_ms_values (site_id, period, endpoint_group, actor_hash, event_key, occurred_at, measure, network_id)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'endpoint_group', ''), ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.idempotency_key, e.occurred_at, (e.payload ->> 'duration_ms')::double precision, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms')
    and jsonb_typeof(e.payload -> 'duration_ms') = 'number'
  order by 1, 5, 6
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_values;
  end if;
  insert into analytics_private.kpi_api_latency_ms as r (site_id, period, endpoint_group, n, p50, p95)
  select f.site_id, f.period, f.endpoint_group, count(*), (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct t.site_id, t.period, t.endpoint_group
        from analytics_private.kpi_api_latency_ms_values as t where t.ingest_xid = pg_current_xact_id()) as a
    on f.site_id = a.site_id and f.period = a.period and f.endpoint_group = a.endpoint_group
  group by 1, 2, 3
  on conflict (site_id, period, endpoint_group) do update
    set n = excluded.n, p50 = excluded.p50, p95 = excluded.p95, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_values;
    analyze analytics_private.kpi_api_latency_ms;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_latency_ms';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_latency_ms_net as nc
  using (select distinct x.network_id, x.period, x.endpoint_group
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.endpoint_group = t.endpoint_group;
  insert into analytics_private.kpi_api_latency_ms_net (network_id, period, endpoint_group, n, p50, p95, sites, actors)
select f.network_id, f.period, f.endpoint_group, count(*) as n, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct x.network_id, x.period, x.endpoint_group
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.endpoint_group = t.endpoint_group
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_net;
  end if;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_api_latency_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint_group = c.endpoint_group),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint_group = c.endpoint_group)
  from (select distinct x.network_id, x.period, x.endpoint_group
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.endpoint_group = t.endpoint_group;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.endpoint_group
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_api_latency_ms_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_api_latency_ms() is 'Folds new events into KPI api_latency_ms; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_api_latency_ms() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_api_latency_ms() to service_role;

create or replace function analytics_private.kpi_api_latency_ms_for_caller()
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision)
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
  select q.site_id::uuid, q.period::date, q.endpoint_group::text, q.n::bigint, q.p50::double precision, q.p95::double precision
  from (select r.site_id, r.period, nullif(r.endpoint_group, '') as endpoint_group, r.n, r.p50, r.p95
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, endpoint_group, n, p50, p95);
end
$fn$;
comment on function analytics_private.kpi_api_latency_ms_for_caller() is 'KPI api_latency_ms for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_api_latency_ms_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision)
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
  select q.site_id::uuid, q.period::date, q.endpoint_group::text, q.n::bigint, q.p50::double precision, q.p95::double precision
  from (select r.site_id, r.period, nullif(r.endpoint_group, '') as endpoint_group, r.n, r.p50, r.p95
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, endpoint_group, n, p50, p95);
end
$fn$;
comment on function analytics_private.kpi_api_latency_ms_between(date, date) is 'KPI api_latency_ms for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_api_latency_ms_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
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
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, nullif(r.endpoint_group, '') as endpoint_group, r.n, r.p50, r.p95, statement_timestamp()
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'api_latency_ms');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms';
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'endpoint_group', '') as endpoint_group, (e.payload ->> 'duration_ms')::double precision as measure
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms') and jsonb_typeof(e.payload -> 'duration_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, nullif(r.endpoint_group, '') as endpoint_group, r.n, r.p50, r.p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select 1 from fresh as t where t.period = r.period and t.endpoint_group is not distinct from r.endpoint_group)
  union all
  select f.site_id, f.period, f.endpoint_group, count(*), (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select v.site_id, v.period, v.endpoint_group, v.measure
        from analytics_private.kpi_api_latency_ms_values as v
        join (select distinct t.period, t.endpoint_group from fresh as t) as t
          on v.site_id = caller_site and v.period = t.period and v.endpoint_group is not distinct from t.endpoint_group
        union all
        select t.site_id, t.period, t.endpoint_group, t.measure from fresh as t) as f
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_api_latency_ms_cells()
returns table (period date, endpoint_group text, n bigint, p50 double precision, p95 double precision, suppressed boolean)
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
  select q.period::date, q.endpoint_group::text, q.n::bigint, q.p50::double precision, q.p95::double precision, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, nullif(r.endpoint_group, '') as endpoint_group, case when r.suppressed then null else r.n end as n, case when r.suppressed or r.p50_hidden then null else r.p50 end as p50, case when r.suppressed or r.p95_hidden then null else r.p95 end as p95, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_latency_ms_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, endpoint_group, n, p50, p95, suppressed);
end
$fn$;
comment on function analytics_private.network_api_latency_ms_cells() is 'KPI api_latency_ms across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_api_latency_ms_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_api_latency_ms_cells() to authenticated, service_role;

create or replace view analytics.kpi_api_latency_ms with (security_invoker = true) as
  select * from analytics_private.kpi_api_latency_ms_for_caller();
comment on view analytics.kpi_api_latency_ms is 'KPI api_latency_ms: Median and 95th percentile API request duration per day, by endpoint group.';
revoke all on analytics.kpi_api_latency_ms from public, anon, authenticated;
grant select on analytics.kpi_api_latency_ms to authenticated, service_role;

create or replace function analytics.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_latency_ms_between("from", "to");
end
$fn$;
comment on function analytics.kpi_api_latency_ms_between(date, date) is 'KPI api_latency_ms for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_api_latency_ms_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_latency_ms_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint_group text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_api_latency_ms_live("from", "to");
end
$fn$;
comment on function analytics.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

create or replace view analytics.network_api_latency_ms with (security_invoker = true) as
  select * from analytics_private.network_api_latency_ms_cells();
comment on view analytics.network_api_latency_ms is 'KPI api_latency_ms across the caller''s network; small cells hidden.';
revoke all on analytics.network_api_latency_ms from public, anon, authenticated;
grant select on analytics.network_api_latency_ms to authenticated, service_role;

-- KPI daily_active_actors
insert into analytics_private.kpi_watermarks (kpi) values
  ('daily_active_actors')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_daily_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_daily_active_actors_facts_key unique nulls not distinct (site_id, period, tier, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_daily_active_actors_facts is 'KPI daily_active_actors: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_daily_active_actors_facts enable row level security;
revoke all on analytics_private.kpi_daily_active_actors_facts from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_facts to service_role;

create index if not exists kpi_daily_active_actors_facts_xid_idx on analytics_private.kpi_daily_active_actors_facts (ingest_xid);

create index if not exists kpi_daily_active_actors_facts_net_idx on analytics_private.kpi_daily_active_actors_facts (network_id, period, tier);

create table if not exists analytics_private.kpi_daily_active_actors (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_daily_active_actors_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_daily_active_actors is 'Distinct actors with at least one product event in the day, by tier.';
alter table analytics_private.kpi_daily_active_actors enable row level security;
revoke all on analytics_private.kpi_daily_active_actors from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors to service_role;

create index if not exists kpi_daily_active_actors_xid_idx on analytics_private.kpi_daily_active_actors (ingest_xid);

create table if not exists analytics_private.kpi_daily_active_actors_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_daily_active_actors_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_daily_active_actors_net is 'KPI daily_active_actors: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_daily_active_actors_net enable row level security;
revoke all on analytics_private.kpi_daily_active_actors_net from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_net to service_role;

drop policy if exists kpi_daily_active_actors_facts_service on analytics_private.kpi_daily_active_actors_facts;
create policy kpi_daily_active_actors_facts_service on analytics_private.kpi_daily_active_actors_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_daily_active_actors_service on analytics_private.kpi_daily_active_actors;
create policy kpi_daily_active_actors_service on analytics_private.kpi_daily_active_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_daily_active_actors_net_service on analytics_private.kpi_daily_active_actors_net;
create policy kpi_daily_active_actors_net_service on analytics_private.kpi_daily_active_actors_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_daily_active_actors()
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.daily_active_actors', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.daily_active_actors', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'daily_active_actors';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_daily_active_actors_facts (site_id, period, tier, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors')
    order by 1, 2, 3, 4, 5
    on conflict do nothing
    returning site_id, period, tier, actor_hash
  )
  insert into analytics_private.kpi_daily_active_actors as r (site_id, period, tier, value)
  select fresh.site_id, fresh.period, fresh.tier, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_daily_active_actors_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier = fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_daily_active_actors_facts;
    analyze analytics_private.kpi_daily_active_actors;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'daily_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_daily_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_daily_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_daily_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier = t.tier
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_daily_active_actors_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_daily_active_actors_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_daily_active_actors() is 'Folds new events into KPI daily_active_actors; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_daily_active_actors() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_daily_active_actors() to service_role;

create or replace function analytics_private.kpi_daily_active_actors_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, tier, value);
end
$fn$;
comment on function analytics_private.kpi_daily_active_actors_for_caller() is 'KPI daily_active_actors for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_daily_active_actors_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_daily_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, tier, value);
end
$fn$;
comment on function analytics_private.kpi_daily_active_actors_between(date, date) is 'KPI daily_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_daily_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
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
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.tier, r.value, statement_timestamp()
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'daily_active_actors');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors';
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors')) as m
    where m.period >= "from" and m.period <= "to")
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
comment on function analytics_private.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_daily_active_actors_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
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
  select q.period::date, q.tier::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_daily_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, tier, value, suppressed);
end
$fn$;
comment on function analytics_private.network_daily_active_actors_cells() is 'KPI daily_active_actors across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_daily_active_actors_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_daily_active_actors_cells() to authenticated, service_role;

create or replace view analytics.kpi_daily_active_actors with (security_invoker = true) as
  select * from analytics_private.kpi_daily_active_actors_for_caller();
comment on view analytics.kpi_daily_active_actors is 'KPI daily_active_actors: Distinct actors with at least one product event in the day, by tier.';
revoke all on analytics.kpi_daily_active_actors from public, anon, authenticated;
grant select on analytics.kpi_daily_active_actors to authenticated, service_role;

create or replace function analytics.kpi_daily_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_daily_active_actors_between("from", "to");
end
$fn$;
comment on function analytics.kpi_daily_active_actors_between(date, date) is 'KPI daily_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_daily_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_daily_active_actors_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_daily_active_actors_live("from", "to");
end
$fn$;
comment on function analytics.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

create or replace view analytics.network_daily_active_actors with (security_invoker = true) as
  select * from analytics_private.network_daily_active_actors_cells();
comment on view analytics.network_daily_active_actors is 'KPI daily_active_actors across the caller''s network; small cells hidden.';
revoke all on analytics.network_daily_active_actors from public, anon, authenticated;
grant select on analytics.network_daily_active_actors to authenticated, service_role;

-- KPI live_protocol_sessions
insert into analytics_private.kpi_watermarks (kpi) values
  ('live_protocol_sessions')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_live_protocol_sessions_facts (
  site_id uuid not null,
  period date not null,
  logging_mode text not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_live_protocol_sessions_facts_key unique nulls not distinct (site_id, period, logging_mode, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_live_protocol_sessions_facts is 'KPI live_protocol_sessions: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_live_protocol_sessions_facts enable row level security;
revoke all on analytics_private.kpi_live_protocol_sessions_facts from public, anon, authenticated;
grant all on analytics_private.kpi_live_protocol_sessions_facts to service_role;

create index if not exists kpi_live_protocol_sessions_facts_xid_idx on analytics_private.kpi_live_protocol_sessions_facts (ingest_xid);

create index if not exists kpi_live_protocol_sessions_facts_net_idx on analytics_private.kpi_live_protocol_sessions_facts (network_id, period, logging_mode);

create table if not exists analytics_private.kpi_live_protocol_sessions (
  site_id uuid not null,
  period date not null,
  logging_mode text not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_live_protocol_sessions_key unique nulls not distinct (site_id, period, logging_mode, network_id)
);
comment on table analytics_private.kpi_live_protocol_sessions is 'Protocol sessions logged live or right after the session, per day and mode.';
alter table analytics_private.kpi_live_protocol_sessions enable row level security;
revoke all on analytics_private.kpi_live_protocol_sessions from public, anon, authenticated;
grant all on analytics_private.kpi_live_protocol_sessions to service_role;

create index if not exists kpi_live_protocol_sessions_xid_idx on analytics_private.kpi_live_protocol_sessions (ingest_xid);

create index if not exists kpi_live_protocol_sessions_rollup_net_idx on analytics_private.kpi_live_protocol_sessions (network_id, period, logging_mode);

create table if not exists analytics_private.kpi_live_protocol_sessions_net (
  network_id uuid not null,
  period date not null,
  logging_mode text not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_live_protocol_sessions_net_key unique nulls not distinct (network_id, period, logging_mode)
);
comment on table analytics_private.kpi_live_protocol_sessions_net is 'KPI live_protocol_sessions: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_live_protocol_sessions_net enable row level security;
revoke all on analytics_private.kpi_live_protocol_sessions_net from public, anon, authenticated;
grant all on analytics_private.kpi_live_protocol_sessions_net to service_role;

drop policy if exists kpi_live_protocol_sessions_facts_service on analytics_private.kpi_live_protocol_sessions_facts;
create policy kpi_live_protocol_sessions_facts_service on analytics_private.kpi_live_protocol_sessions_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_live_protocol_sessions_service on analytics_private.kpi_live_protocol_sessions;
create policy kpi_live_protocol_sessions_service on analytics_private.kpi_live_protocol_sessions for all to service_role
  using (true) with check (true);

drop policy if exists kpi_live_protocol_sessions_net_service on analytics_private.kpi_live_protocol_sessions_net;
create policy kpi_live_protocol_sessions_net_service on analytics_private.kpi_live_protocol_sessions_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_live_protocol_sessions()
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.live_protocol_sessions', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.live_protocol_sessions', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'live_protocol_sessions' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'live_protocol_sessions';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_live_protocol_sessions_facts (site_id, period, logging_mode, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'logging_mode', ''), ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'live_protocol_sessions')
      and (e.payload ->> 'logging_mode') = any (array['after_session', 'live']::text[])
  order by 1, 2, 3, 4, 5
  on conflict do nothing;
  insert into analytics_private.kpi_live_protocol_sessions as r (site_id, period, logging_mode, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'logging_mode', ''), e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'live_protocol_sessions')
      and (e.payload ->> 'logging_mode') = any (array['after_session', 'live']::text[])
  group by 1, 2, 3, 4
  on conflict (site_id, period, logging_mode, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_live_protocol_sessions_facts;
    analyze analytics_private.kpi_live_protocol_sessions;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'live_protocol_sessions';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_live_protocol_sessions_net as nc
  using (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_live_protocol_sessions as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.logging_mode = t.logging_mode;
  insert into analytics_private.kpi_live_protocol_sessions_net (network_id, period, logging_mode, value, sites, actors)
select u.network_id, u.period, u.logging_mode, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, f.logging_mode, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_live_protocol_sessions as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_live_protocol_sessions as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode = t.logging_mode
        group by 1, 2, 3
        union all
        select f.network_id, f.period, f.logging_mode, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_live_protocol_sessions_facts as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_live_protocol_sessions as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode = t.logging_mode
        group by 1, 2, 3) as u
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_live_protocol_sessions_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_live_protocol_sessions as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_live_protocol_sessions_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_live_protocol_sessions() is 'Folds new events into KPI live_protocol_sessions; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_live_protocol_sessions() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_live_protocol_sessions() to service_role;

create or replace function analytics_private.kpi_live_protocol_sessions_for_caller()
returns table (site_id uuid, period date, logging_mode text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.logging_mode::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_live_protocol_sessions as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
  group by 1, 2, 3) as q (site_id, period, logging_mode, value);
end
$fn$;
comment on function analytics_private.kpi_live_protocol_sessions_for_caller() is 'KPI live_protocol_sessions for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_live_protocol_sessions_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_live_protocol_sessions_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_live_protocol_sessions_between("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.logging_mode::text, q.value::bigint
  from (select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_live_protocol_sessions as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3) as q (site_id, period, logging_mode, value);
end
$fn$;
comment on function analytics_private.kpi_live_protocol_sessions_between(date, date) is 'KPI live_protocol_sessions for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_live_protocol_sessions_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_live_protocol_sessions_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_live_protocol_sessions_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
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
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint, statement_timestamp()
  from analytics_private.kpi_live_protocol_sessions as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
                    where w.kpi = 'live_protocol_sessions')
  group by 1, 2, 3;
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'live_protocol_sessions';
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'logging_mode', '') as logging_mode
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'live_protocol_sessions')
      and (e.payload ->> 'logging_mode') = any (array['after_session', 'live']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.logging_mode, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, r.value
        from analytics_private.kpi_live_protocol_sessions as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.logging_mode, count(*)
        from fresh as f
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_live_protocol_sessions_live(date, date) is 'KPI live_protocol_sessions, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_live_protocol_sessions_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_live_protocol_sessions_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_live_protocol_sessions_cells()
returns table (period date, logging_mode text, value bigint, suppressed boolean)
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
  select q.period::date, q.logging_mode::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, nullif(r.logging_mode, '') as logging_mode, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_live_protocol_sessions_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, logging_mode, value, suppressed);
end
$fn$;
comment on function analytics_private.network_live_protocol_sessions_cells() is 'KPI live_protocol_sessions across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_live_protocol_sessions_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_live_protocol_sessions_cells() to authenticated, service_role;

create or replace view analytics.kpi_live_protocol_sessions with (security_invoker = true) as
  select * from analytics_private.kpi_live_protocol_sessions_for_caller();
comment on view analytics.kpi_live_protocol_sessions is 'KPI live_protocol_sessions: Protocol sessions logged live or right after the session, per day and mode.';
revoke all on analytics.kpi_live_protocol_sessions from public, anon, authenticated;
grant select on analytics.kpi_live_protocol_sessions to authenticated, service_role;

create or replace function analytics.kpi_live_protocol_sessions_between("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_live_protocol_sessions_between("from", "to");
end
$fn$;
comment on function analytics.kpi_live_protocol_sessions_between(date, date) is 'KPI live_protocol_sessions for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_live_protocol_sessions_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_live_protocol_sessions_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_live_protocol_sessions_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_live_protocol_sessions_live("from", "to");
end
$fn$;
comment on function analytics.kpi_live_protocol_sessions_live(date, date) is 'KPI live_protocol_sessions, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_live_protocol_sessions_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_live_protocol_sessions_live(date, date) to authenticated, service_role;

create or replace view analytics.network_live_protocol_sessions with (security_invoker = true) as
  select * from analytics_private.network_live_protocol_sessions_cells();
comment on view analytics.network_live_protocol_sessions is 'KPI live_protocol_sessions across the caller''s network; small cells hidden.';
revoke all on analytics.network_live_protocol_sessions from public, anon, authenticated;
grant select on analytics.network_live_protocol_sessions to authenticated, service_role;

-- KPI upgrade_funnel
insert into analytics_private.kpi_watermarks (kpi) values
  ('upgrade_funnel')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_upgrade_funnel_steps (
  site_id uuid not null,
  actor_hash bigint not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_steps_key unique (site_id, actor_hash, occurred_at, event_key, step)
);
comment on table analytics_private.kpi_upgrade_funnel_steps is 'KPI upgrade_funnel: every event that matches a step, per actor.';
alter table analytics_private.kpi_upgrade_funnel_steps enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_steps from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_steps to service_role;

create index if not exists kpi_upgrade_funnel_steps_xid_idx on analytics_private.kpi_upgrade_funnel_steps (ingest_xid);

create table if not exists analytics_private.kpi_upgrade_funnel_actors (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_actors_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_upgrade_funnel_actors is 'KPI upgrade_funnel: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_upgrade_funnel_actors enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_actors from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_actors to service_role;

create index if not exists kpi_upgrade_funnel_actors_xid_idx on analytics_private.kpi_upgrade_funnel_actors (ingest_xid);

create index if not exists kpi_upgrade_funnel_actors_net_idx on analytics_private.kpi_upgrade_funnel_actors (network_id, period, actor_hash);

create table if not exists analytics_private.kpi_upgrade_funnel (
  site_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_upgrade_funnel is 'Free-plan actors who start a pro trial and log a protocol within 14 days.';
alter table analytics_private.kpi_upgrade_funnel enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel to service_role;

create table if not exists analytics_private.kpi_upgrade_funnel_net (
  network_id uuid not null,
  period date not null,
  step smallint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_upgrade_funnel_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_upgrade_funnel_net is 'KPI upgrade_funnel: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_upgrade_funnel_net enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_net from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_net to service_role;

drop policy if exists kpi_upgrade_funnel_steps_service on analytics_private.kpi_upgrade_funnel_steps;
create policy kpi_upgrade_funnel_steps_service on analytics_private.kpi_upgrade_funnel_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_actors_service on analytics_private.kpi_upgrade_funnel_actors;
create policy kpi_upgrade_funnel_actors_service on analytics_private.kpi_upgrade_funnel_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_service on analytics_private.kpi_upgrade_funnel;
create policy kpi_upgrade_funnel_service on analytics_private.kpi_upgrade_funnel for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_net_service on analytics_private.kpi_upgrade_funnel_net;
create policy kpi_upgrade_funnel_net_service on analytics_private.kpi_upgrade_funnel_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_upgrade_funnel()
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.upgrade_funnel', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_funnel' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'upgrade_funnel';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_upgrade_funnel_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel.step1')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel.step2')
union all
select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel.step3')
      and (e.payload ->> 'logging_mode') = any (array['live']::text[])
  order by 1, 2, 4, 5, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_steps;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every actor's rows written, then every cell counted.
    insert into analytics_private.kpi_upgrade_funnel_actors as r (site_id, actor_hash, period, network_id, depth)
select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date as period, u.network_id,
           max(u.depth) as depth
    from (select s.site_id, s.actor_hash,
                 array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
                 array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
                 array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
          from analytics_private.kpi_upgrade_funnel_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '14 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_upgrade_funnel_steps as x
                where x.ingest_xid = pg_current_xact_id()
                group by 1, 2) as n
            on n.site_id = s.site_id and n.actor_hash = s.actor_hash and s.occurred_at >= n.since
          group by 1, 2) as seq
    cross join lateral unnest(seq.steps, seq.times,
                              analytics_private.kpi_funnel_depths(seq.steps, seq.times, seq.keys, 3, interval '14 days', 'ordered'), seq.network_id)
      as u (step, t, depth, network_id)
    where u.step = 1
    group by 1, 2, 3, 4
    order by 1, 3, 2, 4
    on conflict (site_id, period, actor_hash, network_id) do update
      set depth = excluded.depth, ingest_xid = pg_current_xact_id()
      where r.depth is distinct from excluded.depth;
    analyze analytics_private.kpi_upgrade_funnel_actors;
    insert into analytics_private.kpi_upgrade_funnel as r (site_id, period, step, value)
    select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
    from analytics_private.kpi_upgrade_funnel_actors as a
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
          from analytics_private.kpi_upgrade_funnel_steps as s
          join (select x.site_id, x.actor_hash, date_trunc('day', (min(x.occurred_at) - interval '14 days') at time zone 'UTC') at time zone 'UTC' as since
                from analytics_private.kpi_upgrade_funnel_steps as x
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
      left join analytics_private.kpi_upgrade_funnel_actors as o on o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.network_id is not distinct from f.network_id
      where o.depth is distinct from f.depth
    ), up as (
      insert into analytics_private.kpi_upgrade_funnel_actors as r (site_id, actor_hash, period, network_id, depth)
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
                  join analytics_private.kpi_upgrade_funnel_actors as o on o.site_id = k.site_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
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
                  join analytics_private.kpi_upgrade_funnel_actors as o on o.network_id = k.network_id and o.period = k.period and o.actor_hash = k.actor_hash) as v
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
                   case when (select count(*) from (select 1 from analytics_private.kpi_upgrade_funnel_actors as x
                                                    where x.site_id = s.site_id and x.period = s.period and x.network_id = s.network_id and x.depth >= s.step
                                                    limit s.m + 1) as q) > s.m then 0
                        else s.has::int - s.had::int end
            from ns as s) as d
      group by d.network_id, d.period, d.step
    ), net_written as (
      insert into analytics_private.kpi_upgrade_funnel_net as r (network_id, period, step, value, sites, actors)
      select d.network_id, d.period, d.step, d.dv, d.ds, d.dv from nd as d
      on conflict (network_id, period, step) do update
        set value = r.value + excluded.value, sites = r.sites + excluded.sites, actors = r.actors + excluded.actors
        where excluded.value <> 0 or excluded.sites <> 0
      returning 1
    )
    insert into analytics_private.kpi_upgrade_funnel as r (site_id, period, step, value)
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
    analyze analytics_private.kpi_upgrade_funnel_steps;
    analyze analytics_private.kpi_upgrade_funnel_actors;
    analyze analytics_private.kpi_upgrade_funnel;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'upgrade_funnel';
  if lo = '0'::xid8 then
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_upgrade_funnel_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_upgrade_funnel_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_upgrade_funnel_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 3) as g (step)
  group by 1, 2, 3;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_net;
  end if;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_upgrade_funnel_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_actors as x
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
      update analytics_private.kpi_upgrade_funnel_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_upgrade_funnel_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_upgrade_funnel_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden and (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                  group by 1, 2) as x
            left join analytics_private.kpi_upgrade_funnel_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_upgrade_funnel_actors as o
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
    update analytics_private.kpi_upgrade_funnel_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_upgrade_funnel_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                where (fs_nets is null or exists (select 1 from unnest(fs_nets, fs_periods) as f (network_id, period)
                                   where f.network_id = c2.network_id and f.period = c2.period))
                group by 1, 2) as x
          join analytics_private.kpi_upgrade_funnel_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
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
comment on function analytics_private.refresh_kpi_upgrade_funnel() is 'Folds new events into KPI upgrade_funnel; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_upgrade_funnel() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_upgrade_funnel() to service_role;

create or replace function analytics_private.kpi_upgrade_funnel_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_funnel as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;
comment on function analytics_private.kpi_upgrade_funnel_for_caller() is 'KPI upgrade_funnel for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_upgrade_funnel_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_funnel_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_upgrade_funnel_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
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
  select q.site_id::uuid, q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric
  from (select r.site_id, r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_funnel as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, step, step_name, actors, conversion, step_conversion);
end
$fn$;
comment on function analytics_private.kpi_upgrade_funnel_between(date, date) is 'KPI upgrade_funnel for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_upgrade_funnel_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_funnel_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_upgrade_funnel_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_funnel')
  from analytics_private.kpi_upgrade_funnel_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_upgrade_funnel_live(date, date) is 'KPI upgrade_funnel, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_upgrade_funnel_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_funnel_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_upgrade_funnel_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
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
  select q.period::date, q.step::smallint, q.step_name::text, q.actors::bigint, q.conversion::numeric, q.step_conversion::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_upgrade_funnel_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, step, step_name, actors, conversion, step_conversion, suppressed);
end
$fn$;
comment on function analytics_private.network_upgrade_funnel_cells() is 'KPI upgrade_funnel across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_upgrade_funnel_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_upgrade_funnel_cells() to authenticated, service_role;

create or replace view analytics.kpi_upgrade_funnel with (security_invoker = true) as
  select * from analytics_private.kpi_upgrade_funnel_for_caller();
comment on view analytics.kpi_upgrade_funnel is 'KPI upgrade_funnel: Free-plan actors who start a pro trial and log a protocol within 14 days.';
revoke all on analytics.kpi_upgrade_funnel from public, anon, authenticated;
grant select on analytics.kpi_upgrade_funnel to authenticated, service_role;

create or replace function analytics.kpi_upgrade_funnel_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_upgrade_funnel_between("from", "to");
end
$fn$;
comment on function analytics.kpi_upgrade_funnel_between(date, date) is 'KPI upgrade_funnel for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_upgrade_funnel_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_funnel_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_upgrade_funnel_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_upgrade_funnel_live("from", "to");
end
$fn$;
comment on function analytics.kpi_upgrade_funnel_live(date, date) is 'KPI upgrade_funnel for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_upgrade_funnel_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_funnel_live(date, date) to authenticated, service_role;

create or replace view analytics.network_upgrade_funnel with (security_invoker = true) as
  select * from analytics_private.network_upgrade_funnel_cells();
comment on view analytics.network_upgrade_funnel is 'KPI upgrade_funnel across the caller''s network; small cells hidden.';
revoke all on analytics.network_upgrade_funnel from public, anon, authenticated;
grant select on analytics.network_upgrade_funnel to authenticated, service_role;

-- KPI weekly_active_practitioners
insert into analytics_private.kpi_watermarks (kpi) values
  ('weekly_active_practitioners')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_weekly_active_practitioners_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_active_practitioners_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_weekly_active_practitioners_facts is 'KPI weekly_active_practitioners: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_weekly_active_practitioners_facts enable row level security;
revoke all on analytics_private.kpi_weekly_active_practitioners_facts from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_practitioners_facts to service_role;

create index if not exists kpi_weekly_active_practitioners_facts_xid_idx on analytics_private.kpi_weekly_active_practitioners_facts (ingest_xid);

create index if not exists kpi_weekly_active_practitioners_facts_net_idx on analytics_private.kpi_weekly_active_practitioners_facts (network_id, period);

create table if not exists analytics_private.kpi_weekly_active_practitioners (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_active_practitioners_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_weekly_active_practitioners is 'Pro-plan actors with any practitioner event in the week.';
alter table analytics_private.kpi_weekly_active_practitioners enable row level security;
revoke all on analytics_private.kpi_weekly_active_practitioners from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_practitioners to service_role;

create index if not exists kpi_weekly_active_practitioners_xid_idx on analytics_private.kpi_weekly_active_practitioners (ingest_xid);

create table if not exists analytics_private.kpi_weekly_active_practitioners_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_weekly_active_practitioners_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_weekly_active_practitioners_net is 'KPI weekly_active_practitioners: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_weekly_active_practitioners_net enable row level security;
revoke all on analytics_private.kpi_weekly_active_practitioners_net from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_practitioners_net to service_role;

drop policy if exists kpi_weekly_active_practitioners_facts_service on analytics_private.kpi_weekly_active_practitioners_facts;
create policy kpi_weekly_active_practitioners_facts_service on analytics_private.kpi_weekly_active_practitioners_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_active_practitioners_service on analytics_private.kpi_weekly_active_practitioners;
create policy kpi_weekly_active_practitioners_service on analytics_private.kpi_weekly_active_practitioners for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_active_practitioners_net_service on analytics_private.kpi_weekly_active_practitioners_net;
create policy kpi_weekly_active_practitioners_net_service on analytics_private.kpi_weekly_active_practitioners_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_weekly_active_practitioners()
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.weekly_active_practitioners', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.weekly_active_practitioners', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_practitioners' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'weekly_active_practitioners';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_weekly_active_practitioners_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_active_practitioners')
      and e.actor_tier = any (array['practitioner']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_weekly_active_practitioners as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_weekly_active_practitioners_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_active_practitioners_facts;
    analyze analytics_private.kpi_weekly_active_practitioners;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_active_practitioners';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_active_practitioners_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_weekly_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_weekly_active_practitioners_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_weekly_active_practitioners_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_weekly_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_active_practitioners_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_weekly_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_weekly_active_practitioners_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_weekly_active_practitioners() is 'Folds new events into KPI weekly_active_practitioners; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_weekly_active_practitioners() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_weekly_active_practitioners() to service_role;

create or replace function analytics_private.kpi_weekly_active_practitioners_for_caller()
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
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_weekly_active_practitioners as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, value);
end
$fn$;
comment on function analytics_private.kpi_weekly_active_practitioners_for_caller() is 'KPI weekly_active_practitioners for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_weekly_active_practitioners_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_practitioners_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_active_practitioners_between("from" date, "to" date)
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
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_weekly_active_practitioners as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;
comment on function analytics_private.kpi_weekly_active_practitioners_between(date, date) is 'KPI weekly_active_practitioners for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_weekly_active_practitioners_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_practitioners_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_active_practitioners_live("from" date, "to" date)
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
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_weekly_active_practitioners as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
                    where w.kpi = 'weekly_active_practitioners');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_practitioners';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_active_practitioners')
      and e.actor_tier = any (array['practitioner']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_weekly_active_practitioners as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_weekly_active_practitioners_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_weekly_active_practitioners_live(date, date) is 'KPI weekly_active_practitioners, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_weekly_active_practitioners_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_practitioners_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_weekly_active_practitioners_cells()
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
        from analytics_private.kpi_weekly_active_practitioners_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;
comment on function analytics_private.network_weekly_active_practitioners_cells() is 'KPI weekly_active_practitioners across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_weekly_active_practitioners_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_weekly_active_practitioners_cells() to authenticated, service_role;

create or replace view analytics.kpi_weekly_active_practitioners with (security_invoker = true) as
  select * from analytics_private.kpi_weekly_active_practitioners_for_caller();
comment on view analytics.kpi_weekly_active_practitioners is 'KPI weekly_active_practitioners: Pro-plan actors with any practitioner event in the week.';
revoke all on analytics.kpi_weekly_active_practitioners from public, anon, authenticated;
grant select on analytics.kpi_weekly_active_practitioners to authenticated, service_role;

create or replace function analytics.kpi_weekly_active_practitioners_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_active_practitioners_between("from", "to");
end
$fn$;
comment on function analytics.kpi_weekly_active_practitioners_between(date, date) is 'KPI weekly_active_practitioners for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_weekly_active_practitioners_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_active_practitioners_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_weekly_active_practitioners_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_active_practitioners_live("from", "to");
end
$fn$;
comment on function analytics.kpi_weekly_active_practitioners_live(date, date) is 'KPI weekly_active_practitioners, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_weekly_active_practitioners_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_active_practitioners_live(date, date) to authenticated, service_role;

create or replace view analytics.network_weekly_active_practitioners with (security_invoker = true) as
  select * from analytics_private.network_weekly_active_practitioners_cells();
comment on view analytics.network_weekly_active_practitioners is 'KPI weekly_active_practitioners across the caller''s network; small cells hidden.';
revoke all on analytics.network_weekly_active_practitioners from public, anon, authenticated;
grant select on analytics.network_weekly_active_practitioners to authenticated, service_role;

-- KPI weekly_protocol_loggers
insert into analytics_private.kpi_watermarks (kpi) values
  ('weekly_protocol_loggers')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_weekly_protocol_loggers_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bigint not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_protocol_loggers_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id) with (fillfactor = 100)
);
comment on table analytics_private.kpi_weekly_protocol_loggers_facts is 'KPI weekly_protocol_loggers: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_weekly_protocol_loggers_facts enable row level security;
revoke all on analytics_private.kpi_weekly_protocol_loggers_facts from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_protocol_loggers_facts to service_role;

create index if not exists kpi_weekly_protocol_loggers_facts_xid_idx on analytics_private.kpi_weekly_protocol_loggers_facts (ingest_xid);

create index if not exists kpi_weekly_protocol_loggers_facts_net_idx on analytics_private.kpi_weekly_protocol_loggers_facts (network_id, period);

create table if not exists analytics_private.kpi_weekly_protocol_loggers (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_protocol_loggers_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_weekly_protocol_loggers is 'Pro-plan actors who logged at least one protocol session in the week.';
alter table analytics_private.kpi_weekly_protocol_loggers enable row level security;
revoke all on analytics_private.kpi_weekly_protocol_loggers from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_protocol_loggers to service_role;

create index if not exists kpi_weekly_protocol_loggers_xid_idx on analytics_private.kpi_weekly_protocol_loggers (ingest_xid);

create table if not exists analytics_private.kpi_weekly_protocol_loggers_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_weekly_protocol_loggers_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_weekly_protocol_loggers_net is 'KPI weekly_protocol_loggers: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_weekly_protocol_loggers_net enable row level security;
revoke all on analytics_private.kpi_weekly_protocol_loggers_net from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_protocol_loggers_net to service_role;

drop policy if exists kpi_weekly_protocol_loggers_facts_service on analytics_private.kpi_weekly_protocol_loggers_facts;
create policy kpi_weekly_protocol_loggers_facts_service on analytics_private.kpi_weekly_protocol_loggers_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_protocol_loggers_service on analytics_private.kpi_weekly_protocol_loggers;
create policy kpi_weekly_protocol_loggers_service on analytics_private.kpi_weekly_protocol_loggers for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_protocol_loggers_net_service on analytics_private.kpi_weekly_protocol_loggers_net;
create policy kpi_weekly_protocol_loggers_net_service on analytics_private.kpi_weekly_protocol_loggers_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_weekly_protocol_loggers()
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
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.weekly_protocol_loggers', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.weekly_protocol_loggers', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_protocol_loggers' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'weekly_protocol_loggers';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_weekly_protocol_loggers_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_protocol_loggers')
      and e.actor_tier = any (array['practitioner']::text[])
    order by 1, 2, 3, 4
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_weekly_protocol_loggers as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_weekly_protocol_loggers_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_protocol_loggers_facts;
    analyze analytics_private.kpi_weekly_protocol_loggers;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_protocol_loggers';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_protocol_loggers_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_weekly_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_weekly_protocol_loggers_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_weekly_protocol_loggers_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_weekly_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_protocol_loggers_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_weekly_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_weekly_protocol_loggers_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_weekly_protocol_loggers() is 'Folds new events into KPI weekly_protocol_loggers; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_weekly_protocol_loggers() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_weekly_protocol_loggers() to service_role;

create or replace function analytics_private.kpi_weekly_protocol_loggers_for_caller()
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
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_weekly_protocol_loggers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, value);
end
$fn$;
comment on function analytics_private.kpi_weekly_protocol_loggers_for_caller() is 'KPI weekly_protocol_loggers for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_weekly_protocol_loggers_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_protocol_loggers_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_protocol_loggers_between("from" date, "to" date)
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
  from (select r.site_id, r.period, r.value
  from analytics_private.kpi_weekly_protocol_loggers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, value);
end
$fn$;
comment on function analytics_private.kpi_weekly_protocol_loggers_between(date, date) is 'KPI weekly_protocol_loggers for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_weekly_protocol_loggers_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_protocol_loggers_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_protocol_loggers_live("from" date, "to" date)
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
  if caller_site is null or not coalesce((auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic']::text[]), false) then
    return;
  end if;
  -- A stable function: the statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree. With no event past the watermark in these periods
  -- the rollup's cells are the whole answer; no row means events are pending or there are no
  -- cells, and the tail's read below tells which.
  return query
  select r.site_id, r.period, r.value, statement_timestamp()
  from analytics_private.kpi_weekly_protocol_loggers as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select from analytics_private.kpi_watermarks as w
                    join analytics_private.events as e
                      on e.ingest_xid >= w.next_xid
                     and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
                     and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
                    where w.kpi = 'weekly_protocol_loggers');
  if found then
    return;
  end if;
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_protocol_loggers';
  return query
  with tail as materialized (
    -- at most 10000 events past the watermark (every site's, in the requested periods), in
    -- ingest order: the limit keeps even the generic plan on the ingest_xid indexes
    select e.*
    from analytics_private.events as e
    where e.ingest_xid >= wm
      and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
      and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
    order by e.ingest_xid
    limit 10001),
  bound as (select count(*) <= 10000 as ok from tail),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash
      from tail as e
      where (select b.ok from bound as b)
        and e.site_id = caller_site
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_protocol_loggers')
      and e.actor_tier = any (array['practitioner']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_weekly_protocol_loggers as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_weekly_protocol_loggers_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_weekly_protocol_loggers_live(date, date) is 'KPI weekly_protocol_loggers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_weekly_protocol_loggers_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_protocol_loggers_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_weekly_protocol_loggers_cells()
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
        from analytics_private.kpi_weekly_protocol_loggers_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, value, suppressed);
end
$fn$;
comment on function analytics_private.network_weekly_protocol_loggers_cells() is 'KPI weekly_protocol_loggers across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_weekly_protocol_loggers_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_weekly_protocol_loggers_cells() to authenticated, service_role;

create or replace view analytics.kpi_weekly_protocol_loggers with (security_invoker = true) as
  select * from analytics_private.kpi_weekly_protocol_loggers_for_caller();
comment on view analytics.kpi_weekly_protocol_loggers is 'KPI weekly_protocol_loggers: Pro-plan actors who logged at least one protocol session in the week.';
revoke all on analytics.kpi_weekly_protocol_loggers from public, anon, authenticated;
grant select on analytics.kpi_weekly_protocol_loggers to authenticated, service_role;

create or replace function analytics.kpi_weekly_protocol_loggers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_protocol_loggers_between("from", "to");
end
$fn$;
comment on function analytics.kpi_weekly_protocol_loggers_between(date, date) is 'KPI weekly_protocol_loggers for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_weekly_protocol_loggers_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_protocol_loggers_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_weekly_protocol_loggers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_protocol_loggers_live("from", "to");
end
$fn$;
comment on function analytics.kpi_weekly_protocol_loggers_live(date, date) is 'KPI weekly_protocol_loggers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_weekly_protocol_loggers_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_protocol_loggers_live(date, date) to authenticated, service_role;

create or replace view analytics.network_weekly_protocol_loggers with (security_invoker = true) as
  select * from analytics_private.network_weekly_protocol_loggers_cells();
comment on view analytics.network_weekly_protocol_loggers is 'KPI weekly_protocol_loggers across the caller''s network; small cells hidden.';
revoke all on analytics.network_weekly_protocol_loggers from public, anon, authenticated;
grant select on analytics.network_weekly_protocol_loggers to authenticated, service_role;

-- KPI weekly_retention
insert into analytics_private.kpi_watermarks (kpi) values
  ('weekly_retention')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_weekly_retention_cohorts (
  site_id uuid not null,
  actor_hash bigint not null,
  cohort date not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_retention_cohorts_key primary key (site_id, actor_hash)
);
comment on table analytics_private.kpi_weekly_retention_cohorts is 'KPI weekly_retention: each actor''s cohort, the week of its first cohort event at the site.';
alter table analytics_private.kpi_weekly_retention_cohorts enable row level security;
revoke all on analytics_private.kpi_weekly_retention_cohorts from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_retention_cohorts to service_role;

create index if not exists kpi_weekly_retention_cohorts_xid_idx on analytics_private.kpi_weekly_retention_cohorts (ingest_xid);

create index if not exists kpi_weekly_retention_cohorts_net_idx on analytics_private.kpi_weekly_retention_cohorts (network_id, cohort);

create index if not exists kpi_weekly_retention_cohorts_actor_idx on analytics_private.kpi_weekly_retention_cohorts (actor_hash);

create index if not exists kpi_weekly_retention_cohorts_site_idx on analytics_private.kpi_weekly_retention_cohorts (site_id, cohort, network_id);

create table if not exists analytics_private.kpi_weekly_retention_active (
  site_id uuid not null,
  actor_hash bigint not null,
  period date not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_retention_active_key primary key (site_id, actor_hash, period)
);
comment on table analytics_private.kpi_weekly_retention_active is 'KPI weekly_retention: the weeks in which each actor had a returning event.';
alter table analytics_private.kpi_weekly_retention_active enable row level security;
revoke all on analytics_private.kpi_weekly_retention_active from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_retention_active to service_role;

create index if not exists kpi_weekly_retention_active_xid_idx on analytics_private.kpi_weekly_retention_active (ingest_xid);

create table if not exists analytics_private.kpi_weekly_retention (
  site_id uuid not null,
  period date not null,
  period_number smallint not null,
  cohort_actors bigint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_retention_key unique nulls not distinct (site_id, period, period_number)
);
comment on table analytics_private.kpi_weekly_retention is 'Share of each weekly sign-up cohort that comes back in later weeks.';
alter table analytics_private.kpi_weekly_retention enable row level security;
revoke all on analytics_private.kpi_weekly_retention from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_retention to service_role;

create table if not exists analytics_private.kpi_weekly_retention_net (
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
  constraint kpi_weekly_retention_net_key unique nulls not distinct (network_id, period, period_number)
);
comment on table analytics_private.kpi_weekly_retention_net is 'KPI weekly_retention: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_weekly_retention_net enable row level security;
revoke all on analytics_private.kpi_weekly_retention_net from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_retention_net to service_role;

drop policy if exists kpi_weekly_retention_cohorts_service on analytics_private.kpi_weekly_retention_cohorts;
create policy kpi_weekly_retention_cohorts_service on analytics_private.kpi_weekly_retention_cohorts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_retention_active_service on analytics_private.kpi_weekly_retention_active;
create policy kpi_weekly_retention_active_service on analytics_private.kpi_weekly_retention_active for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_retention_service on analytics_private.kpi_weekly_retention;
create policy kpi_weekly_retention_service on analytics_private.kpi_weekly_retention for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_retention_net_service on analytics_private.kpi_weekly_retention_net;
create policy kpi_weekly_retention_net_service on analytics_private.kpi_weekly_retention_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_weekly_retention()
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
  moved_actors bigint[];
  moved_cohorts date[];
  moved_networks uuid[];
  rt_nets uuid[];
  rt_periods date[];
  rm_nets uuid[];
  rm_periods date[];
begin
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.weekly_retention', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_retention' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'weekly_retention';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  -- A late, earlier cohort event moves an actor to an earlier cohort: remember the cohort it leaves.
  select coalesce(array_agg(c.site_id), '{}'), coalesce(array_agg(c.actor_hash), '{}'),
         coalesce(array_agg(c.cohort), '{}'), coalesce(array_agg(c.network_id), '{}')
    into moved_sites, moved_actors, moved_cohorts, moved_networks
  from analytics_private.kpi_weekly_retention_cohorts as c
  join (select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_weekly_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint as actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_retention.cohort')
  group by 1, 2
  order by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_weekly_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, ('x' || encode(substr(e.actor_hash, 1, 8), 'hex'))::bit(64)::bigint, date_trunc('week', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_retention.returning')
  order by 1, 2, 3
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_retention_cohorts;
    analyze analytics_private.kpi_weekly_retention_active;
  end if;
  if lo = '0'::xid8 then
    -- A backfill: every cohort counted.
    insert into analytics_private.kpi_weekly_retention as r (site_id, period, period_number, cohort_actors, value)
    select c.site_id, c.cohort, g.j::smallint, count(c.actor_hash), count(a.actor_hash)
    from analytics_private.kpi_weekly_retention_cohorts as c
    cross join generate_series(0, 8) as g (j)
    left join analytics_private.kpi_weekly_retention_active as a
      on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
    group by 1, 2, 3
    on conflict (site_id, period, period_number) do update
      set cohort_actors = excluded.cohort_actors, value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- Each touched (site, actor): its contribution now added, before taken away (a new member had
    -- none; a moved one had its old cohort; returning periods stored before this transaction).
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_weekly_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_weekly_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), states as (
      select x.site_id, x.actor_hash, x.cohort, 1 as side
      from p join analytics_private.kpi_weekly_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from p join analytics_private.kpi_weekly_retention_cohorts as x on x.site_id = p.site_id and x.actor_hash = p.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts) as m (site_id, actor_hash, cohort)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), diff as (
      select c.site_id, c.cohort, g.j::smallint as j,
             sum(case when c.side = 1 then 1 else -1 end) as dc,
             count(a.xid) filter (where c.side = 1)
               - count(a.xid) filter (where c.side = 0 and a.xid <> pg_current_xact_id()) as dv
      from states as c
      cross join generate_series(0, 8) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_weekly_retention_active as y
                where y.site_id = c.site_id and y.actor_hash = c.actor_hash and y.period = (c.cohort + 7 * g.j)) as xid) as a
      where c.cohort is not null
      group by 1, 2, 3
    )
    insert into analytics_private.kpi_weekly_retention as r (site_id, period, period_number, cohort_actors, value)
    select d.site_id, d.cohort, d.j, d.dc, d.dv from diff as d where d.dc <> 0 or d.dv <> 0
    on conflict (site_id, period, period_number) do update
      set cohort_actors = r.cohort_actors + excluded.cohort_actors, value = r.value + excluded.value,
          ingest_xid = pg_current_xact_id();
    -- A cohort left by its last member has no cells.
    delete from analytics_private.kpi_weekly_retention as r
    using (select distinct m.site_id, m.cohort from unnest(moved_sites, moved_cohorts) as m (site_id, cohort)) as m
    where r.site_id = m.site_id and r.period = m.cohort and r.cohort_actors = 0;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_retention_cohorts;
    analyze analytics_private.kpi_weekly_retention_active;
    analyze analytics_private.kpi_weekly_retention;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_retention';
  if lo = '0'::xid8 then
    select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into rt_nets, rt_periods
    from (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as x;
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_retention_net as nc
  using (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_weekly_retention_net (network_id, period, period_number, cohort_actors, value, sites, actors, gone_actors, gone_sites, cohort_sites, but_one)
select n.network_id, n.period, n.period_number, n.cohort_actors, n.value, n.sites, n.actors,
         n.gone_actors, n.gone_sites, coh.sites, coh.but_one
  from (select c.network_id, c.cohort as period, g.j::smallint as period_number,
               count(distinct c.actor_hash) as cohort_actors, count(distinct a.actor_hash) as value,
               count(distinct a.site_id) as sites, count(distinct a.actor_hash) as actors,
               count(distinct c.actor_hash) filter (where a.actor_hash is null) as gone_actors,
               count(distinct c.site_id) filter (where a.actor_hash is null) as gone_sites
        from analytics_private.kpi_weekly_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        cross join generate_series(0, 8) as g (j)
        left join analytics_private.kpi_weekly_retention_active as a
          on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
        group by 1, 2, 3) as n
  join (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_weekly_retention_cohorts as c
        join (select distinct x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    on coh.network_id = n.network_id and coh.period = n.period;
  else
    -- The network cells' difference, from every site of each touched actor, before and after.
    with p as (
      select x.site_id, x.actor_hash from analytics_private.kpi_weekly_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
      union
      select y.site_id, y.actor_hash from analytics_private.kpi_weekly_retention_active as y where y.ingest_xid = pg_current_xact_id()
    ), who as (
      select distinct p.actor_hash from p
    ), states as (
      select x.site_id, x.actor_hash, x.network_id, x.cohort, 1 as side
      from who as w join analytics_private.kpi_weekly_retention_cohorts as x on x.actor_hash = w.actor_hash
      union all
      select x.site_id, x.actor_hash,
             case when x.ingest_xid = pg_current_xact_id() then m.network_id else x.network_id end,
             case when x.ingest_xid = pg_current_xact_id() then m.cohort else x.cohort end, 0
      from who as w join analytics_private.kpi_weekly_retention_cohorts as x on x.actor_hash = w.actor_hash
      left join unnest(moved_sites, moved_actors, moved_cohorts, moved_networks) as m (site_id, actor_hash, cohort, network_id)
        on m.site_id = x.site_id and m.actor_hash = x.actor_hash
    ), cells as (
      select c.site_id, c.actor_hash, c.network_id, c.cohort, g.j::smallint as j, c.side,
             (a.xid is not null and (c.side = 1 or a.xid <> pg_current_xact_id())) as kept
      from states as c
      cross join generate_series(0, 8) as g (j)
      cross join lateral (select (select y.ingest_xid from analytics_private.kpi_weekly_retention_active as y
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
             case when s.a_kept = s.b_kept or exists (select 1 from analytics_private.kpi_weekly_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_weekly_retention_active as y
                         where y.site_id = x.site_id and y.actor_hash = x.actor_hash
                           and y.period = (s.cohort + 7 * s.j)) > 0) then 0
                  else s.a_kept::int - s.b_kept::int end,
             0,
             case when s.a_gone = s.b_gone or exists (select 1 from analytics_private.kpi_weekly_retention_cohorts as x
                  where x.site_id = s.site_id and x.cohort = s.cohort and x.network_id = s.network_id
                    and not exists (select 1 from who as w where w.actor_hash = x.actor_hash)
                    and (select count(*) from analytics_private.kpi_weekly_retention_active as y
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
      insert into analytics_private.kpi_weekly_retention_net as r (network_id, period, period_number, cohort_actors, value, sites, actors,
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
    delete from analytics_private.kpi_weekly_retention_net as nc
    using unnest(rm_nets, rm_periods) as t (network_id, period)
    where nc.network_id = t.network_id and nc.period = t.period and nc.cohort_actors = 0;
    update analytics_private.kpi_weekly_retention_net as nc set cohort_sites = coh.sites, but_one = coh.but_one
    from (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_weekly_retention_cohorts as c
        join (select x.network_id, x.period from unnest(rm_nets, rm_periods) as x (network_id, period)) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
    where nc.network_id = coh.network_id and nc.period = coh.period;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_retention_net;
  end if;
  -- Which periods of each touched network cohort the view hides: those with fewer than 5 sites or
  -- actors retained, or with some but fewer than 5 actors or sites not retained (cohort size minus
  -- retained is published by difference; none is no one's value). A cohort
  -- hiding any period keeps the others only when its members are 5 actors and 5 sites after
  -- removing any one site (a hidden period lies between 0 and the published cohort size); otherwise
  -- the whole cohort is hidden. The counts are stored on the cells (net_refresh).
  update analytics_private.kpi_weekly_retention_net as nc
  set hidden = (nc.sites < 5 or nc.actors < 5
                or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)))
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period
    and nc.hidden is distinct from (nc.sites < 5 or nc.actors < 5
                                    or (nc.gone_actors > 0 and (nc.gone_actors < 5 or nc.gone_sites < 5)));
  update analytics_private.kpi_weekly_retention_net as nc set hidden = true
  from (select x.network_id, x.period from unnest(rt_nets, rt_periods) as x (network_id, period)) as t
  where nc.network_id = t.network_id and nc.period = t.period and not nc.hidden
    and (nc.but_one < 5 or nc.cohort_sites <= 5)
    and exists (select 1 from analytics_private.kpi_weekly_retention_net as h
                where h.network_id = nc.network_id and h.period = nc.period and h.hidden);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_weekly_retention() is 'Folds new events into KPI weekly_retention; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_weekly_retention() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_weekly_retention() to service_role;

create or replace function analytics_private.kpi_weekly_retention_for_caller()
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_weekly_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])) as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;
comment on function analytics_private.kpi_weekly_retention_for_caller() is 'KPI weekly_retention for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_weekly_retention_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_retention_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
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
  select q.site_id::uuid, q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric
  from (select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_weekly_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to") as q (site_id, period, period_number, cohort_actors, retained, rate);
end
$fn$;
comment on function analytics_private.kpi_weekly_retention_between(date, date) is 'KPI weekly_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_weekly_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_retention_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_retention')
  from analytics_private.kpi_weekly_retention_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_weekly_retention_live(date, date) is 'KPI weekly_retention, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_weekly_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_retention_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_weekly_retention_cells()
returns table (period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, suppressed boolean)
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
  select q.period::date, q.period_number::smallint, q.cohort_actors::bigint, q.retained::bigint, q.rate::numeric, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.period_number, case when r.suppressed then null else r.cohort_actors end as cohort_actors, case when r.suppressed then null else r.value end as retained, round(case when r.suppressed then null else r.value end::numeric / nullif(case when r.suppressed then null else r.cohort_actors end, 0), 6) as rate, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_weekly_retention_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, period_number, cohort_actors, retained, rate, suppressed);
end
$fn$;
comment on function analytics_private.network_weekly_retention_cells() is 'KPI weekly_retention across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_weekly_retention_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_weekly_retention_cells() to authenticated, service_role;

create or replace view analytics.kpi_weekly_retention with (security_invoker = true) as
  select * from analytics_private.kpi_weekly_retention_for_caller();
comment on view analytics.kpi_weekly_retention is 'KPI weekly_retention: Share of each weekly sign-up cohort that comes back in later weeks.';
revoke all on analytics.kpi_weekly_retention from public, anon, authenticated;
grant select on analytics.kpi_weekly_retention to authenticated, service_role;

create or replace function analytics.kpi_weekly_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_retention_between("from", "to");
end
$fn$;
comment on function analytics.kpi_weekly_retention_between(date, date) is 'KPI weekly_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_weekly_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_retention_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_weekly_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_weekly_retention_live("from", "to");
end
$fn$;
comment on function analytics.kpi_weekly_retention_live(date, date) is 'KPI weekly_retention for the caller''s own site, periods in [from, to]: the refreshed cells (a retention KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_weekly_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_retention_live(date, date) to authenticated, service_role;

create or replace view analytics.network_weekly_retention with (security_invoker = true) as
  select * from analytics_private.network_weekly_retention_cells();
comment on view analytics.network_weekly_retention is 'KPI weekly_retention across the caller''s network; small cells hidden.';
revoke all on analytics.network_weekly_retention from public, anon, authenticated;
grant select on analytics.network_weekly_retention to authenticated, service_role;

-- KPI active_actors_28d
insert into analytics_private.kpi_watermarks (kpi) values
  ('active_actors_28d')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_active_actors_28d_runs (
  kind smallint not null,
  key uuid not null,
  tier text not null,
  member bytea not null,
  run_from date not null,
  run_to date not null,
  constraint kpi_active_actors_28d_runs_key primary key (kind, key, tier, member, run_from, run_to)
);
comment on table analytics_private.kpi_active_actors_28d_runs is 'KPI active_actors_28d: per member (0: an actor of a site, 1: an actor of a network, as int8send; 2: a site of a network, as uuid_send) and dimensions, each run of active days less than 29 days apart; the member counts in the windows ending from run_from to run_to + 27.';
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
comment on table analytics_private.kpi_active_actors_28d is 'Distinct actors active on any of the 28 days ending with each day.';
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
  -- A migration holds this lock exclusively until it commits. A refresh that meets one skips this run
  -- (the next run reads the migrated caches) instead of running a body the migration has replaced.
  if not pg_try_advisory_xact_lock_shared(hashtextextended('trackgen.migrations', 0)) then
    return 0;
  end if;
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
                from (select distinct 0::smallint as kind, f.site_id as key, f.tier, int8send(f.actor_hash) as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where true
          union all
          select distinct 1::smallint, f.network_id, f.tier, int8send(f.actor_hash), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null
          union all
          select distinct 2::smallint, f.network_id, f.tier, uuid_send(f.site_id), f.period
          from analytics_private.kpi_daily_active_actors_facts as f where true and f.network_id is not null) as m) as a) as y
    group by y.kind, y.key, y.tier, y.member, y.grp
    order by 1, 2, 3, 4, 5, 6;
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
      select distinct 0::smallint as kind, f.site_id as key, f.tier, int8send(f.actor_hash) as member, f.period as day
          from analytics_private.kpi_daily_active_actors_facts as f where ((f.ingest_xid >= lo and f.ingest_xid < hi) or f.ingest_xid = pg_current_xact_id())
          union all
          select distinct 1::smallint, f.network_id, f.tier, int8send(f.actor_hash), f.period
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
comment on function analytics_private.refresh_kpi_active_actors_28d() is 'Folds new events into KPI active_actors_28d; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_active_actors_28d() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_active_actors_28d() to service_role;

create or replace function analytics_private.kpi_active_actors_28d_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_28d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[]) and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
end
$fn$;
comment on function analytics_private.kpi_active_actors_28d_for_caller() is 'KPI active_actors_28d for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_active_actors_28d_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_active_actors_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
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
  select q.site_id::uuid, q.period::date, q.tier::text, q.value::bigint
  from (select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_28d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])
    and r.period >= "from" and r.period <= "to" and r.period <= (now() at time zone 'UTC')::date) as q (site_id, period, tier, value);
end
$fn$;
comment on function analytics_private.kpi_active_actors_28d_between(date, date) is 'KPI active_actors_28d for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_active_actors_28d_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_between(date, date) to authenticated, service_role;

create or replace function analytics_private.kpi_active_actors_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d')
  from analytics_private.kpi_active_actors_28d_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_active_actors_28d_live(date, date) is 'KPI active_actors_28d, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_active_actors_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_live(date, date) to authenticated, service_role;

create or replace function analytics_private.network_active_actors_28d_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
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
  select q.period::date, q.tier::text, q.value::bigint, q.suppressed::boolean
  from (-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period - 27 and m.period and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_active_actors_28d_net as m
        where m.network_id = (select analytics_private.kpi_caller_network()) and m.period <= (now() at time zone 'UTC')::date) as r
  where (select analytics_private.kpi_caller_reads_network())) as q (period, tier, value, suppressed);
end
$fn$;
comment on function analytics_private.network_active_actors_28d_cells() is 'KPI active_actors_28d across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_active_actors_28d_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_active_actors_28d_cells() to authenticated, service_role;

create or replace view analytics.kpi_active_actors_28d with (security_invoker = true) as
  select * from analytics_private.kpi_active_actors_28d_for_caller();
comment on view analytics.kpi_active_actors_28d is 'KPI active_actors_28d: Distinct actors active on any of the 28 days ending with each day.';
revoke all on analytics.kpi_active_actors_28d from public, anon, authenticated;
grant select on analytics.kpi_active_actors_28d to authenticated, service_role;

create or replace function analytics.kpi_active_actors_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_actors_28d_between("from", "to");
end
$fn$;
comment on function analytics.kpi_active_actors_28d_between(date, date) is 'KPI active_actors_28d for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_active_actors_28d_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_28d_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_actors_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return query
  select * from analytics_private.kpi_active_actors_28d_live("from", "to");
end
$fn$;
comment on function analytics.kpi_active_actors_28d_live(date, date) is 'KPI active_actors_28d for the caller''s own site, periods in [from, to]: the refreshed cells (a rolling KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_active_actors_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_28d_live(date, date) to authenticated, service_role;

create or replace view analytics.network_active_actors_28d with (security_invoker = true) as
  select * from analytics_private.network_active_actors_28d_cells();
comment on view analytics.network_active_actors_28d is 'KPI active_actors_28d across the caller''s network; small cells hidden.';
revoke all on analytics.network_active_actors_28d from public, anon, authenticated;
grant select on analytics.network_active_actors_28d to authenticated, service_role;

-- KPI protocol_logging_adoption
create or replace view analytics.kpi_protocol_logging_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_weekly_protocol_loggers_for_caller()),
       d as materialized (select * from analytics_private.kpi_weekly_active_practitioners_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[]);
comment on view analytics.kpi_protocol_logging_adoption is 'KPI protocol_logging_adoption: Share of weekly active pro-plan actors who logged a protocol session.';
revoke all on analytics.kpi_protocol_logging_adoption from public, anon, authenticated;
grant select on analytics.kpi_protocol_logging_adoption to authenticated, service_role;

create or replace function analytics.kpi_protocol_logging_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  with n as materialized (select * from analytics_private.kpi_weekly_protocol_loggers_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_weekly_active_practitioners_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[]);
$fn$;
comment on function analytics.kpi_protocol_logging_adoption_between(date, date) is 'KPI protocol_logging_adoption for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_protocol_logging_adoption_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_adoption_between(date, date) to authenticated, service_role;

create or replace function analytics.kpi_protocol_logging_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_weekly_protocol_loggers_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_weekly_active_practitioners_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[]);
$fn$;
comment on function analytics.kpi_protocol_logging_adoption_live(date, date) is 'KPI protocol_logging_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_protocol_logging_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_adoption_live(date, date) to authenticated, service_role;

create or replace view analytics.network_protocol_logging_adoption with (security_invoker = true) as
select n.period,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_weekly_protocol_loggers_cells() as n
  join analytics_private.network_weekly_active_practitioners_cells() as d on n.period = d.period;
comment on view analytics.network_protocol_logging_adoption is 'KPI protocol_logging_adoption across the caller''s network; small cells hidden.';
revoke all on analytics.network_protocol_logging_adoption from public, anon, authenticated;
grant select on analytics.network_protocol_logging_adoption to authenticated, service_role;

-- KPI active_actors_28d
create or replace function analytics_private.kpi_active_actors_28d_suppress(nets uuid[], periods date[])
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
  update analytics_private.kpi_active_actors_28d_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_active_actors_28d_suppress(uuid[], date[]) is 'Which network cells of KPIs active_actors_28d the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_active_actors_28d_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_suppress(uuid[], date[]) to service_role;

-- KPI api_latency_ms
create or replace function analytics_private.kpi_api_latency_ms_suppress(nets uuid[], periods date[])
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
  update analytics_private.kpi_api_latency_ms_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_api_latency_ms_suppress(uuid[], date[]) is 'Which network cells of KPIs api_latency_ms the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_api_latency_ms_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_suppress(uuid[], date[]) to service_role;

-- KPI daily_active_actors
create or replace function analytics_private.kpi_daily_active_actors_suppress(nets uuid[], periods date[])
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
  update analytics_private.kpi_daily_active_actors_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_daily_active_actors_suppress(uuid[], date[]) is 'Which network cells of KPIs daily_active_actors the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_daily_active_actors_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_suppress(uuid[], date[]) to service_role;

-- KPI live_protocol_sessions
create or replace function analytics_private.kpi_live_protocol_sessions_suppress(nets uuid[], periods date[])
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
  update analytics_private.kpi_live_protocol_sessions_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_live_protocol_sessions_suppress(uuid[], date[]) is 'Which network cells of KPIs live_protocol_sessions the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_live_protocol_sessions_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_live_protocol_sessions_suppress(uuid[], date[]) to service_role;

-- KPI weekly_active_practitioners
create or replace function analytics_private.kpi_weekly_active_practitioners_suppress(nets uuid[], periods date[])
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
  update analytics_private.kpi_weekly_active_practitioners_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_weekly_active_practitioners_suppress(uuid[], date[]) is 'Which network cells of KPIs weekly_active_practitioners the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_weekly_active_practitioners_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_practitioners_suppress(uuid[], date[]) to service_role;

-- KPI weekly_protocol_loggers
create or replace function analytics_private.kpi_weekly_protocol_loggers_suppress(nets uuid[], periods date[])
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
  update analytics_private.kpi_weekly_protocol_loggers_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_weekly_protocol_loggers_suppress(uuid[], date[]) is 'Which network cells of KPIs weekly_protocol_loggers the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_weekly_protocol_loggers_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_protocol_loggers_suppress(uuid[], date[]) to service_role;

-- keep 3 monthly event partitions ready ahead of now
select cron.schedule('analytics_event_partitions', '17 3 * * *', 'select analytics_private.ensure_event_partitions()');

-- forget idempotency keys of events too old to be accepted again
select cron.schedule('analytics_purge_event_keys', '43 3 * * *', 'delete from analytics_private.event_keys where occurred_at < now() - (interval ''7 days'' + interval ''1 day'')');

-- keep 90 days of rejection counters (storage.rejections_retention)
select cron.schedule('analytics_purge_rejections', '29 3 * * *', 'delete from analytics_private.rejections where day < ((now() at time zone ''UTC'') - interval ''90 days'')::date');

-- keep 7 days of run history, for this schema's jobs only
select cron.schedule('analytics_purge_cron_history', '11 4 * * *', 'delete from cron.job_run_details where end_time < now() - interval ''7 days'' and jobid in (select jobid from cron.job where jobname in (''analytics_event_partitions'', ''analytics_purge_cron_history'', ''analytics_purge_event_keys'', ''analytics_purge_rejections'', ''analytics_refresh_active_actors_28d'', ''analytics_refresh_api_latency_ms'', ''analytics_refresh_daily_active_actors'', ''analytics_refresh_live_protocol_sessions'', ''analytics_refresh_upgrade_funnel'', ''analytics_refresh_weekly_active_practitioners'', ''analytics_refresh_weekly_protocol_loggers'', ''analytics_refresh_weekly_retention''))');

-- KPI api_latency_ms
-- incremental refresh of KPI "api_latency_ms" (percentile)
select cron.schedule('analytics_refresh_api_latency_ms', '* * * * *', 'select analytics_private.refresh_kpi_api_latency_ms()');

-- KPI daily_active_actors
-- incremental refresh of KPI "daily_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_daily_active_actors', '*/5 * * * *', 'select analytics_private.refresh_kpi_daily_active_actors()');

-- KPI live_protocol_sessions
-- incremental refresh of KPI "live_protocol_sessions" (count)
select cron.schedule('analytics_refresh_live_protocol_sessions', '* * * * *', 'select analytics_private.refresh_kpi_live_protocol_sessions()');

-- KPI upgrade_funnel
-- incremental refresh of KPI "upgrade_funnel" (funnel)
select cron.schedule('analytics_refresh_upgrade_funnel', '* * * * *', 'select analytics_private.refresh_kpi_upgrade_funnel()');

-- KPI weekly_active_practitioners
-- incremental refresh of KPI "weekly_active_practitioners" (distinct_actors)
select cron.schedule('analytics_refresh_weekly_active_practitioners', '* * * * *', 'select analytics_private.refresh_kpi_weekly_active_practitioners()');

-- KPI weekly_protocol_loggers
-- incremental refresh of KPI "weekly_protocol_loggers" (distinct_actors)
select cron.schedule('analytics_refresh_weekly_protocol_loggers', '* * * * *', 'select analytics_private.refresh_kpi_weekly_protocol_loggers()');

-- KPI weekly_retention
-- incremental refresh of KPI "weekly_retention" (retention)
select cron.schedule('analytics_refresh_weekly_retention', '* * * * *', 'select analytics_private.refresh_kpi_weekly_retention()');

-- KPI active_actors_28d
-- incremental refresh of KPI "active_actors_28d" (rolling)
select cron.schedule('analytics_refresh_active_actors_28d', '* * * * *', 'select analytics_private.refresh_kpi_active_actors_28d()');
