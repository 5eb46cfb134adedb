-- trackgen ClickHouse migration 20261201062558 (single node): the difference from the released ClickHouse catalog.
-- Generated; do not edit.

DROP VIEW IF EXISTS analytics.kpi_api_server_error_rate SYNC;

DROP VIEW IF EXISTS analytics.kpi_clinic_collaboration_adoption SYNC;

DROP VIEW IF EXISTS analytics.kpi_consumer_feature_adoption SYNC;

DROP VIEW IF EXISTS analytics.kpi_error_rate SYNC;

DROP VIEW IF EXISTS analytics.kpi_network_analytics_adoption SYNC;

DROP VIEW IF EXISTS analytics.kpi_protocol_logging_adoption SYNC;

CREATE OR REPLACE VIEW analytics.kpi_api_server_error_rate
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT keys.site_id AS site_id, keys.period AS period,
  coalesce(n.value, 0) AS numerator,
  coalesce(d.value, 0) AS denominator,
  if(coalesce(d.value, 0) = 0, NULL, numerator / denominator) AS value
FROM (SELECT site_id, period FROM analytics.kpi_api_server_error_count
      UNION DISTINCT SELECT site_id, period FROM analytics.kpi_api_request_count) AS keys
LEFT JOIN analytics.kpi_api_server_error_count AS n ON keys.site_id = n.site_id AND keys.period = n.period
LEFT JOIN analytics.kpi_api_request_count AS d ON keys.site_id = d.site_id AND keys.period = d.period
COMMENT 'KPI api_server_error_rate for the caller\'s own site: numerator over denominator.';

CREATE OR REPLACE VIEW analytics.kpi_clinic_collaboration_adoption
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT keys.site_id AS site_id, keys.period AS period,
  coalesce(n.value, 0) AS numerator,
  coalesce(d.value, 0) AS denominator,
  if(coalesce(d.value, 0) = 0, NULL, numerator / denominator) AS value
FROM (SELECT site_id, period FROM analytics.kpi_clinic_collaborators
      UNION DISTINCT SELECT site_id, period FROM analytics.kpi_active_clinic_members) AS keys
LEFT JOIN analytics.kpi_clinic_collaborators AS n ON keys.site_id = n.site_id AND keys.period = n.period
LEFT JOIN analytics.kpi_active_clinic_members AS d ON keys.site_id = d.site_id AND keys.period = d.period
COMMENT 'KPI clinic_collaboration_adoption for the caller\'s own site: numerator over denominator.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_feature_adoption
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT keys.site_id AS site_id, keys.period AS period,
  coalesce(n.value, 0) AS numerator,
  coalesce(d.value, 0) AS denominator,
  if(coalesce(d.value, 0) = 0, NULL, numerator / denominator) AS value
FROM (SELECT site_id, period FROM analytics.kpi_consumer_feature_users
      UNION DISTINCT SELECT site_id, period FROM analytics.kpi_consumer_daily_actives) AS keys
LEFT JOIN analytics.kpi_consumer_feature_users AS n ON keys.site_id = n.site_id AND keys.period = n.period
LEFT JOIN analytics.kpi_consumer_daily_actives AS d ON keys.site_id = d.site_id AND keys.period = d.period
COMMENT 'KPI consumer_feature_adoption for the caller\'s own site: numerator over denominator.';

CREATE OR REPLACE VIEW analytics.kpi_error_rate
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT keys.site_id AS site_id, keys.period AS period,
  coalesce(n.value, 0) AS numerator,
  coalesce(d.value, 0) AS denominator,
  if(coalesce(d.value, 0) = 0, NULL, numerator / denominator) AS value
FROM (SELECT site_id, period FROM analytics.kpi_error_count
      UNION DISTINCT SELECT site_id, period FROM analytics.kpi_api_request_count) AS keys
LEFT JOIN analytics.kpi_error_count AS n ON keys.site_id = n.site_id AND keys.period = n.period
LEFT JOIN analytics.kpi_api_request_count AS d ON keys.site_id = d.site_id AND keys.period = d.period
COMMENT 'KPI error_rate for the caller\'s own site: numerator over denominator.';

CREATE OR REPLACE VIEW analytics.kpi_network_analytics_adoption
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT keys.site_id AS site_id, keys.period AS period,
  coalesce(n.value, 0) AS numerator,
  coalesce(d.value, 0) AS denominator,
  if(coalesce(d.value, 0) = 0, NULL, numerator / denominator) AS value
FROM (SELECT site_id, period FROM analytics.kpi_network_analytics_viewers
      UNION DISTINCT SELECT site_id, period FROM analytics.kpi_active_network_members) AS keys
LEFT JOIN analytics.kpi_network_analytics_viewers AS n ON keys.site_id = n.site_id AND keys.period = n.period
LEFT JOIN analytics.kpi_active_network_members AS d ON keys.site_id = d.site_id AND keys.period = d.period
COMMENT 'KPI network_analytics_adoption for the caller\'s own site: numerator over denominator.';

CREATE OR REPLACE VIEW analytics.kpi_protocol_logging_adoption
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT keys.site_id AS site_id, keys.period AS period,
  coalesce(n.value, 0) AS numerator,
  coalesce(d.value, 0) AS denominator,
  if(coalesce(d.value, 0) = 0, NULL, numerator / denominator) AS value
FROM (SELECT site_id, period FROM analytics.kpi_protocol_loggers
      UNION DISTINCT SELECT site_id, period FROM analytics.kpi_active_practitioners) AS keys
LEFT JOIN analytics.kpi_protocol_loggers AS n ON keys.site_id = n.site_id AND keys.period = n.period
LEFT JOIN analytics.kpi_active_practitioners AS d ON keys.site_id = d.site_id AND keys.period = d.period
COMMENT 'KPI protocol_logging_adoption for the caller\'s own site: numerator over denominator.';
