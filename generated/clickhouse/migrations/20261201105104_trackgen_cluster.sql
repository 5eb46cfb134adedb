-- trackgen ClickHouse migration 20261201105104 (cluster trackgen): the same difference, ON CLUSTER.
-- Generated; do not edit.

DROP VIEW IF EXISTS analytics_private.kpi_api_latency_ms_mv ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.kpi_api_latency_ms ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_consumer_feature_users_by_feature_mv ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_errors_by_code_mv ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_screen_load_ms_mv ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.kpi_screen_load_ms ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_active_clinic_members ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_active_network_members ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_active_practitioners ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_api_latency_ms ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_api_request_count ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_api_server_error_count ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_clinic_collaborators ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_daily_actives ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_feature_users ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_feature_users_by_feature ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_daily_active_actors ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_error_count ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_errors_by_code ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_monthly_active_actors ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_network_analytics_viewers ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_protocol_loggers ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_protocol_sessions_logged ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_screen_load_ms ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics.network_weekly_active_actors ON CLUSTER 'trackgen' SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_api_latency_ms ON CLUSTER 'trackgen' SYNC;
DROP TABLE IF EXISTS analytics_private.kpi_api_latency_ms_local ON CLUSTER 'trackgen' SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_consumer_feature_users_by_feature ON CLUSTER 'trackgen' SYNC;
DROP TABLE IF EXISTS analytics_private.kpi_consumer_feature_users_by_feature_local ON CLUSTER 'trackgen' SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_errors_by_code ON CLUSTER 'trackgen' SYNC;
DROP TABLE IF EXISTS analytics_private.kpi_errors_by_code_local ON CLUSTER 'trackgen' SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_screen_load_ms ON CLUSTER 'trackgen' SYNC;
DROP TABLE IF EXISTS analytics_private.kpi_screen_load_ms_local ON CLUSTER 'trackgen' SYNC;

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_latency_ms_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    endpoint LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    measures AggregateFunction(groupArray, Tuple(Float64, String)),
    actor_set AggregateFunction(groupUniqArray, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, endpoint, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI api_latency_ms: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_latency_ms ON CLUSTER 'trackgen' AS analytics_private.kpi_api_latency_ms_local
ENGINE = Distributed('trackgen', analytics_private, kpi_api_latency_ms_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_api_latency_ms
SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'endpoint') = 'String', JSONExtractString(payload, 'endpoint'), JSONType(payload, 'endpoint') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'endpoint')) AS endpoint,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupArrayState((JSONExtractFloat(payload, 'duration_ms'), actor_hash)) AS measures,
  groupUniqArrayState(actor_hash) AS actor_set
FROM analytics_private.events
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'api_latency_ms')
  AND JSONType(payload, 'duration_ms') IN ('Int64', 'UInt64', 'Double')
GROUP BY site_id, period, endpoint, network_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_api_latency_ms_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_api_latency_ms_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'endpoint') = 'String', JSONExtractString(payload, 'endpoint'), JSONType(payload, 'endpoint') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'endpoint')) AS endpoint,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupArrayState((JSONExtractFloat(payload, 'duration_ms'), actor_hash)) AS measures,
  groupUniqArrayState(actor_hash) AS actor_set
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'api_latency_ms')
  AND JSONType(payload, 'duration_ms') IN ('Int64', 'UInt64', 'Double')
GROUP BY site_id, period, endpoint, network_id
COMMENT 'Folds every inserted block of events into KPI api_latency_ms.';

CREATE OR REPLACE VIEW analytics.kpi_api_latency_ms ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, endpoint,
  length(groupArrayMerge(measures)) AS n,
  arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
  arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95,
  arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.99 * n)))] AS p99
FROM analytics_private.kpi_api_latency_ms
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, endpoint
COMMENT 'KPI api_latency_ms for the caller\'s own site.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    feature LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    actor_set AggregateFunction(groupUniqArray, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, feature, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI consumer_feature_users_by_feature: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature ON CLUSTER 'trackgen' AS analytics_private.kpi_consumer_feature_users_by_feature_local
ENGINE = Distributed('trackgen', analytics_private, kpi_consumer_feature_users_by_feature_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_consumer_feature_users_by_feature
SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'feature') = 'String', JSONExtractString(payload, 'feature'), JSONType(payload, 'feature') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'feature')) AS feature,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupUniqArrayState(actor_hash) AS actor_set
FROM analytics_private.events
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'consumer_feature_users_by_feature')
  AND actor_tier IN ('consumer')
GROUP BY site_id, period, feature, network_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_consumer_feature_users_by_feature_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'feature') = 'String', JSONExtractString(payload, 'feature'), JSONType(payload, 'feature') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'feature')) AS feature,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupUniqArrayState(actor_hash) AS actor_set
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'consumer_feature_users_by_feature')
  AND actor_tier IN ('consumer')
GROUP BY site_id, period, feature, network_id
COMMENT 'Folds every inserted block of events into KPI consumer_feature_users_by_feature.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_errors_by_code_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    error_code LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    actor_set AggregateFunction(groupUniqArray, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, error_code, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI errors_by_code: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_errors_by_code ON CLUSTER 'trackgen' AS analytics_private.kpi_errors_by_code_local
ENGINE = Distributed('trackgen', analytics_private, kpi_errors_by_code_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_errors_by_code
SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'error_code') = 'String', JSONExtractString(payload, 'error_code'), JSONType(payload, 'error_code') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'error_code')) AS error_code,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupUniqArrayState(actor_hash) AS actor_set
FROM analytics_private.events
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'errors_by_code')
GROUP BY site_id, period, error_code, network_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_errors_by_code_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_errors_by_code_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'error_code') = 'String', JSONExtractString(payload, 'error_code'), JSONType(payload, 'error_code') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'error_code')) AS error_code,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupUniqArrayState(actor_hash) AS actor_set
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'errors_by_code')
GROUP BY site_id, period, error_code, network_id
COMMENT 'Folds every inserted block of events into KPI errors_by_code.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_screen_load_ms_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    screen LowCardinality(Nullable(String)),
    platform LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    measures AggregateFunction(groupArray, Tuple(Float64, String))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, screen, platform, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI screen_load_ms: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_screen_load_ms ON CLUSTER 'trackgen' AS analytics_private.kpi_screen_load_ms_local
ENGINE = Distributed('trackgen', analytics_private, kpi_screen_load_ms_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_screen_load_ms
SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'screen') = 'String', JSONExtractString(payload, 'screen'), JSONType(payload, 'screen') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'screen')) AS screen,
  multiIf(JSONType(payload, 'platform') = 'String', JSONExtractString(payload, 'platform'), JSONType(payload, 'platform') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'platform')) AS platform,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupArrayState((JSONExtractFloat(payload, 'load_ms'), actor_hash)) AS measures
FROM analytics_private.events
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'screen_load_ms')
  AND JSONType(payload, 'load_ms') IN ('Int64', 'UInt64', 'Double')
GROUP BY site_id, period, screen, platform, network_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_screen_load_ms_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_screen_load_ms_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'screen') = 'String', JSONExtractString(payload, 'screen'), JSONType(payload, 'screen') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'screen')) AS screen,
  multiIf(JSONType(payload, 'platform') = 'String', JSONExtractString(payload, 'platform'), JSONType(payload, 'platform') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'platform')) AS platform,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupArrayState((JSONExtractFloat(payload, 'load_ms'), actor_hash)) AS measures
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'screen_load_ms')
  AND JSONType(payload, 'load_ms') IN ('Int64', 'UInt64', 'Double')
GROUP BY site_id, period, screen, platform, network_id
COMMENT 'Folds every inserted block of events into KPI screen_load_ms.';

CREATE OR REPLACE VIEW analytics.kpi_screen_load_ms ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, screen, platform,
  length(groupArrayMerge(measures)) AS n,
  arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
  arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95
