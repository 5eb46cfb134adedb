-- trackgen migration 20261201070300: core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';
create or replace view analytics_private.clickhouse_events as
  select
    e.event_id as event_id,
    e.site_id as site_id,
    e.network_id as network_id,
    encode(e.actor_hash, 'hex') as actor_hash,
    e.actor_tier as actor_tier,
    e.occurred_at as occurred_at,
    e.received_at as received_at,
    e.idempotency_key as idempotency_key,
    e.plan_version as plan_version,
    e.payload::text as payload,
    e.ingest_xid as ingest_xid,
    (e.ingest_xid::text)::bigint as ingest_xid_number
  from analytics_private.events as e
  where e.ingest_xid < pg_snapshot_xmin(pg_current_snapshot());
comment on view analytics_private.clickhouse_events is 'What ClickHouse ingests: committed events older than every running transaction (read with its owner''s rights; granted only to the ClickHouse login role).';
revoke all on analytics_private.clickhouse_events from public, anon, authenticated;
grant all on analytics_private.clickhouse_events to service_role;

-- ClickHouse's login role (clickhouse_reader) reads the export view and nothing else; the role is made by the operator, never by a migration (re-run this after creating it)
do $grant$
begin
  if exists (select from pg_catalog.pg_roles where rolname = 'clickhouse_reader') then
    grant usage on schema analytics_private to clickhouse_reader;
    grant select on analytics_private.clickhouse_events to clickhouse_reader;
  end if;
end
$grant$;
