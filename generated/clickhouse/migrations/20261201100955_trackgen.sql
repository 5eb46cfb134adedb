-- trackgen ClickHouse migration 20261201100955 (single node): the difference from the released ClickHouse catalog.
-- Generated; do not edit.

DROP VIEW IF EXISTS analytics_private.kpi_api_latency_ms_mv SYNC;

DROP VIEW IF EXISTS analytics.kpi_api_latency_ms SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_consumer_feature_users_by_feature_mv SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_errors_by_code_mv SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_screen_load_ms_mv SYNC;

DROP VIEW IF EXISTS analytics.kpi_screen_load_ms SYNC;

DROP VIEW IF EXISTS analytics.network_active_clinic_members SYNC;

DROP VIEW IF EXISTS analytics.network_active_network_members SYNC;

DROP VIEW IF EXISTS analytics.network_active_practitioners SYNC;

DROP VIEW IF EXISTS analytics.network_api_latency_ms SYNC;

DROP VIEW IF EXISTS analytics.network_api_request_count SYNC;

DROP VIEW IF EXISTS analytics.network_api_server_error_count SYNC;

DROP VIEW IF EXISTS analytics.network_clinic_collaborators SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_daily_actives SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_feature_users SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_feature_users_by_feature SYNC;

DROP VIEW IF EXISTS analytics.network_daily_active_actors SYNC;

DROP VIEW IF EXISTS analytics.network_error_count SYNC;

DROP VIEW IF EXISTS analytics.network_errors_by_code SYNC;

DROP VIEW IF EXISTS analytics.network_monthly_active_actors SYNC;

DROP VIEW IF EXISTS analytics.network_network_analytics_viewers SYNC;

DROP VIEW IF EXISTS analytics.network_protocol_loggers SYNC;

DROP VIEW IF EXISTS analytics.network_protocol_sessions_logged SYNC;

DROP VIEW IF EXISTS analytics.network_screen_load_ms SYNC;

DROP VIEW IF EXISTS analytics.network_weekly_active_actors SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_api_latency_ms SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_consumer_feature_users_by_feature SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_errors_by_code SYNC;

DROP TABLE IF EXISTS analytics_private.kpi_screen_load_ms SYNC;

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_latency_ms
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
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, endpoint, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI api_latency_ms: aggregate states per site, period, dimensions and network.';

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

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_api_latency_ms_mv TO analytics_private.kpi_api_latency_ms
AS SELECT
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
GROUP BY site_id, period, endpoint, network_id
COMMENT 'Folds every inserted block of events into KPI api_latency_ms.';

CREATE OR REPLACE VIEW analytics.kpi_api_latency_ms
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature
(
    site_id UUID,
    period Date,
    feature LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    actor_set AggregateFunction(groupUniqArray, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, feature, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI consumer_feature_users_by_feature: aggregate states per site, period, dimensions and network.';

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

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature_mv TO analytics_private.kpi_consumer_feature_users_by_feature
AS SELECT
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
GROUP BY site_id, period, feature, network_id
COMMENT 'Folds every inserted block of events into KPI consumer_feature_users_by_feature.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_errors_by_code
(
    site_id UUID,
    period Date,
    error_code LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    actor_set AggregateFunction(groupUniqArray, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, error_code, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI errors_by_code: aggregate states per site, period, dimensions and network.';

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

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_errors_by_code_mv TO analytics_private.kpi_errors_by_code
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'error_code') = 'String', JSONExtractString(payload, 'error_code'), JSONType(payload, 'error_code') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'error_code')) AS error_code,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupUniqArrayState(actor_hash) AS actor_set
FROM analytics_private.events
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'errors_by_code')
GROUP BY site_id, period, error_code, network_id
COMMENT 'Folds every inserted block of events into KPI errors_by_code.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_screen_load_ms
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
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, screen, platform, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI screen_load_ms: aggregate states per site, period, dimensions and network.';

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

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_screen_load_ms_mv TO analytics_private.kpi_screen_load_ms
AS SELECT
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
GROUP BY site_id, period, screen, platform, network_id
COMMENT 'Folds every inserted block of events into KPI screen_load_ms.';

CREATE OR REPLACE VIEW analytics.kpi_screen_load_ms
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

CREATE OR REPLACE VIEW analytics_private.kpi_api_latency_ms_family
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

CREATE OR REPLACE VIEW analytics_private.kpi_consumer_feature_users_family
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

CREATE OR REPLACE VIEW analytics_private.kpi_error_count_family
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

CREATE OR REPLACE VIEW analytics.network_active_clinic_members
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

CREATE OR REPLACE VIEW analytics.network_active_network_members
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

CREATE OR REPLACE VIEW analytics.network_active_practitioners
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

CREATE OR REPLACE VIEW analytics.network_api_latency_ms
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

CREATE OR REPLACE VIEW analytics.network_api_request_count
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

CREATE OR REPLACE VIEW analytics.network_api_server_error_count
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

CREATE OR REPLACE VIEW analytics.network_clinic_collaborators
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

CREATE OR REPLACE VIEW analytics.network_consumer_daily_actives
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

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users
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

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users_by_feature
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

CREATE OR REPLACE VIEW analytics.network_daily_active_actors
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

CREATE OR REPLACE VIEW analytics.network_error_count
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

CREATE OR REPLACE VIEW analytics.network_errors_by_code
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

CREATE OR REPLACE VIEW analytics.network_monthly_active_actors
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

CREATE OR REPLACE VIEW analytics.network_network_analytics_viewers
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

CREATE OR REPLACE VIEW analytics.network_protocol_loggers
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

CREATE OR REPLACE VIEW analytics.network_protocol_sessions_logged
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

CREATE OR REPLACE VIEW analytics.network_screen_load_ms
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

CREATE OR REPLACE VIEW analytics.network_weekly_active_actors
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