FROM analytics_private.kpi_screen_load_ms
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, screen, platform
COMMENT 'KPI screen_load_ms for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics_private.kpi_api_latency_ms_family ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT ['api_latency_ms', 'api_request_count'][tupleElement(z, 1)] AS kpi, period, tupleElement(z, 2) AS key, tupleElement(z, 3) AS hidden
FROM (
SELECT period, arrayJoin(arrayZip(cm, ck, flags)) AS z
FROM (
  SELECT period, arrayMap(c -> c.1, cells) AS cm, arrayMap(c -> c.2, cells) AS ck,
    arrayMap(c -> c.3, cells) AS ca, arrayMap(c -> c.4, cells) AS cs, arrayMap(c -> c.5, cells) AS cp,
    tupleElement(arrayFold((acc, st) -> if(tupleElement(acc, 3) = 1, acc, arrayMap(h -> arrayMap(nh -> CAST((nh, (if(st % 1 = 0, 0, tupleElement(acc, 2)) OR nh != h), st % 1 = 0 AND NOT (if(st % 1 = 0, 0, tupleElement(acc, 2)) OR nh != h)), 'Tuple(Array(UInt8), UInt8, UInt8)'), [arrayMap(bl -> arrayMap(ap -> arrayMap(i -> h[i] OR multiIf(cm[i] = 1, tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 1) = 1 AND tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 2) = i, cm[i] = 2, tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 1) = 2, 0), arrayEnumerate(cm)), [arrayMap(b -> arrayMap(hid -> (toUInt8(multiIf(arrayExists(i -> cm[i] = 2 AND h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)), if(length(hid) = 0, 1, 0), length(hid) > 0 AND NOT (length(hid) >= 2 AND arrayMap(hp -> length(arrayDistinct(arrayMap(x -> x.1, hp))) > 5 AND arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [hp])[1] >= 5 + length(hid), [arrayDistinct(arrayFlatten(arrayMap(i -> cp[i], hid)))])[1]), if(arrayCount(i -> cm[i] = 1 AND NOT h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)) > 0, 1, 2), 0)), toUInt64(arraySort(i -> (ca[i], cs[i], ck[i]), arrayFilter(i -> cm[i] = 1 AND NOT h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)))[1])), [arrayFilter(i -> cm[i] = 1 AND h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm))])[1], bl)])[1], [arrayDistinct(arrayMap(i -> CAST([], 'Array(String)'), arrayFilter(i -> cm[i] = 1, arrayEnumerate(cm))))])[1]])[1], [tupleElement(acc, 1)])[1]),
      range(length(cm) * 1),
      CAST((arrayMap(i -> cs[i] < 5 OR ca[i] < 5, arrayEnumerate(cm)), 0, 0), 'Tuple(Array(UInt8), UInt8, UInt8)')), 1) AS flags
  FROM (
  SELECT period, groupArray((m, key, actors, sites, pairs)) AS cells
  FROM (
  SELECT 1 AS m, period, CAST([ifNull(endpoint, '')], 'Array(String)') AS key, uniqExactMerge(actors) AS actors,
    uniqExact(site_id) AS sites, groupUniqArrayArray(arrayMap(a -> (site_id, a), finalizeAggregation(actor_set))) AS pairs
  FROM analytics_private.kpi_api_latency_ms
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, endpoint
  UNION ALL
  SELECT 2 AS m, period, CAST([], 'Array(String)') AS key, uniqExactMerge(actors) AS actors,
    uniqExact(site_id) AS sites, CAST([], 'Array(Tuple(UUID, String))') AS pairs
  FROM analytics_private.kpi_api_request_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
  GROUP BY period)))
COMMENT 'Which network cells of KPIs api_latency_ms, api_request_count are hidden with their family, for the caller\'s network (PostgreSQL\'s suppression function, at read time).';

CREATE OR REPLACE VIEW analytics_private.kpi_consumer_feature_users_family ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT ['consumer_feature_users', 'consumer_feature_users_by_feature'][tupleElement(z, 1)] AS kpi, period, tupleElement(z, 2) AS key, tupleElement(z, 3) AS hidden
FROM (
SELECT period, arrayJoin(arrayZip(cm, ck, flags)) AS z
FROM (
  SELECT period, arrayMap(c -> c.1, cells) AS cm, arrayMap(c -> c.2, cells) AS ck,
    arrayMap(c -> c.3, cells) AS ca, arrayMap(c -> c.4, cells) AS cs, arrayMap(c -> c.5, cells) AS cp,
    tupleElement(arrayFold((acc, st) -> if(tupleElement(acc, 3) = 1, acc, arrayMap(h -> arrayMap(nh -> CAST((nh, (if(st % 1 = 0, 0, tupleElement(acc, 2)) OR nh != h), st % 1 = 0 AND NOT (if(st % 1 = 0, 0, tupleElement(acc, 2)) OR nh != h)), 'Tuple(Array(UInt8), UInt8, UInt8)'), [arrayMap(bl -> arrayMap(ap -> arrayMap(i -> h[i] OR multiIf(cm[i] = 2, tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 1) = 1 AND tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 2) = i, cm[i] = 1, tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 1) = 2, 0), arrayEnumerate(cm)), [arrayMap(b -> arrayMap(hid -> (toUInt8(multiIf(arrayExists(i -> cm[i] = 1 AND h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)), if(length(hid) = 0, 1, 0), length(hid) > 0 AND NOT (length(hid) >= 2 AND arrayMap(hp -> length(arrayDistinct(arrayMap(x -> x.1, hp))) > 5 AND arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [hp])[1] >= 5 + length(hid), [arrayDistinct(arrayFlatten(arrayMap(i -> cp[i], hid)))])[1]), if(arrayCount(i -> cm[i] = 2 AND NOT h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)) > 0, 1, 2), 0)), toUInt64(arraySort(i -> (ca[i], cs[i], ck[i]), arrayFilter(i -> cm[i] = 2 AND NOT h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)))[1])), [arrayFilter(i -> cm[i] = 2 AND h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm))])[1], bl)])[1], [arrayDistinct(arrayMap(i -> CAST([], 'Array(String)'), arrayFilter(i -> cm[i] = 2, arrayEnumerate(cm))))])[1]])[1], [tupleElement(acc, 1)])[1]),
      range(length(cm) * 1),
      CAST((arrayMap(i -> cs[i] < 5 OR ca[i] < 5, arrayEnumerate(cm)), 0, 0), 'Tuple(Array(UInt8), UInt8, UInt8)')), 1) AS flags
  FROM (
  SELECT period, groupArray((m, key, actors, sites, pairs)) AS cells
  FROM (
  SELECT 1 AS m, period, CAST([], 'Array(String)') AS key, uniqExactMerge(actors) AS actors,
    uniqExact(site_id) AS sites, CAST([], 'Array(Tuple(UUID, String))') AS pairs
  FROM analytics_private.kpi_consumer_feature_users
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period
  UNION ALL
  SELECT 2 AS m, period, CAST([ifNull(feature, '')], 'Array(String)') AS key, uniqExactMerge(actors) AS actors,
    uniqExact(site_id) AS sites, groupUniqArrayArray(arrayMap(a -> (site_id, a), finalizeAggregation(actor_set))) AS pairs
  FROM analytics_private.kpi_consumer_feature_users_by_feature
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, feature)
  GROUP BY period)))
COMMENT 'Which network cells of KPIs consumer_feature_users, consumer_feature_users_by_feature are hidden with their family, for the caller\'s network (PostgreSQL\'s suppression function, at read time).';

CREATE OR REPLACE VIEW analytics_private.kpi_error_count_family ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT ['error_count', 'errors_by_code'][tupleElement(z, 1)] AS kpi, period, tupleElement(z, 2) AS key, tupleElement(z, 3) AS hidden
FROM (
SELECT period, arrayJoin(arrayZip(cm, ck, flags)) AS z
FROM (
  SELECT period, arrayMap(c -> c.1, cells) AS cm, arrayMap(c -> c.2, cells) AS ck,
    arrayMap(c -> c.3, cells) AS ca, arrayMap(c -> c.4, cells) AS cs, arrayMap(c -> c.5, cells) AS cp,
    tupleElement(arrayFold((acc, st) -> if(tupleElement(acc, 3) = 1, acc, arrayMap(h -> arrayMap(nh -> CAST((nh, (if(st % 1 = 0, 0, tupleElement(acc, 2)) OR nh != h), st % 1 = 0 AND NOT (if(st % 1 = 0, 0, tupleElement(acc, 2)) OR nh != h)), 'Tuple(Array(UInt8), UInt8, UInt8)'), [arrayMap(bl -> arrayMap(ap -> arrayMap(i -> h[i] OR multiIf(cm[i] = 2, tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 1) = 1 AND tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 2) = i, cm[i] = 1, tupleElement(ap[indexOf(bl, CAST([], 'Array(String)'))], 1) = 2, 0), arrayEnumerate(cm)), [arrayMap(b -> arrayMap(hid -> (toUInt8(multiIf(arrayExists(i -> cm[i] = 1 AND h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)), if(length(hid) = 0, 1, 0), length(hid) > 0 AND NOT (length(hid) >= 2 AND arrayMap(hp -> length(arrayDistinct(arrayMap(x -> x.1, hp))) > 5 AND arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [hp])[1] >= 5 + length(hid), [arrayDistinct(arrayFlatten(arrayMap(i -> cp[i], hid)))])[1]), if(arrayCount(i -> cm[i] = 2 AND NOT h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)) > 0, 1, 2), 0)), toUInt64(arraySort(i -> (ca[i], cs[i], ck[i]), arrayFilter(i -> cm[i] = 2 AND NOT h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm)))[1])), [arrayFilter(i -> cm[i] = 2 AND h[i] AND CAST([], 'Array(String)') = b, arrayEnumerate(cm))])[1], bl)])[1], [arrayDistinct(arrayMap(i -> CAST([], 'Array(String)'), arrayFilter(i -> cm[i] = 2, arrayEnumerate(cm))))])[1]])[1], [tupleElement(acc, 1)])[1]),
      range(length(cm) * 1),
      CAST((arrayMap(i -> cs[i] < 5 OR ca[i] < 5, arrayEnumerate(cm)), 0, 0), 'Tuple(Array(UInt8), UInt8, UInt8)')), 1) AS flags
  FROM (
  SELECT period, groupArray((m, key, actors, sites, pairs)) AS cells
  FROM (
  SELECT 1 AS m, period, CAST([], 'Array(String)') AS key, uniqExactMerge(actors) AS actors,
    uniqExact(site_id) AS sites, CAST([], 'Array(Tuple(UUID, String))') AS pairs
  FROM analytics_private.kpi_error_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period
  UNION ALL
  SELECT 2 AS m, period, CAST([ifNull(error_code, '')], 'Array(String)') AS key, uniqExactMerge(actors) AS actors,
    uniqExact(site_id) AS sites, groupUniqArrayArray(arrayMap(a -> (site_id, a), finalizeAggregation(actor_set))) AS pairs
  FROM analytics_private.kpi_errors_by_code
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, error_code)
  GROUP BY period)))
