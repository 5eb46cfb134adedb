-- trackgen ClickHouse migration 20261201055009 (single node): the difference from the released ClickHouse catalog.
-- Generated; do not edit.

DROP VIEW IF EXISTS analytics_private.ingest_events SYNC;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.ingest_events
REFRESH EVERY 60 SECOND APPEND TO analytics_private.events
AS SELECT *
FROM (
    SELECT
      CAST(x.event_id AS LowCardinality(String)) AS event_id,
      CAST(x.site_id AS UUID) AS site_id,
      CAST(x.network_id AS Nullable(UUID)) AS network_id,
      CAST(x.actor_hash AS String) AS actor_hash,
      CAST(x.actor_tier AS LowCardinality(String)) AS actor_tier,
      CAST(x.occurred_at AS DateTime64(6, 'UTC')) AS occurred_at,
      CAST(x.received_at AS DateTime64(6, 'UTC')) AS received_at,
      CAST(x.idempotency_key AS UUID) AS idempotency_key,
      CAST(x.plan_version AS LowCardinality(Nullable(String))) AS plan_version,
      CAST(x.payload AS String) AS payload,
      CAST(x.ingest_xid_number AS UInt64) AS ingest_xid
    FROM postgresql(trackgen_supabase, schema = 'analytics_private', table = 'clickhouse_events') AS x
    WHERE x.ingest_xid >= (SELECT leftPad(toString(max(s.ingest_xid)), 21, '0') FROM analytics_private.events AS s)
      AND x.ingest_xid_number >= (SELECT max(s.ingest_xid) FROM analytics_private.events AS s)
)
WHERE (site_id, idempotency_key, occurred_at) NOT IN (
    SELECT h.site_id, h.idempotency_key, h.occurred_at FROM analytics_private.events AS h WHERE h.ingest_xid >= (SELECT max(s.ingest_xid) FROM analytics_private.events AS s))
ORDER BY ingest_xid
SETTINGS max_threads = 1, max_insert_threads = 1
COMMENT 'Copies new events from the Supabase export view, exactly once.';
