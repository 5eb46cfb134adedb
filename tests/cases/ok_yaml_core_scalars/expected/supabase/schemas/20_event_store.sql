-- The event store: partitioned by month of occurred_at, written only by track_events.
-- actor_hash is HMAC-SHA256(user id, per-deployment secret): the clear user id is never stored.

create table if not exists analytics_private.secrets (
  name text primary key,
  value bytea not null
);
comment on table analytics_private.secrets is 'Per-deployment secrets, made at migration time and never leaving the database.';
insert into analytics_private.secrets (name, value)
values ('actor_hmac_key', extensions.gen_random_bytes(32))
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
  -- The writing transaction's id: rollups read up to the oldest still-running
  -- transaction, so rows that commit out of order are never skipped.
  ingest_xid xid8 not null default pg_current_xact_id(),
  primary key (site_id, idempotency_key, occurred_at)
) partition by range (occurred_at);
comment on table analytics_private.events is 'Accepted events, one row each; partitioned by month, default partition catches the rest.';

create table if not exists analytics_private.events_default partition of analytics_private.events default;

create index if not exists events_site_time_idx on analytics_private.events (site_id, occurred_at);
create index if not exists events_event_time_idx on analytics_private.events (event_id, occurred_at);
create index if not exists events_ingest_xid_idx on analytics_private.events (ingest_xid);

-- Idempotency: one row per client key and site, whatever the partition of the event.
create table if not exists analytics_private.event_keys (
  site_id uuid not null,
  idempotency_key uuid not null,
  occurred_at timestamptz not null,
  primary key (site_id, idempotency_key)
);
create index if not exists event_keys_time_idx on analytics_private.event_keys (occurred_at);

-- Rejections are counted by day, site, event id and reason; payload values are never kept.
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

alter table analytics_private.event_keys enable row level security;
revoke all on analytics_private.event_keys from public, anon, authenticated;
grant all on analytics_private.event_keys to service_role;
drop policy if exists event_keys_service on analytics_private.event_keys;
create policy event_keys_service on analytics_private.event_keys for all to service_role using (true) with check (true);
alter table analytics_private.events enable row level security;
revoke all on analytics_private.events from public, anon, authenticated;
grant all on analytics_private.events to service_role;
drop policy if exists events_service on analytics_private.events;
create policy events_service on analytics_private.events for all to service_role using (true) with check (true);
alter table analytics_private.events_default enable row level security;
revoke all on analytics_private.events_default from public, anon, authenticated;
grant all on analytics_private.events_default to service_role;
drop policy if exists events_default_service on analytics_private.events_default;
create policy events_default_service on analytics_private.events_default for all to service_role using (true) with check (true);
alter table analytics_private.rejections enable row level security;
revoke all on analytics_private.rejections from public, anon, authenticated;
grant all on analytics_private.rejections to service_role;
drop policy if exists rejections_service on analytics_private.rejections;
create policy rejections_service on analytics_private.rejections for all to service_role using (true) with check (true);
alter table analytics_private.secrets enable row level security;
revoke all on analytics_private.secrets from public, anon, authenticated;
grant all on analytics_private.secrets to service_role;
drop policy if exists secrets_service on analytics_private.secrets;
create policy secrets_service on analytics_private.secrets for all to service_role using (true) with check (true);
-- Defence in depth: even if select were granted one day, a caller would see only its own site.
drop policy if exists events_own_site on analytics_private.events;
create policy events_own_site on analytics_private.events for select to authenticated
  using (site_id = ((select auth.jwt()) #>> '{app_metadata,site_id}')::uuid);