COMMENT 'Which network cells of KPIs error_count, errors_by_code are hidden with their family, for the caller\'s network (PostgreSQL\'s suppression function, at read time).';

CREATE OR REPLACE VIEW analytics.network_active_clinic_members ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_active_clinic_members
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI active_clinic_members across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_active_network_members ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_active_network_members
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI active_network_members across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_active_practitioners ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_active_practitioners
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI active_practitioners across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_api_latency_ms ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, endpoint,
  if(suppressed, NULL, n) AS n,
  if(suppressed OR p50_thin, NULL, p50) AS p50,
  if(suppressed OR p95_thin, NULL, p95) AS p95,
  if(suppressed OR p99_thin, NULL, p99) AS p99,
  suppressed
FROM (
SELECT c.period AS period, c.endpoint AS endpoint, c.n AS n, c.p50 AS p50, c.p95 AS p95, c.p99 AS p99, c.p50_thin AS p50_thin, c.p95_thin AS p95_thin, c.p99_thin AS p99_thin,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR f.hidden = 1) AS suppressed
FROM (
  SELECT period, endpoint,
    length(groupArrayMerge(measures)) AS n,
    arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
    arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95,
    arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.99 * n)))] AS p99,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(endpoint, '')], 'Array(String)') AS cell_key,
    groupArrayArray(arrayMap(x -> (x.1, site_id, x.2), finalizeAggregation(measures))) AS cell_values,
    least(arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 >= p50, cell_values)))])[1], arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 <= p50, cell_values)))])[1]) < 5 AS p50_thin,
    least(arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 >= p95, cell_values)))])[1], arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 <= p95, cell_values)))])[1]) < 5 AS p95_thin,
    least(arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 >= p99, cell_values)))])[1], arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 <= p99, cell_values)))])[1]) < 5 AS p99_thin
  FROM analytics_private.kpi_api_latency_ms
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, endpoint) AS c
LEFT JOIN (SELECT period, key, hidden FROM analytics_private.kpi_api_latency_ms_family WHERE kpi = 'api_latency_ms') AS f ON f.period = c.period AND f.key = c.cell_key)
COMMENT 'KPI api_latency_ms across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_api_request_count ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR f.hidden = 1) AS suppressed
FROM (
  SELECT period,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_api_request_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c
LEFT JOIN (SELECT period, key, hidden FROM analytics_private.kpi_api_latency_ms_family WHERE kpi = 'api_request_count') AS f ON f.period = c.period AND f.key = c.cell_key)
COMMENT 'KPI api_request_count across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_api_server_error_count ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_api_server_error_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI api_server_error_count across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_clinic_collaborators ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_clinic_collaborators
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI clinic_collaborators across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_consumer_daily_actives ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_consumer_daily_actives
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI consumer_daily_actives across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR f.hidden = 1) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_consumer_feature_users
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c
LEFT JOIN (SELECT period, key, hidden FROM analytics_private.kpi_consumer_feature_users_family WHERE kpi = 'consumer_feature_users') AS f ON f.period = c.period AND f.key = c.cell_key)
COMMENT 'KPI consumer_feature_users across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users_by_feature ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, feature,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.feature AS feature, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR f.hidden = 1) AS suppressed
FROM (
  SELECT period, feature,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(feature, '')], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_consumer_feature_users_by_feature
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, feature) AS c
LEFT JOIN (SELECT period, key, hidden FROM analytics_private.kpi_consumer_feature_users_family WHERE kpi = 'consumer_feature_users_by_feature') AS f ON f.period = c.period AND f.key = c.cell_key)
COMMENT 'KPI consumer_feature_users_by_feature across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_daily_active_actors ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.tier AS tier, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(tier, '')], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_daily_active_actors
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, tier) AS c)
COMMENT 'KPI daily_active_actors across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_error_count ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR f.hidden = 1) AS suppressed
FROM (
  SELECT period,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_error_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c
LEFT JOIN (SELECT period, key, hidden FROM analytics_private.kpi_error_count_family WHERE kpi = 'error_count') AS f ON f.period = c.period AND f.key = c.cell_key)
COMMENT 'KPI error_count across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_errors_by_code ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, error_code,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.error_code AS error_code, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR f.hidden = 1) AS suppressed
FROM (
  SELECT period, error_code,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(error_code, '')], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_errors_by_code
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, error_code) AS c
LEFT JOIN (SELECT period, key, hidden FROM analytics_private.kpi_error_count_family WHERE kpi = 'errors_by_code') AS f ON f.period = c.period AND f.key = c.cell_key)
COMMENT 'KPI errors_by_code across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_monthly_active_actors ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.tier AS tier, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR cv1.hit = 1) AS suppressed
FROM (
  SELECT period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(tier, '')], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_monthly_active_actors
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, tier) AS c
LEFT JOIN (SELECT DISTINCT toStartOfMonth(h.period) AS period, [h.key[1]] AS key, 1 AS hit
  FROM (SELECT period, CAST([ifNull(tier, '')], 'Array(String)') AS key FROM analytics_private.kpi_daily_active_actors
    WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
    GROUP BY period, tier HAVING uniqExact(site_id) < 5 OR uniqExactMerge(actors) < 5) AS h) AS cv1 ON cv1.period = c.period AND cv1.key = c.cell_key)
COMMENT 'KPI monthly_active_actors across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_network_analytics_viewers ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_network_analytics_viewers
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI network_analytics_viewers across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_protocol_loggers ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_protocol_loggers
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period) AS c)
COMMENT 'KPI protocol_loggers across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_protocol_sessions_logged ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, logging_mode,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.logging_mode AS logging_mode, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period, logging_mode,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(logging_mode, '')], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_protocol_sessions_logged
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, logging_mode) AS c)
COMMENT 'KPI protocol_sessions_logged across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_screen_load_ms ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, screen, platform,
  if(suppressed, NULL, n) AS n,
  if(suppressed OR p50_thin, NULL, p50) AS p50,
  if(suppressed OR p95_thin, NULL, p95) AS p95,
  suppressed
FROM (
SELECT c.period AS period, c.screen AS screen, c.platform AS platform, c.n AS n, c.p50 AS p50, c.p95 AS p95, c.p50_thin AS p50_thin, c.p95_thin AS p95_thin,
  (c.cell_sites < 5 OR c.cell_actors < 5) AS suppressed
FROM (
  SELECT period, screen, platform,
    length(groupArrayMerge(measures)) AS n,
    arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
    arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(screen, ''), ifNull(platform, '')], 'Array(String)') AS cell_key,
    groupArrayArray(arrayMap(x -> (x.1, site_id, x.2), finalizeAggregation(measures))) AS cell_values,
    least(arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 >= p50, cell_values)))])[1], arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 <= p50, cell_values)))])[1]) < 5 AS p50_thin,
    least(arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 >= p95, cell_values)))])[1], arrayMap(pp -> arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, pp)))), arrayDistinct(arrayMap(x -> x.1, pp)))), [arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 <= p95, cell_values)))])[1]) < 5 AS p95_thin
  FROM analytics_private.kpi_screen_load_ms
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, screen, platform) AS c)
COMMENT 'KPI screen_load_ms across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.network_weekly_active_actors ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.tier AS tier, c.value AS value,
  (c.cell_sites < 5 OR c.cell_actors < 5 OR cv1.hit = 1) AS suppressed
FROM (
  SELECT period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(tier, '')], 'Array(String)') AS cell_key
  FROM analytics_private.kpi_weekly_active_actors
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, tier) AS c
LEFT JOIN (SELECT DISTINCT toMonday(h.period) AS period, [h.key[1]] AS key, 1 AS hit
  FROM (SELECT period, CAST([ifNull(tier, '')], 'Array(String)') AS key FROM analytics_private.kpi_daily_active_actors
    WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
    GROUP BY period, tier HAVING uniqExact(site_id) < 5 OR uniqExactMerge(actors) < 5) AS h) AS cv1 ON cv1.period = c.period AND cv1.key = c.cell_key)
