-- trackgen ClickHouse migration 20261201100708 (cluster trackgen): the same difference, ON CLUSTER.
-- Generated; do not edit.

DROP VIEW IF EXISTS analytics_private.kpi_api_latency_ms_family ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_consumer_feature_users_family ON CLUSTER 'trackgen' SYNC;

DROP VIEW IF EXISTS analytics_private.kpi_error_count_family ON CLUSTER 'trackgen' SYNC;

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
