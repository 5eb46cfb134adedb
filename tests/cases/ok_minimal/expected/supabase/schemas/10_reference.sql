-- Controlled reference tables: tiers and event types, seeded from the taxonomy.
-- Rows are upserted, never deleted: a removed event would orphan stored events.

create table if not exists analytics.tiers (
  name text primary key check (name ~ '^[a-z][a-z0-9_]*$'),
  rank integer not null,
  is_system boolean not null default false,
  description text not null
);
comment on table analytics.tiers is 'Caller tiers, lowest rank first; system events are accepted from any tier.';

create table if not exists analytics.event_types (
  id text primary key check (id ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9]*(_[a-z0-9]+)+$'),
  tier text not null references analytics.tiers (name),
  description text not null,
  owner text not null,
  status text not null check (status in ('active', 'deprecated')),
  schema_version text not null check (schema_version ~ '^[1-9][0-9]*-[0-9]+-[0-9]+$'),
  replaced_by text references analytics.event_types (id),
  payload_schema jsonb not null
);
comment on table analytics.event_types is 'Controlled event ids; events reference this table. Never deleted, only deprecated.';
create index if not exists event_types_tier_idx on analytics.event_types (tier);

insert into analytics.tiers (name, rank, is_system, description) values
  ('consumer', 1, false, 'Free plan with self-care tools anyone can use.')
on conflict (name) do update
  set rank = excluded.rank, is_system = excluded.is_system, description = excluded.description;

insert into analytics.event_types (id, tier, description, owner, status, schema_version, replaced_by, payload_schema) values
  ('consumer.app_opened', 'consumer', 'The app was opened and showed its home screen.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:minimal:event:consumer.app_opened:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"The app was opened and showed its home screen.","examples":[{}],"properties":{},"required":[],"title":"consumer.app_opened","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb)
on conflict (id) do update
  set description = excluded.description, owner = excluded.owner, status = excluded.status,
      schema_version = excluded.schema_version, payload_schema = excluded.payload_schema;

alter table analytics.tiers enable row level security;
alter table analytics.event_types enable row level security;
revoke all on analytics.tiers, analytics.event_types from public, anon, authenticated;
grant select on analytics.tiers, analytics.event_types to anon, authenticated;
grant all on analytics.tiers, analytics.event_types to service_role;
drop policy if exists tiers_read on analytics.tiers;
create policy tiers_read on analytics.tiers for select to anon, authenticated using (true);
drop policy if exists event_types_read on analytics.event_types;
create policy event_types_read on analytics.event_types for select to anon, authenticated using (true);
drop policy if exists tiers_service on analytics.tiers;
create policy tiers_service on analytics.tiers for all to service_role using (true) with check (true);
drop policy if exists event_types_service on analytics.event_types;
create policy event_types_service on analytics.event_types for all to service_role using (true) with check (true);