COMMENT 'KPI weekly_active_actors across the caller\'s network; cells behind fewer than 5 sites or actors, or hidden with related cells as on PostgreSQL, are listed with null values and suppressed = true.';

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('clinic_team_onboarding.step1', 'clinic.plan_upgraded');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('clinic_team_onboarding.step2', 'clinic.member_invited');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('clinic_team_onboarding.step3', 'clinic.protocol_shared');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('monthly_signup_retention.cohort', 'system.signup_completed');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('monthly_signup_retention.returning', 'clinic.caseload_handed_off'),
    ('monthly_signup_retention.returning', 'clinic.member_invited'),
    ('monthly_signup_retention.returning', 'clinic.member_joined'),
    ('monthly_signup_retention.returning', 'clinic.member_removed'),
    ('monthly_signup_retention.returning', 'clinic.member_role_changed'),
    ('monthly_signup_retention.returning', 'clinic.plan_upgraded'),
    ('monthly_signup_retention.returning', 'clinic.protocol_shared'),
    ('monthly_signup_retention.returning', 'clinic.review_completed'),
    ('monthly_signup_retention.returning', 'clinic.review_requested'),
    ('monthly_signup_retention.returning', 'clinic.seats_changed'),
    ('monthly_signup_retention.returning', 'clinic.team_created'),
    ('monthly_signup_retention.returning', 'clinic.utilization_dashboard_viewed'),
    ('monthly_signup_retention.returning', 'consumer.appointment_requested'),
    ('monthly_signup_retention.returning', 'consumer.article_viewed'),
    ('monthly_signup_retention.returning', 'consumer.checkin_logged'),
    ('monthly_signup_retention.returning', 'consumer.directory_searched'),
    ('monthly_signup_retention.returning', 'consumer.exercise_completed'),
    ('monthly_signup_retention.returning', 'consumer.exercise_started'),
    ('monthly_signup_retention.returning', 'consumer.feature_used'),
    ('monthly_signup_retention.returning', 'consumer.goal_set'),
    ('monthly_signup_retention.returning', 'consumer.progress_chart_viewed'),
    ('monthly_signup_retention.returning', 'consumer.reminder_scheduled'),
    ('monthly_signup_retention.returning', 'consumer.upgrade_prompt_viewed'),
    ('monthly_signup_retention.returning', 'consumer.wearable_connected'),
    ('monthly_signup_retention.returning', 'network.alert_configured'),
    ('monthly_signup_retention.returning', 'network.benchmark_compared'),
    ('monthly_signup_retention.returning', 'network.dashboard_viewed'),
    ('monthly_signup_retention.returning', 'network.data_sharing_accepted'),
    ('monthly_signup_retention.returning', 'network.filter_applied'),
    ('monthly_signup_retention.returning', 'network.report_exported'),
    ('monthly_signup_retention.returning', 'network.scheduled_report_created'),
    ('monthly_signup_retention.returning', 'network.suppression_notice_shown'),
    ('monthly_signup_retention.returning', 'practitioner.availability_published'),
    ('monthly_signup_retention.returning', 'practitioner.dashboard_viewed'),
    ('monthly_signup_retention.returning', 'practitioner.home_program_assigned'),
    ('monthly_signup_retention.returning', 'practitioner.outcome_measure_recorded'),
    ('monthly_signup_retention.returning', 'practitioner.progress_report_generated'),
    ('monthly_signup_retention.returning', 'practitioner.protocol_created'),
    ('monthly_signup_retention.returning', 'practitioner.protocol_edited'),
    ('monthly_signup_retention.returning', 'practitioner.protocol_logged'),
    ('monthly_signup_retention.returning', 'practitioner.subscription_cancelled'),
    ('monthly_signup_retention.returning', 'practitioner.trial_converted'),
    ('monthly_signup_retention.returning', 'practitioner.trial_expired'),
    ('monthly_signup_retention.returning', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('protocol_logging_retention.cohort', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('protocol_logging_retention.returning', 'practitioner.protocol_logged');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('trial_activation_to_conversion.step1', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('trial_activation_to_conversion.step2', 'practitioner.protocol_created');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('trial_activation_to_conversion.step3', 'practitioner.protocol_logged');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('trial_activation_to_conversion.step4', 'practitioner.trial_converted');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('upgrade_funnel_consumer_to_clinic.step1', 'consumer.feature_used');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('upgrade_funnel_consumer_to_clinic.step2', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('upgrade_funnel_consumer_to_clinic.step3', 'practitioner.protocol_logged');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('upgrade_funnel_consumer_to_clinic.step4', 'clinic.plan_upgraded');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('upgrade_prompt_to_trial.step1', 'consumer.upgrade_prompt_viewed');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('upgrade_prompt_to_trial.step2', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('weekly_signup_retention.cohort', 'system.signup_completed');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('weekly_signup_retention.returning', 'consumer.appointment_requested'),
    ('weekly_signup_retention.returning', 'consumer.article_viewed'),
    ('weekly_signup_retention.returning', 'consumer.checkin_logged'),
    ('weekly_signup_retention.returning', 'consumer.directory_searched'),
    ('weekly_signup_retention.returning', 'consumer.exercise_completed'),
    ('weekly_signup_retention.returning', 'consumer.exercise_started'),
    ('weekly_signup_retention.returning', 'consumer.feature_used'),
    ('weekly_signup_retention.returning', 'consumer.goal_set'),
    ('weekly_signup_retention.returning', 'consumer.progress_chart_viewed'),
    ('weekly_signup_retention.returning', 'consumer.reminder_scheduled'),
    ('weekly_signup_retention.returning', 'consumer.upgrade_prompt_viewed'),
    ('weekly_signup_retention.returning', 'consumer.wearable_connected'),
    ('weekly_signup_retention.returning', 'practitioner.availability_published'),
    ('weekly_signup_retention.returning', 'practitioner.dashboard_viewed'),
    ('weekly_signup_retention.returning', 'practitioner.home_program_assigned'),
    ('weekly_signup_retention.returning', 'practitioner.outcome_measure_recorded'),
    ('weekly_signup_retention.returning', 'practitioner.progress_report_generated'),
    ('weekly_signup_retention.returning', 'practitioner.protocol_created'),
    ('weekly_signup_retention.returning', 'practitioner.protocol_edited'),
    ('weekly_signup_retention.returning', 'practitioner.protocol_logged'),
    ('weekly_signup_retention.returning', 'practitioner.subscription_cancelled'),
    ('weekly_signup_retention.returning', 'practitioner.trial_converted'),
    ('weekly_signup_retention.returning', 'practitioner.trial_expired'),
    ('weekly_signup_retention.returning', 'practitioner.trial_started');

CREATE TABLE IF NOT EXISTS analytics_private.kpi_clinic_team_onboarding_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    actor_hash String,
    events AggregateFunction(groupUniqArray, Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID))) COMMENT 'the actor\'s funnel events: (time, event key, bit s set when it meets step s, network, step-1 dimensions)'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (site_id, actor_hash)
COMMENT 'KPI clinic_team_onboarding: every funnel event per site and actor.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_clinic_team_onboarding ON CLUSTER 'trackgen' AS analytics_private.kpi_clinic_team_onboarding_local
ENGINE = Distributed('trackgen', analytics_private, kpi_clinic_team_onboarding_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_clinic_team_onboarding
SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step1'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step2'), 4, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step3'), 8, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step1'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step2'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step3'))
GROUP BY site_id, actor_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_clinic_team_onboarding_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_clinic_team_onboarding_local
AS SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step1'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step2'), 4, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step3'), 8, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events_local
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step1'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step2'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_team_onboarding.step3'))
GROUP BY site_id, actor_hash
COMMENT 'Adds every inserted funnel event to KPI clinic_team_onboarding.';

CREATE OR REPLACE VIEW analytics.kpi_clinic_team_onboarding ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  toInt16(j) AS step,
  ['upgraded_to_clinic', 'invited_colleague', 'shared_protocol'][j] AS step_name,
  counts[j] AS actors,
  if(coalesce(counts[1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[1], 2 * counts[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(counts[j - 1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[j - 1], 2 * counts[j - 1]) / 1000000)) AS step_conversion
FROM (
  SELECT site_id, period, counts, arrayJoin(arrayEnumerate(counts)) AS j
  FROM (
    SELECT site_id, period, sumForEach(arrayMap(j -> toUInt64(depth >= j), range(1, 4))) AS counts
    FROM (
      SELECT site_id, period, actor_hash, max(depth) AS depth
      FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(14) OR tupleElement(acc, 1) >= 3, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_clinic_team_onboarding
                        WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
                        GROUP BY site_id, actor_hash))))
      GROUP BY site_id, period, actor_hash)
    GROUP BY site_id, period))
COMMENT 'KPI clinic_team_onboarding for the caller\'s own site: actors reaching each step of attempts starting in the period.';

