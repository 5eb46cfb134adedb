-- trackgen ClickHouse migration 20261201062013 (single node): the difference from the released ClickHouse catalog.
-- Generated; do not edit.

DROP VIEW IF EXISTS analytics.kpi_active_clinic_members SYNC;

DROP VIEW IF EXISTS analytics.network_active_clinic_members SYNC;

DROP VIEW IF EXISTS analytics.kpi_active_network_members SYNC;

DROP VIEW IF EXISTS analytics.network_active_network_members SYNC;

DROP VIEW IF EXISTS analytics.kpi_active_practitioners SYNC;

DROP VIEW IF EXISTS analytics.network_active_practitioners SYNC;

DROP VIEW IF EXISTS analytics.kpi_api_latency_ms SYNC;

DROP VIEW IF EXISTS analytics.network_api_latency_ms SYNC;

DROP VIEW IF EXISTS analytics.kpi_api_request_count SYNC;

DROP VIEW IF EXISTS analytics.network_api_request_count SYNC;

DROP VIEW IF EXISTS analytics.kpi_api_server_error_count SYNC;

DROP VIEW IF EXISTS analytics.network_api_server_error_count SYNC;

DROP VIEW IF EXISTS analytics.kpi_clinic_collaborators SYNC;

DROP VIEW IF EXISTS analytics.network_clinic_collaborators SYNC;

DROP VIEW IF EXISTS analytics.kpi_consumer_daily_actives SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_daily_actives SYNC;

DROP VIEW IF EXISTS analytics.kpi_consumer_feature_users SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_feature_users SYNC;

DROP VIEW IF EXISTS analytics.kpi_consumer_feature_users_by_feature SYNC;

DROP VIEW IF EXISTS analytics.network_consumer_feature_users_by_feature SYNC;

DROP VIEW IF EXISTS analytics.kpi_daily_active_actors SYNC;

DROP VIEW IF EXISTS analytics.network_daily_active_actors SYNC;

DROP VIEW IF EXISTS analytics.kpi_error_count SYNC;

DROP VIEW IF EXISTS analytics.network_error_count SYNC;

DROP VIEW IF EXISTS analytics.kpi_errors_by_code SYNC;

DROP VIEW IF EXISTS analytics.network_errors_by_code SYNC;

DROP VIEW IF EXISTS analytics.kpi_monthly_active_actors SYNC;

DROP VIEW IF EXISTS analytics.network_monthly_active_actors SYNC;

DROP VIEW IF EXISTS analytics.kpi_network_analytics_viewers SYNC;

DROP VIEW IF EXISTS analytics.network_network_analytics_viewers SYNC;

DROP VIEW IF EXISTS analytics.kpi_protocol_loggers SYNC;

DROP VIEW IF EXISTS analytics.network_protocol_loggers SYNC;

DROP VIEW IF EXISTS analytics.kpi_protocol_sessions_logged SYNC;

DROP VIEW IF EXISTS analytics.network_protocol_sessions_logged SYNC;

DROP VIEW IF EXISTS analytics.kpi_screen_load_ms SYNC;

DROP VIEW IF EXISTS analytics.network_screen_load_ms SYNC;

DROP VIEW IF EXISTS analytics.kpi_weekly_active_actors SYNC;

DROP VIEW IF EXISTS analytics.network_weekly_active_actors SYNC;

CREATE OR REPLACE VIEW analytics.kpi_active_clinic_members
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_active_clinic_members
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI active_clinic_members for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_active_clinic_members
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_active_clinic_members
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI active_clinic_members across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_active_network_members
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_active_network_members
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI active_network_members for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_active_network_members
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_active_network_members
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI active_network_members across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_active_practitioners
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_active_practitioners
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI active_practitioners for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_active_practitioners
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_active_practitioners
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI active_practitioners across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_api_latency_ms
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, endpoint,
  length(groupArrayMerge(measures)) AS n,
  arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
  arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95,
  arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.99 * n)))] AS p99