CREATE OR REPLACE VIEW analytics.network_clinic_team_onboarding ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  toInt16(j) AS step,
  ['upgraded_to_clinic', 'invited_colleague', 'shared_protocol'][j] AS step_name,
  shown[j] AS actors,
  if(coalesce(shown[1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[1], 2 * shown[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(shown[j - 1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[j - 1], 2 * shown[j - 1]) / 1000000)) AS step_conversion,
  shown[j] IS NULL AS suppressed
FROM (
  SELECT period, shown, arrayJoin(arrayEnumerate(shown)) AS j
  FROM (
    SELECT period, arrayMap((c, hidden) -> if(hidden = 1, NULL, c), reached, hidden) AS shown
    FROM (
      SELECT period, arrayMap(j -> length(arrayDistinct(arrayMap(x -> tupleElement(x, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))), range(1, 4)) AS reached,
        arrayFold((h, iteration) -> arrayFold((h1, b) -> if(b <= 3,
            if(h1[b] = 1, h1, arrayFold((h2, a) -> if(a = 0 OR NOT (if(b = a + 1, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) > 0 AND (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5), (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) <= 5)), h2, arrayMap((v, i) -> if(i = b, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex((v, i) -> v = 0 AND i < b, h1, arrayEnumerate(h1))], h1)),
            arrayFold((h2, t) -> if(t = 0 OR t >= 3 OR NOT ((length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) <= 5), h2, arrayMap((v, i) -> if(i = t, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex(v -> v = 0, h1)], h1)),
          range(2, 5), h),
        range(4), arrayMap(j -> toUInt8(length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5), range(1, 4))) AS hidden
      FROM (
        SELECT period, groupArray((site_id, actor_hash, depth)) AS members
        FROM (
          SELECT period, site_id, actor_hash, max(depth) AS depth
          FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(14) OR tupleElement(acc, 1) >= 3, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_clinic_team_onboarding
                        GROUP BY site_id, actor_hash))))
          WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
          GROUP BY period, site_id, actor_hash)
        GROUP BY period))))
COMMENT 'KPI clinic_team_onboarding across the caller\'s network; cells behind fewer than 5 sites or actors, or whose drop-outs from the previous shown step are too few, are listed with null values and suppressed = true.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_monthly_signup_retention_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    actor_hash String,
    first_event AggregateFunction(min, Tuple(DateTime64(6, 'UTC'), Nullable(UUID))) COMMENT 'time and network of the first cohort event',
    cohort_events AggregateFunction(count) COMMENT 'cohort events seen (0: not a cohort member)',
    active AggregateFunction(groupUniqArray, Date) COMMENT 'the periods with a returning event'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (site_id, actor_hash)
COMMENT 'KPI monthly_signup_retention: each actor\'s first cohort event and active periods, per site.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_monthly_signup_retention ON CLUSTER 'trackgen' AS analytics_private.kpi_monthly_signup_retention_local
ENGINE = Distributed('trackgen', analytics_private, kpi_monthly_signup_retention_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_monthly_signup_retention
SELECT
  site_id,
  actor_hash,
  minIfState(CAST(tuple(occurred_at, network_id) AS Tuple(DateTime64(6, 'UTC'), Nullable(UUID))), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.cohort')) AS first_event,
  countIfState(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.cohort')) AS cohort_events,
  groupUniqArrayIfState(toStartOfMonth(occurred_at, 'UTC'), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.returning')) AS active
FROM analytics_private.events
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.cohort'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.returning'))
GROUP BY site_id, actor_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_monthly_signup_retention_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_monthly_signup_retention_local
AS SELECT
  site_id,
  actor_hash,
  minIfState(CAST(tuple(occurred_at, network_id) AS Tuple(DateTime64(6, 'UTC'), Nullable(UUID))), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.cohort')) AS first_event,
  countIfState(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.cohort')) AS cohort_events,
  groupUniqArrayIfState(toStartOfMonth(occurred_at, 'UTC'), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.returning')) AS active
FROM analytics_private.events_local
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.cohort'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_signup_retention.returning'))
GROUP BY site_id, actor_hash
COMMENT 'Folds every inserted block of events into KPI monthly_signup_retention.';

CREATE OR REPLACE VIEW analytics.kpi_monthly_signup_retention ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, cohort AS period, toInt16(j) AS period_number,
  count() AS cohort_actors,
  countIf(kept) AS retained,
  if(coalesce(count(), 0) = 0, NULL, intDiv(countIf(kept) * 2000000 + count(), 2 * count()) / 1000000) AS rate
FROM (
    SELECT site_id, actor_hash, network_id, cohort, j, has(active, addMonths(cohort, j)) AS kept
    FROM (SELECT site_id, actor_hash, tupleElement(first_event, 2) AS network_id,
                 toStartOfMonth(tupleElement(first_event, 1), 'UTC') AS cohort, active, arrayJoin(range(0, 13)) AS j
          FROM (SELECT site_id, actor_hash, minMerge(first_event) AS first_event,
                       groupUniqArrayMerge(active) AS active
                FROM analytics_private.kpi_monthly_signup_retention
                WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
                GROUP BY site_id, actor_hash
                HAVING countMerge(cohort_events) > 0)))
GROUP BY site_id, cohort, j
COMMENT 'KPI monthly_signup_retention for the caller\'s own site: per cohort and period number, the cohort\'s size and the members retained.';

CREATE OR REPLACE VIEW analytics.network_monthly_signup_retention ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT cohort AS period, toInt16(i - 1) AS period_number,
  if(hidden[i] = 1, NULL, size) AS cohort_actors,
  if(hidden[i] = 1, NULL, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kept[i])))) AS retained,
  if(hidden[i] = 1, NULL, if(coalesce(size, 0) = 0, NULL, intDiv(length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kept[i]))) * 2000000 + size, 2 * size) / 1000000)) AS rate,
  hidden[i] = 1 AS suppressed
FROM (
  SELECT cohort, size, kept, hidden, arrayJoin(arrayEnumerate(hidden)) AS i
  FROM (
    SELECT cohort, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), members))) AS size, kept,
      if(arrayExists(h -> h = 1, own) AND ((length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), members))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), members) = 1, members)), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), members) = 1, members)))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), members))) <= 5), arrayMap(h -> toUInt8(1), own), own) AS hidden
    FROM (
      SELECT cohort, members, kept, arrayMap((kp, g) -> toUInt8(length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), kp))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kp))) < 5
          OR (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), g))) > 0 AND (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), g))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), g))) < 5))), kept, gone) AS own
      FROM (
        SELECT cohort,
          arrayDistinct(arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), m)) AS members,
          arrayMap(j -> arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), arrayFilter(x -> tupleElement(x, 3) = j AND tupleElement(x, 4), m)), range(0, 13)) AS kept,
          arrayMap(j -> arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), arrayFilter(x -> tupleElement(x, 3) = j AND NOT tupleElement(x, 4), m)), range(0, 13)) AS gone
        FROM (
          SELECT cohort, groupArray((site_id, actor_hash, j, kept)) AS m
          FROM (
    SELECT site_id, actor_hash, network_id, cohort, j, has(active, addMonths(cohort, j)) AS kept
    FROM (SELECT site_id, actor_hash, tupleElement(first_event, 2) AS network_id,
                 toStartOfMonth(tupleElement(first_event, 1), 'UTC') AS cohort, active, arrayJoin(range(0, 13)) AS j
          FROM (SELECT site_id, actor_hash, minMerge(first_event) AS first_event,
                       groupUniqArrayMerge(active) AS active
                FROM analytics_private.kpi_monthly_signup_retention
                GROUP BY site_id, actor_hash
                HAVING countMerge(cohort_events) > 0)))
          WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
          GROUP BY cohort)))))
COMMENT 'KPI monthly_signup_retention across the caller\'s network; cells behind fewer than 5 sites or actors, or whose lapsed members are too few (or all periods of a thin cohort), are listed with null values and suppressed = true.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_protocol_logging_retention_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    actor_hash String,
    first_event AggregateFunction(min, Tuple(DateTime64(6, 'UTC'), Nullable(UUID))) COMMENT 'time and network of the first cohort event',
    cohort_events AggregateFunction(count) COMMENT 'cohort events seen (0: not a cohort member)',
    active AggregateFunction(groupUniqArray, Date) COMMENT 'the periods with a returning event'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (site_id, actor_hash)
COMMENT 'KPI protocol_logging_retention: each actor\'s first cohort event and active periods, per site.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_protocol_logging_retention ON CLUSTER 'trackgen' AS analytics_private.kpi_protocol_logging_retention_local
ENGINE = Distributed('trackgen', analytics_private, kpi_protocol_logging_retention_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_protocol_logging_retention
SELECT
  site_id,
  actor_hash,
  minIfState(CAST(tuple(occurred_at, network_id) AS Tuple(DateTime64(6, 'UTC'), Nullable(UUID))), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.cohort')) AS first_event,
  countIfState(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.cohort')) AS cohort_events,
  groupUniqArrayIfState(toMonday(occurred_at, 'UTC'), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.returning')) AS active
FROM analytics_private.events
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.cohort'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.returning'))
GROUP BY site_id, actor_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_protocol_logging_retention_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_protocol_logging_retention_local
AS SELECT
  site_id,
  actor_hash,
  minIfState(CAST(tuple(occurred_at, network_id) AS Tuple(DateTime64(6, 'UTC'), Nullable(UUID))), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.cohort')) AS first_event,
  countIfState(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.cohort')) AS cohort_events,
  groupUniqArrayIfState(toMonday(occurred_at, 'UTC'), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.returning')) AS active
FROM analytics_private.events_local
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.cohort'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_logging_retention.returning'))
GROUP BY site_id, actor_hash
COMMENT 'Folds every inserted block of events into KPI protocol_logging_retention.';

CREATE OR REPLACE VIEW analytics.kpi_protocol_logging_retention ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, cohort AS period, toInt16(j) AS period_number,
  count() AS cohort_actors,
  countIf(kept) AS retained,
  if(coalesce(count(), 0) = 0, NULL, intDiv(countIf(kept) * 2000000 + count(), 2 * count()) / 1000000) AS rate
FROM (
    SELECT site_id, actor_hash, network_id, cohort, j, has(active, addWeeks(cohort, j)) AS kept
    FROM (SELECT site_id, actor_hash, tupleElement(first_event, 2) AS network_id,
                 toMonday(tupleElement(first_event, 1), 'UTC') AS cohort, active, arrayJoin(range(0, 9)) AS j
          FROM (SELECT site_id, actor_hash, minMerge(first_event) AS first_event,
                       groupUniqArrayMerge(active) AS active
                FROM analytics_private.kpi_protocol_logging_retention
                WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
                GROUP BY site_id, actor_hash
                HAVING countMerge(cohort_events) > 0)))
GROUP BY site_id, cohort, j
COMMENT 'KPI protocol_logging_retention for the caller\'s own site: per cohort and period number, the cohort\'s size and the members retained.';

CREATE OR REPLACE VIEW analytics.network_protocol_logging_retention ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT cohort AS period, toInt16(i - 1) AS period_number,
  if(hidden[i] = 1, NULL, size) AS cohort_actors,
  if(hidden[i] = 1, NULL, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kept[i])))) AS retained,
  if(hidden[i] = 1, NULL, if(coalesce(size, 0) = 0, NULL, intDiv(length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kept[i]))) * 2000000 + size, 2 * size) / 1000000)) AS rate,
  hidden[i] = 1 AS suppressed
FROM (
  SELECT cohort, size, kept, hidden, arrayJoin(arrayEnumerate(hidden)) AS i
  FROM (
    SELECT cohort, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), members))) AS size, kept,
      if(arrayExists(h -> h = 1, own) AND ((length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), members))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), members) = 1, members)), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), members) = 1, members)))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), members))) <= 5), arrayMap(h -> toUInt8(1), own), own) AS hidden
    FROM (
      SELECT cohort, members, kept, arrayMap((kp, g) -> toUInt8(length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), kp))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kp))) < 5
          OR (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), g))) > 0 AND (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), g))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), g))) < 5))), kept, gone) AS own
      FROM (
        SELECT cohort,
          arrayDistinct(arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), m)) AS members,
          arrayMap(j -> arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), arrayFilter(x -> tupleElement(x, 3) = j AND tupleElement(x, 4), m)), range(0, 9)) AS kept,
          arrayMap(j -> arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), arrayFilter(x -> tupleElement(x, 3) = j AND NOT tupleElement(x, 4), m)), range(0, 9)) AS gone
        FROM (
          SELECT cohort, groupArray((site_id, actor_hash, j, kept)) AS m
          FROM (
    SELECT site_id, actor_hash, network_id, cohort, j, has(active, addWeeks(cohort, j)) AS kept
    FROM (SELECT site_id, actor_hash, tupleElement(first_event, 2) AS network_id,
                 toMonday(tupleElement(first_event, 1), 'UTC') AS cohort, active, arrayJoin(range(0, 9)) AS j
          FROM (SELECT site_id, actor_hash, minMerge(first_event) AS first_event,
                       groupUniqArrayMerge(active) AS active
                FROM analytics_private.kpi_protocol_logging_retention
                GROUP BY site_id, actor_hash
                HAVING countMerge(cohort_events) > 0)))
          WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
          GROUP BY cohort)))))
COMMENT 'KPI protocol_logging_retention across the caller\'s network; cells behind fewer than 5 sites or actors, or whose lapsed members are too few (or all periods of a thin cohort), are listed with null values and suppressed = true.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_trial_activation_to_conversion_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    actor_hash String,
    events AggregateFunction(groupUniqArray, Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID))) COMMENT 'the actor\'s funnel events: (time, event key, bit s set when it meets step s, network, step-1 dimensions)'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (site_id, actor_hash)
COMMENT 'KPI trial_activation_to_conversion: every funnel event per site and actor.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_trial_activation_to_conversion ON CLUSTER 'trackgen' AS analytics_private.kpi_trial_activation_to_conversion_local
ENGINE = Distributed('trackgen', analytics_private, kpi_trial_activation_to_conversion_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_trial_activation_to_conversion
SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step1'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step2'), 4, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step3'), 8, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step4'), 16, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step1'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step2'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step3'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step4'))
GROUP BY site_id, actor_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_trial_activation_to_conversion_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_trial_activation_to_conversion_local
AS SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step1'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step2'), 4, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step3'), 8, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step4'), 16, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events_local
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step1'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step2'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step3'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'trial_activation_to_conversion.step4'))
GROUP BY site_id, actor_hash
COMMENT 'Adds every inserted funnel event to KPI trial_activation_to_conversion.';

CREATE OR REPLACE VIEW analytics.kpi_trial_activation_to_conversion ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  toInt16(j) AS step,
  ['started_trial', 'created_protocol', 'logged_protocol', 'converted'][j] AS step_name,
  counts[j] AS actors,
  if(coalesce(counts[1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[1], 2 * counts[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(counts[j - 1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[j - 1], 2 * counts[j - 1]) / 1000000)) AS step_conversion
FROM (
  SELECT site_id, period, counts, arrayJoin(arrayEnumerate(counts)) AS j
  FROM (
    SELECT site_id, period, sumForEach(arrayMap(j -> toUInt64(depth >= j), range(1, 5))) AS counts
    FROM (
      SELECT site_id, period, actor_hash, max(depth) AS depth
      FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(30) OR tupleElement(acc, 1) >= 4, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_trial_activation_to_conversion
                        WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
                        GROUP BY site_id, actor_hash))))
      GROUP BY site_id, period, actor_hash)
    GROUP BY site_id, period))
COMMENT 'KPI trial_activation_to_conversion for the caller\'s own site: actors reaching each step of attempts starting in the period.';

CREATE OR REPLACE VIEW analytics.network_trial_activation_to_conversion ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  toInt16(j) AS step,
  ['started_trial', 'created_protocol', 'logged_protocol', 'converted'][j] AS step_name,
  shown[j] AS actors,
  if(coalesce(shown[1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[1], 2 * shown[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(shown[j - 1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[j - 1], 2 * shown[j - 1]) / 1000000)) AS step_conversion,
  shown[j] IS NULL AS suppressed
FROM (
  SELECT period, shown, arrayJoin(arrayEnumerate(shown)) AS j
  FROM (
    SELECT period, arrayMap((c, hidden) -> if(hidden = 1, NULL, c), reached, hidden) AS shown
    FROM (
      SELECT period, arrayMap(j -> length(arrayDistinct(arrayMap(x -> tupleElement(x, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))), range(1, 5)) AS reached,
        arrayFold((h, iteration) -> arrayFold((h1, b) -> if(b <= 4,
            if(h1[b] = 1, h1, arrayFold((h2, a) -> if(a = 0 OR NOT (if(b = a + 1, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) > 0 AND (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5), (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) <= 5)), h2, arrayMap((v, i) -> if(i = b, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex((v, i) -> v = 0 AND i < b, h1, arrayEnumerate(h1))], h1)),
            arrayFold((h2, t) -> if(t = 0 OR t >= 4 OR NOT ((length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) <= 5), h2, arrayMap((v, i) -> if(i = t, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex(v -> v = 0, h1)], h1)),
          range(2, 6), h),
        range(5), arrayMap(j -> toUInt8(length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5), range(1, 5))) AS hidden
      FROM (
        SELECT period, groupArray((site_id, actor_hash, depth)) AS members
        FROM (
          SELECT period, site_id, actor_hash, max(depth) AS depth
          FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(30) OR tupleElement(acc, 1) >= 4, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_trial_activation_to_conversion
                        GROUP BY site_id, actor_hash))))
          WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
          GROUP BY period, site_id, actor_hash)
        GROUP BY period))))
COMMENT 'KPI trial_activation_to_conversion across the caller\'s network; cells behind fewer than 5 sites or actors, or whose drop-outs from the previous shown step are too few, are listed with null values and suppressed = true.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_upgrade_funnel_consumer_to_clinic_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    actor_hash String,
    events AggregateFunction(groupUniqArray, Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID))) COMMENT 'the actor\'s funnel events: (time, event key, bit s set when it meets step s, network, step-1 dimensions)'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (site_id, actor_hash)
COMMENT 'KPI upgrade_funnel_consumer_to_clinic: every funnel event per site and actor.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_upgrade_funnel_consumer_to_clinic ON CLUSTER 'trackgen' AS analytics_private.kpi_upgrade_funnel_consumer_to_clinic_local
ENGINE = Distributed('trackgen', analytics_private, kpi_upgrade_funnel_consumer_to_clinic_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_upgrade_funnel_consumer_to_clinic
SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step1'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step2'), 4, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step3'), 8, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step4'), 16, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step1'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step2'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step3'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step4'))
GROUP BY site_id, actor_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_upgrade_funnel_consumer_to_clinic_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_upgrade_funnel_consumer_to_clinic_local
AS SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step1'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step2'), 4, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step3'), 8, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step4'), 16, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events_local
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step1'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step2'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step3'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_funnel_consumer_to_clinic.step4'))
GROUP BY site_id, actor_hash
COMMENT 'Adds every inserted funnel event to KPI upgrade_funnel_consumer_to_clinic.';

CREATE OR REPLACE VIEW analytics.kpi_upgrade_funnel_consumer_to_clinic ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  toInt16(j) AS step,
  ['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic'][j] AS step_name,
  counts[j] AS actors,
  if(coalesce(counts[1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[1], 2 * counts[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(counts[j - 1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[j - 1], 2 * counts[j - 1]) / 1000000)) AS step_conversion
FROM (
  SELECT site_id, period, counts, arrayJoin(arrayEnumerate(counts)) AS j
  FROM (
    SELECT site_id, period, sumForEach(arrayMap(j -> toUInt64(depth >= j), range(1, 5))) AS counts
    FROM (
      SELECT site_id, period, actor_hash, max(depth) AS depth
      FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(30) OR tupleElement(acc, 1) >= 4, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_upgrade_funnel_consumer_to_clinic
                        WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
                        GROUP BY site_id, actor_hash))))
      GROUP BY site_id, period, actor_hash)
    GROUP BY site_id, period))