FROM analytics_private.kpi_api_latency_ms
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, endpoint
COMMENT 'KPI api_latency_ms for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_api_latency_ms
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, endpoint,
  if((cell_sites < 5 OR cell_actors < 5), NULL, n) AS n,
  if((cell_sites < 5 OR cell_actors < 5), NULL, p50) AS p50,
  if((cell_sites < 5 OR cell_actors < 5), NULL, p95) AS p95,
  if((cell_sites < 5 OR cell_actors < 5), NULL, p99) AS p99,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, endpoint,
    length(groupArrayMerge(measures)) AS n,
    arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
    arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95,
    arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.99 * n)))] AS p99,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_api_latency_ms
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, endpoint)
COMMENT 'KPI api_latency_ms across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_api_request_count
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  countMerge(events) AS value
FROM analytics_private.kpi_api_request_count
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI api_request_count for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_api_request_count
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_api_request_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI api_request_count across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_api_server_error_count
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  countMerge(events) AS value
FROM analytics_private.kpi_api_server_error_count
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI api_server_error_count for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_api_server_error_count
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_api_server_error_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI api_server_error_count across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_clinic_collaborators
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_clinic_collaborators
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI clinic_collaborators for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_clinic_collaborators
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_clinic_collaborators
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI clinic_collaborators across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_daily_actives
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_consumer_daily_actives
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI consumer_daily_actives for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_consumer_daily_actives
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_consumer_daily_actives
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI consumer_daily_actives across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_feature_users
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_consumer_feature_users
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI consumer_feature_users for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_consumer_feature_users
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI consumer_feature_users across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_feature_users_by_feature
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, feature,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_consumer_feature_users_by_feature
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, feature
COMMENT 'KPI consumer_feature_users_by_feature for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users_by_feature
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, feature,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, feature,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_consumer_feature_users_by_feature
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, feature)
COMMENT 'KPI consumer_feature_users_by_feature across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_daily_active_actors
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, tier,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_daily_active_actors
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, tier
COMMENT 'KPI daily_active_actors for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_daily_active_actors
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_daily_active_actors
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, tier)
COMMENT 'KPI daily_active_actors across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_error_count
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  countMerge(events) AS value
FROM analytics_private.kpi_error_count
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI error_count for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_error_count
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_error_count
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI error_count across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_errors_by_code
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, error_code,
  countMerge(events) AS value
FROM analytics_private.kpi_errors_by_code
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, error_code
COMMENT 'KPI errors_by_code for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_errors_by_code
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, error_code,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, error_code,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_errors_by_code
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, error_code)
COMMENT 'KPI errors_by_code across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_monthly_active_actors
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, tier,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_monthly_active_actors
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, tier
COMMENT 'KPI monthly_active_actors for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_monthly_active_actors
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_monthly_active_actors
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, tier)
COMMENT 'KPI monthly_active_actors across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_network_analytics_viewers
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_network_analytics_viewers
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI network_analytics_viewers for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_network_analytics_viewers
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_network_analytics_viewers
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI network_analytics_viewers across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_protocol_loggers
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_protocol_loggers
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI protocol_loggers for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_protocol_loggers
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_protocol_loggers
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period)
COMMENT 'KPI protocol_loggers across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_protocol_sessions_logged
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, logging_mode,
  countMerge(events) AS value
FROM analytics_private.kpi_protocol_sessions_logged
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, logging_mode
COMMENT 'KPI protocol_sessions_logged for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_protocol_sessions_logged
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, logging_mode,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, logging_mode,
    countMerge(events) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_protocol_sessions_logged
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, logging_mode)
COMMENT 'KPI protocol_sessions_logged across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_screen_load_ms
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, screen, platform,
  length(groupArrayMerge(measures)) AS n,
  arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
  arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95
FROM analytics_private.kpi_screen_load_ms
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, screen, platform
COMMENT 'KPI screen_load_ms for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_screen_load_ms
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, screen, platform,
  if((cell_sites < 5 OR cell_actors < 5), NULL, n) AS n,
  if((cell_sites < 5 OR cell_actors < 5), NULL, p50) AS p50,
  if((cell_sites < 5 OR cell_actors < 5), NULL, p95) AS p95,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, screen, platform,
    length(groupArrayMerge(measures)) AS n,
    arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.5 * n)))] AS p50,
    arraySort(groupArrayMerge(measures))[toUInt64(greatest(1, ceil(0.95 * n)))] AS p95,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_screen_load_ms
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, screen, platform)
COMMENT 'KPI screen_load_ms across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';

CREATE OR REPLACE VIEW analytics.kpi_weekly_active_actors
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, tier,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_weekly_active_actors
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, tier
COMMENT 'KPI weekly_active_actors for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_weekly_active_actors
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT period, tier,
  if((cell_sites < 5 OR cell_actors < 5), NULL, value) AS value,
  (cell_sites < 5 OR cell_actors < 5) AS suppressed
FROM (
  SELECT period, tier,
    uniqExactMerge(actors) AS value,
    uniqExact(site_id) AS cell_sites,
    uniqExactMerge(actors) AS cell_actors
  FROM analytics_private.kpi_weekly_active_actors
  WHERE network_id = (
      SELECT anyOrNull(r.network_id) FROM analytics_private.readers AS r FINAL
      WHERE r.user_name = currentUser() AND r.tier IN ('network'))
  GROUP BY period, tier)
COMMENT 'KPI weekly_active_actors across the caller\'s network; cells behind fewer than 5 sites or actors are listed with null values and suppressed = true.';