COMMENT 'KPI upgrade_funnel_consumer_to_clinic for the caller\'s own site: actors reaching each step of attempts starting in the period.';

CREATE OR REPLACE VIEW analytics.network_upgrade_funnel_consumer_to_clinic ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  toInt16(j) AS step,
  ['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic'][j] AS step_name,
  shown[j] AS actors,
  if(coalesce(shown[1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[1], 2 * shown[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(shown[j - 1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[j - 1], 2 * shown[j - 1]) / 1000000)) AS step_conversion,
  shown[j] IS NULL AS suppressed
FROM (
  SELECT period, shown, arrayJoin(arrayEnumerate(shown)) AS j
  FROM (
    SELECT period, arrayMap((c, hidden) -> if(hidden = 1, NULL, c), reached, hidden) AS shown
    FROM (
      SELECT period, arrayMap(j -> length(arrayDistinct(arrayMap(x -> tupleElement(x, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))), range(1, 5)) AS reached,
        arrayFold((h, iteration) -> arrayFold((h1, b) -> if(b <= 4,
            if(h1[b] = 1, h1, arrayFold((h2, a) -> if(a = 0 OR NOT (if(b = a + 1, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) > 0 AND (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5), (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) <= 5)), h2, arrayMap((v, i) -> if(i = b, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex((v, i) -> v = 0 AND i < b, h1, arrayEnumerate(h1))], h1)),
            arrayFold((h2, t) -> if(t = 0 OR t >= 4 OR NOT ((length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) <= 5), h2, arrayMap((v, i) -> if(i = t, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex(v -> v = 0, h1)], h1)),
          range(2, 6), h),
        range(5), arrayMap(j -> toUInt8(length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5), range(1, 5))) AS hidden
      FROM (
        SELECT period, groupArray((site_id, actor_hash, depth)) AS members
        FROM (
          SELECT period, site_id, actor_hash, max(depth) AS depth
          FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(30) OR tupleElement(acc, 1) >= 4, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_upgrade_funnel_consumer_to_clinic
                        GROUP BY site_id, actor_hash))))
          WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
          GROUP BY period, site_id, actor_hash)
        GROUP BY period))))
COMMENT 'KPI upgrade_funnel_consumer_to_clinic across the caller\'s network; cells behind fewer than 5 sites or actors, or whose drop-outs from the previous shown step are too few, are listed with null values and suppressed = true.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_upgrade_prompt_to_trial_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    actor_hash String,
    events AggregateFunction(groupUniqArray, Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID))) COMMENT 'the actor\'s funnel events: (time, event key, bit s set when it meets step s, network, step-1 dimensions)'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (site_id, actor_hash)
COMMENT 'KPI upgrade_prompt_to_trial: every funnel event per site and actor.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_upgrade_prompt_to_trial ON CLUSTER 'trackgen' AS analytics_private.kpi_upgrade_prompt_to_trial_local
ENGINE = Distributed('trackgen', analytics_private, kpi_upgrade_prompt_to_trial_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_upgrade_prompt_to_trial
SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step1')
  AND multiIf(JSONType(payload, 'offered_tier') = 'String', JSONExtractString(payload, 'offered_tier'), JSONType(payload, 'offered_tier') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'offered_tier')) IN ('practitioner'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step2'), 4, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step1')
  AND multiIf(JSONType(payload, 'offered_tier') = 'String', JSONExtractString(payload, 'offered_tier'), JSONType(payload, 'offered_tier') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'offered_tier')) IN ('practitioner'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step2'))
GROUP BY site_id, actor_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_upgrade_prompt_to_trial_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_upgrade_prompt_to_trial_local
AS SELECT
  site_id,
  actor_hash,
  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step1')
  AND multiIf(JSONType(payload, 'offered_tier') = 'String', JSONExtractString(payload, 'offered_tier'), JSONType(payload, 'offered_tier') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'offered_tier')) IN ('practitioner'), 2, 0) + if(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step2'), 4, 0), network_id) AS Tuple(DateTime64(6, 'UTC'), UUID, UInt16, Nullable(UUID)))) AS events
FROM analytics_private.events_local
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step1')
  AND multiIf(JSONType(payload, 'offered_tier') = 'String', JSONExtractString(payload, 'offered_tier'), JSONType(payload, 'offered_tier') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'offered_tier')) IN ('practitioner'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'upgrade_prompt_to_trial.step2'))
GROUP BY site_id, actor_hash
COMMENT 'Adds every inserted funnel event to KPI upgrade_prompt_to_trial.';

CREATE OR REPLACE VIEW analytics.kpi_upgrade_prompt_to_trial ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  toInt16(j) AS step,
  ['saw_pro_prompt', 'started_trial'][j] AS step_name,
  counts[j] AS actors,
  if(coalesce(counts[1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[1], 2 * counts[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(counts[j - 1], 0) = 0, NULL, intDiv(counts[j] * 2000000 + counts[j - 1], 2 * counts[j - 1]) / 1000000)) AS step_conversion
FROM (
  SELECT site_id, period, counts, arrayJoin(arrayEnumerate(counts)) AS j
  FROM (
    SELECT site_id, period, sumForEach(arrayMap(j -> toUInt64(depth >= j), range(1, 3))) AS counts
    FROM (
      SELECT site_id, period, actor_hash, max(depth) AS depth
      FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(7) OR tupleElement(acc, 1) >= 2, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_upgrade_prompt_to_trial
                        WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
                        GROUP BY site_id, actor_hash))))
      GROUP BY site_id, period, actor_hash)
    GROUP BY site_id, period))
COMMENT 'KPI upgrade_prompt_to_trial for the caller\'s own site: actors reaching each step of attempts starting in the period.';

CREATE OR REPLACE VIEW analytics.network_upgrade_prompt_to_trial ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  toInt16(j) AS step,
  ['saw_pro_prompt', 'started_trial'][j] AS step_name,
  shown[j] AS actors,
  if(coalesce(shown[1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[1], 2 * shown[1]) / 1000000) AS conversion,
  if(j = 1, NULL, if(coalesce(shown[j - 1], 0) = 0, NULL, intDiv(shown[j] * 2000000 + shown[j - 1], 2 * shown[j - 1]) / 1000000)) AS step_conversion,
  shown[j] IS NULL AS suppressed
FROM (
  SELECT period, shown, arrayJoin(arrayEnumerate(shown)) AS j
  FROM (
    SELECT period, arrayMap((c, hidden) -> if(hidden = 1, NULL, c), reached, hidden) AS shown
    FROM (
      SELECT period, arrayMap(j -> length(arrayDistinct(arrayMap(x -> tupleElement(x, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))), range(1, 3)) AS reached,
        arrayFold((h, iteration) -> arrayFold((h1, b) -> if(b <= 2,
            if(h1[b] = 1, h1, arrayFold((h2, a) -> if(a = 0 OR NOT (if(b = a + 1, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) > 0 AND (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) < 5), (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)))) <= 5)), h2, arrayMap((v, i) -> if(i = b, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex((v, i) -> v = 0 AND i < b, h1, arrayEnumerate(h1))], h1)),
            arrayFold((h2, t) -> if(t = 0 OR t >= 2 OR NOT ((length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= t, members)) = 1, arrayFilter(x -> tupleElement(x, 3) >= t, members))))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= t, members)))) <= 5), h2, arrayMap((v, i) -> if(i = t, toUInt8(1), v), h2, arrayEnumerate(h2))),
              [arrayLastIndex(v -> v = 0, h1)], h1)),
          range(2, 4), h),
        range(3), arrayMap(j -> toUInt8(length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), arrayFilter(x -> tupleElement(x, 3) >= j, members)))) < 5), range(1, 3))) AS hidden
      FROM (
        SELECT period, groupArray((site_id, actor_hash, depth)) AS members
        FROM (
          SELECT period, site_id, actor_hash, max(depth) AS depth
          FROM (
      SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,
        toDate(tupleElement(a, 1), 'UTC') AS period,
        tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1) OR t > tupleElement(a, 1) + toIntervalDay(7) OR tupleElement(acc, 1) >= 2, acc,
            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)), (tupleElement(acc, 1), toUInt8(0)))),
          ts, tm, (toUInt8(1), toUInt8(0))), 1) AS depth
      FROM (SELECT site_id, actor_hash, a, arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts, arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm
            FROM (SELECT site_id, actor_hash, seq, arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a
                  FROM (SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq
                        FROM analytics_private.kpi_upgrade_prompt_to_trial
                        GROUP BY site_id, actor_hash))))
          WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
          GROUP BY period, site_id, actor_hash)
        GROUP BY period))))
COMMENT 'KPI upgrade_prompt_to_trial across the caller\'s network; cells behind fewer than 5 sites or actors, or whose drop-outs from the previous shown step are too few, are listed with null values and suppressed = true.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_weekly_signup_retention_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    actor_hash String,
    first_event AggregateFunction(min, Tuple(DateTime64(6, 'UTC'), Nullable(UUID))) COMMENT 'time and network of the first cohort event',
    cohort_events AggregateFunction(count) COMMENT 'cohort events seen (0: not a cohort member)',
    active AggregateFunction(groupUniqArray, Date) COMMENT 'the periods with a returning event'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
ORDER BY (site_id, actor_hash)
COMMENT 'KPI weekly_signup_retention: each actor\'s first cohort event and active periods, per site.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_weekly_signup_retention ON CLUSTER 'trackgen' AS analytics_private.kpi_weekly_signup_retention_local
ENGINE = Distributed('trackgen', analytics_private, kpi_weekly_signup_retention_local, cityHash64(site_id));

-- Rebuilt from the event table (a cache of it). Run while the ingestion is paused
-- (SYSTEM STOP VIEW analytics_private.ingest_events), then SYSTEM START VIEW analytics_private.ingest_events.
INSERT INTO analytics_private.kpi_weekly_signup_retention
SELECT
  site_id,
  actor_hash,
  minIfState(CAST(tuple(occurred_at, network_id) AS Tuple(DateTime64(6, 'UTC'), Nullable(UUID))), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.cohort')) AS first_event,
  countIfState(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.cohort')) AS cohort_events,
  groupUniqArrayIfState(toMonday(occurred_at, 'UTC'), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.returning')) AS active
FROM analytics_private.events
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.cohort'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.returning'))
GROUP BY site_id, actor_hash;

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_weekly_signup_retention_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_weekly_signup_retention_local
AS SELECT
  site_id,
  actor_hash,
  minIfState(CAST(tuple(occurred_at, network_id) AS Tuple(DateTime64(6, 'UTC'), Nullable(UUID))), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.cohort')) AS first_event,
  countIfState(event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.cohort')) AS cohort_events,
  groupUniqArrayIfState(toMonday(occurred_at, 'UTC'), event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.returning')) AS active
FROM analytics_private.events_local
WHERE (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.cohort'))
   OR (event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_signup_retention.returning'))
GROUP BY site_id, actor_hash
COMMENT 'Folds every inserted block of events into KPI weekly_signup_retention.';

CREATE OR REPLACE VIEW analytics.kpi_weekly_signup_retention ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, cohort AS period, toInt16(j) AS period_number,
  count() AS cohort_actors,
  countIf(kept) AS retained,
  if(coalesce(count(), 0) = 0, NULL, intDiv(countIf(kept) * 2000000 + count(), 2 * count()) / 1000000) AS rate
FROM (
    SELECT site_id, actor_hash, network_id, cohort, j, has(active, addWeeks(cohort, j)) AS kept
    FROM (SELECT site_id, actor_hash, tupleElement(first_event, 2) AS network_id,
                 toMonday(tupleElement(first_event, 1), 'UTC') AS cohort, active, arrayJoin(range(0, 9)) AS j
          FROM (SELECT site_id, actor_hash, minMerge(first_event) AS first_event,
                       groupUniqArrayMerge(active) AS active
                FROM analytics_private.kpi_weekly_signup_retention
                WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
                GROUP BY site_id, actor_hash
                HAVING countMerge(cohort_events) > 0)))
GROUP BY site_id, cohort, j
COMMENT 'KPI weekly_signup_retention for the caller\'s own site: per cohort and period number, the cohort\'s size and the members retained.';

CREATE OR REPLACE VIEW analytics.network_weekly_signup_retention ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT cohort AS period, toInt16(i - 1) AS period_number,
  if(hidden[i] = 1, NULL, size) AS cohort_actors,
  if(hidden[i] = 1, NULL, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kept[i])))) AS retained,
  if(hidden[i] = 1, NULL, if(coalesce(size, 0) = 0, NULL, intDiv(length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kept[i]))) * 2000000 + size, 2 * size) / 1000000)) AS rate,
  hidden[i] = 1 AS suppressed
FROM (
  SELECT cohort, size, kept, hidden, arrayJoin(arrayEnumerate(hidden)) AS i
  FROM (
    SELECT cohort, length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), members))) AS size, kept,
      if(arrayExists(h -> h = 1, own) AND ((length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), members))) - arrayMax(arrayConcat([toUInt64(0)], arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), members) = 1, members)), arrayMap(u -> tupleElement(u, 1), arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), members) = 1, members)))))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), members))) <= 5), arrayMap(h -> toUInt8(1), own), own) AS hidden
    FROM (
      SELECT cohort, members, kept, arrayMap((kp, g) -> toUInt8(length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), kp))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), kp))) < 5
          OR (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), g))) > 0 AND (length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), g))) < 5 OR length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), g))) < 5))), kept, gone) AS own
      FROM (
        SELECT cohort,
          arrayDistinct(arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), m)) AS members,
          arrayMap(j -> arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), arrayFilter(x -> tupleElement(x, 3) = j AND tupleElement(x, 4), m)), range(0, 9)) AS kept,
          arrayMap(j -> arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), arrayFilter(x -> tupleElement(x, 3) = j AND NOT tupleElement(x, 4), m)), range(0, 9)) AS gone
        FROM (
          SELECT cohort, groupArray((site_id, actor_hash, j, kept)) AS m
          FROM (
    SELECT site_id, actor_hash, network_id, cohort, j, has(active, addWeeks(cohort, j)) AS kept
    FROM (SELECT site_id, actor_hash, tupleElement(first_event, 2) AS network_id,
                 toMonday(tupleElement(first_event, 1), 'UTC') AS cohort, active, arrayJoin(range(0, 9)) AS j
          FROM (SELECT site_id, actor_hash, minMerge(first_event) AS first_event,
                       groupUniqArrayMerge(active) AS active
                FROM analytics_private.kpi_weekly_signup_retention
                GROUP BY site_id, actor_hash
                HAVING countMerge(cohort_events) > 0)))
          WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
          GROUP BY cohort)))))
COMMENT 'KPI weekly_signup_retention across the caller\'s network; cells behind fewer than 5 sites or actors, or whose lapsed members are too few (or all periods of a thin cohort), are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_active_actors_28d ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, day AS period, tier,
  uniqExactMerge(actors) AS value
FROM (
    SELECT site_id, addDays(period, arrayJoin(range(28))) AS day, tier, actors, events
    FROM analytics_private.kpi_daily_active_actors
    WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network')))
WHERE day <= toDate(now(), 'UTC')
GROUP BY site_id, day, tier
COMMENT 'KPI active_actors_28d for the caller\'s own site: the base KPI over the 28 days ending each day.';

CREATE OR REPLACE VIEW analytics.network_active_actors_28d ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.tier AS tier, c.value AS value,
  ((c.cell_sites < 5 OR c.cell_actors < 5) OR cv1.hit = 1) AS suppressed
FROM (
  SELECT day AS period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(tier, '')], 'Array(String)') AS cell_key
  FROM (
    SELECT site_id, addDays(period, arrayJoin(range(28))) AS day, tier, actors, events
    FROM analytics_private.kpi_daily_active_actors
    WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network')))
  WHERE day <= toDate(now(), 'UTC')
  GROUP BY day, tier) AS c
LEFT JOIN (SELECT DISTINCT addDays(h.period, arrayJoin(range(0, 28))) AS period, [h.key[1]] AS key, 1 AS hit
  FROM (SELECT period, CAST([ifNull(tier, '')], 'Array(String)') AS key FROM analytics_private.kpi_daily_active_actors
    WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
    GROUP BY period, tier HAVING uniqExact(site_id) < 5 OR uniqExactMerge(actors) < 5) AS h) AS cv1 ON cv1.period = c.period AND cv1.key = c.cell_key)
COMMENT 'KPI active_actors_28d across the caller\'s network; cells behind fewer than 5 sites or actors, or holding a hidden day of the KPI it rolls up (as on PostgreSQL), are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_active_actors_7d ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, day AS period, tier,
  uniqExactMerge(actors) AS value
FROM (
    SELECT site_id, addDays(period, arrayJoin(range(7))) AS day, tier, actors, events
    FROM analytics_private.kpi_daily_active_actors
    WHERE site_id = (
      SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network')))
WHERE day <= toDate(now(), 'UTC')
GROUP BY site_id, day, tier
COMMENT 'KPI active_actors_7d for the caller\'s own site: the base KPI over the 7 days ending each day.';

CREATE OR REPLACE VIEW analytics.network_active_actors_7d ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if(suppressed, NULL, value) AS value,
  suppressed
FROM (
SELECT c.period AS period, c.tier AS tier, c.value AS value,
  ((c.cell_sites < 5 OR c.cell_actors < 5) OR cv1.hit = 1) AS suppressed
FROM (
  SELECT day AS period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors,
    CAST([ifNull(tier, '')], 'Array(String)') AS cell_key
  FROM (
    SELECT site_id, addDays(period, arrayJoin(range(7))) AS day, tier, actors, events
    FROM analytics_private.kpi_daily_active_actors
    WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network')))
  WHERE day <= toDate(now(), 'UTC')
  GROUP BY day, tier) AS c
LEFT JOIN (SELECT DISTINCT addDays(h.period, arrayJoin(range(0, 7))) AS period, [h.key[1]] AS key, 1 AS hit
  FROM (SELECT period, CAST([ifNull(tier, '')], 'Array(String)') AS key FROM analytics_private.kpi_daily_active_actors
    WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
    GROUP BY period, tier HAVING uniqExact(site_id) < 5 OR uniqExactMerge(actors) < 5) AS h) AS cv1 ON cv1.period = c.period AND cv1.key = c.cell_key)
COMMENT 'KPI active_actors_7d across the caller\'s network; cells behind fewer than 5 sites or actors, or holding a hidden day of the KPI it rolls up (as on PostgreSQL), are listed with null values and suppressed = true.';
