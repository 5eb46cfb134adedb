-- trackgen ClickHouse migration 20261201071238 (cluster trackgen): the same difference, ON CLUSTER.
-- Generated; do not edit.

CREATE DATABASE IF NOT EXISTS analytics_private ON CLUSTER 'trackgen' COMMENT 'tables, aggregates and the ingestion: never granted to readers';

CREATE DATABASE IF NOT EXISTS analytics ON CLUSTER 'trackgen' COMMENT 'the read views';

CREATE TABLE IF NOT EXISTS analytics_private.events_local ON CLUSTER 'trackgen'
(
    event_id LowCardinality(String),
    site_id UUID,
    network_id Nullable(UUID),
    actor_hash String COMMENT 'hex of the keyed actor hash (HMAC-SHA256), never the user id',
    actor_tier LowCardinality(String),
    occurred_at DateTime64(6, 'UTC'),
    received_at DateTime64(6, 'UTC'),
    idempotency_key UUID,
    plan_version LowCardinality(Nullable(String)),
    payload String COMMENT 'the validated payload as JSON text',
    ingest_xid UInt64 COMMENT 'the PostgreSQL writing transaction: the ingestion watermark'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (site_id, occurred_at, idempotency_key)
COMMENT 'Accepted events, copied from the Supabase event store exactly once; one row per event.';

CREATE TABLE IF NOT EXISTS analytics_private.events ON CLUSTER 'trackgen' AS analytics_private.events_local
ENGINE = Distributed('trackgen', analytics_private, events_local, cityHash64(site_id));

CREATE TABLE IF NOT EXISTS analytics_private.kpi_event_sets ON CLUSTER 'trackgen'
(
    set_name String,
    event_id String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/{table}', '{replica}')
ORDER BY (set_name, event_id)
COMMENT 'The events each KPI selection reads.';

CREATE TABLE IF NOT EXISTS analytics_private.readers ON CLUSTER 'trackgen'
(
    user_name String,
    site_id UUID,
    network_id Nullable(UUID),
    tier LowCardinality(String)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/{table}', '{replica}')
ORDER BY user_name
COMMENT 'Who reads: each ClickHouse login user\'s site, network and tier (the JWT claims\' counterpart), written by the operator\'s provisioning; the last row per user wins.';

-- Created on one node only (no ON CLUSTER): one ingestion per deployment; it appends through the
-- Distributed table, which routes each event to its site's shard.
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

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('active_clinic_members', 'clinic.caseload_handed_off'),
    ('active_clinic_members', 'clinic.member_invited'),
    ('active_clinic_members', 'clinic.member_joined'),
    ('active_clinic_members', 'clinic.member_removed'),
    ('active_clinic_members', 'clinic.member_role_changed'),
    ('active_clinic_members', 'clinic.plan_upgraded'),
    ('active_clinic_members', 'clinic.protocol_shared'),
    ('active_clinic_members', 'clinic.review_completed'),
    ('active_clinic_members', 'clinic.review_requested'),
    ('active_clinic_members', 'clinic.seats_changed'),
    ('active_clinic_members', 'clinic.team_created'),
    ('active_clinic_members', 'clinic.utilization_dashboard_viewed'),
    ('active_clinic_members', 'consumer.appointment_requested'),
    ('active_clinic_members', 'consumer.article_viewed'),
    ('active_clinic_members', 'consumer.checkin_logged'),
    ('active_clinic_members', 'consumer.directory_searched'),
    ('active_clinic_members', 'consumer.exercise_completed'),
    ('active_clinic_members', 'consumer.exercise_started'),
    ('active_clinic_members', 'consumer.feature_used'),
    ('active_clinic_members', 'consumer.goal_set'),
    ('active_clinic_members', 'consumer.progress_chart_viewed'),
    ('active_clinic_members', 'consumer.reminder_scheduled'),
    ('active_clinic_members', 'consumer.upgrade_prompt_viewed'),
    ('active_clinic_members', 'consumer.wearable_connected'),
    ('active_clinic_members', 'practitioner.availability_published'),
    ('active_clinic_members', 'practitioner.dashboard_viewed'),
    ('active_clinic_members', 'practitioner.home_program_assigned'),
    ('active_clinic_members', 'practitioner.outcome_measure_recorded'),
    ('active_clinic_members', 'practitioner.progress_report_generated'),
    ('active_clinic_members', 'practitioner.protocol_created'),
    ('active_clinic_members', 'practitioner.protocol_edited'),
    ('active_clinic_members', 'practitioner.protocol_logged'),
    ('active_clinic_members', 'practitioner.subscription_cancelled'),
    ('active_clinic_members', 'practitioner.trial_converted'),
    ('active_clinic_members', 'practitioner.trial_expired'),
    ('active_clinic_members', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('active_network_members', 'clinic.caseload_handed_off'),
    ('active_network_members', 'clinic.member_invited'),
    ('active_network_members', 'clinic.member_joined'),
    ('active_network_members', 'clinic.member_removed'),
    ('active_network_members', 'clinic.member_role_changed'),
    ('active_network_members', 'clinic.plan_upgraded'),
    ('active_network_members', 'clinic.protocol_shared'),
    ('active_network_members', 'clinic.review_completed'),
    ('active_network_members', 'clinic.review_requested'),
    ('active_network_members', 'clinic.seats_changed'),
    ('active_network_members', 'clinic.team_created'),
    ('active_network_members', 'clinic.utilization_dashboard_viewed'),
    ('active_network_members', 'consumer.appointment_requested'),
    ('active_network_members', 'consumer.article_viewed'),
    ('active_network_members', 'consumer.checkin_logged'),
    ('active_network_members', 'consumer.directory_searched'),
    ('active_network_members', 'consumer.exercise_completed'),
    ('active_network_members', 'consumer.exercise_started'),
    ('active_network_members', 'consumer.feature_used'),
    ('active_network_members', 'consumer.goal_set'),
    ('active_network_members', 'consumer.progress_chart_viewed'),
    ('active_network_members', 'consumer.reminder_scheduled'),
    ('active_network_members', 'consumer.upgrade_prompt_viewed'),
    ('active_network_members', 'consumer.wearable_connected'),
    ('active_network_members', 'network.alert_configured'),
    ('active_network_members', 'network.benchmark_compared'),
    ('active_network_members', 'network.dashboard_viewed'),
    ('active_network_members', 'network.data_sharing_accepted'),
    ('active_network_members', 'network.filter_applied'),
    ('active_network_members', 'network.report_exported'),
    ('active_network_members', 'network.scheduled_report_created'),
    ('active_network_members', 'network.suppression_notice_shown'),
    ('active_network_members', 'practitioner.availability_published'),
    ('active_network_members', 'practitioner.dashboard_viewed'),
    ('active_network_members', 'practitioner.home_program_assigned'),
    ('active_network_members', 'practitioner.outcome_measure_recorded'),
    ('active_network_members', 'practitioner.progress_report_generated'),
    ('active_network_members', 'practitioner.protocol_created'),
    ('active_network_members', 'practitioner.protocol_edited'),
    ('active_network_members', 'practitioner.protocol_logged'),
    ('active_network_members', 'practitioner.subscription_cancelled'),
    ('active_network_members', 'practitioner.trial_converted'),
    ('active_network_members', 'practitioner.trial_expired'),
    ('active_network_members', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('active_practitioners', 'practitioner.availability_published'),
    ('active_practitioners', 'practitioner.dashboard_viewed'),
    ('active_practitioners', 'practitioner.home_program_assigned'),
    ('active_practitioners', 'practitioner.outcome_measure_recorded'),
    ('active_practitioners', 'practitioner.progress_report_generated'),
    ('active_practitioners', 'practitioner.protocol_created'),
    ('active_practitioners', 'practitioner.protocol_edited'),
    ('active_practitioners', 'practitioner.protocol_logged'),
    ('active_practitioners', 'practitioner.subscription_cancelled'),
    ('active_practitioners', 'practitioner.trial_converted'),
    ('active_practitioners', 'practitioner.trial_expired'),
    ('active_practitioners', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('api_latency_ms', 'system.api_request_completed');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('api_request_count', 'system.api_request_completed');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('api_server_error_count', 'system.api_request_completed');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('clinic_collaborators', 'clinic.caseload_handed_off'),
    ('clinic_collaborators', 'clinic.protocol_shared'),
    ('clinic_collaborators', 'clinic.review_completed'),
    ('clinic_collaborators', 'clinic.review_requested');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('consumer_daily_actives', 'consumer.appointment_requested'),
    ('consumer_daily_actives', 'consumer.article_viewed'),
    ('consumer_daily_actives', 'consumer.checkin_logged'),
    ('consumer_daily_actives', 'consumer.directory_searched'),
    ('consumer_daily_actives', 'consumer.exercise_completed'),
    ('consumer_daily_actives', 'consumer.exercise_started'),
    ('consumer_daily_actives', 'consumer.feature_used'),
    ('consumer_daily_actives', 'consumer.goal_set'),
    ('consumer_daily_actives', 'consumer.progress_chart_viewed'),
    ('consumer_daily_actives', 'consumer.reminder_scheduled'),
    ('consumer_daily_actives', 'consumer.upgrade_prompt_viewed'),
    ('consumer_daily_actives', 'consumer.wearable_connected');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('consumer_feature_users', 'consumer.feature_used');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('consumer_feature_users_by_feature', 'consumer.feature_used');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('daily_active_actors', 'clinic.caseload_handed_off'),
    ('daily_active_actors', 'clinic.member_invited'),
    ('daily_active_actors', 'clinic.member_joined'),
    ('daily_active_actors', 'clinic.member_removed'),
    ('daily_active_actors', 'clinic.member_role_changed'),
    ('daily_active_actors', 'clinic.plan_upgraded'),
    ('daily_active_actors', 'clinic.protocol_shared'),
    ('daily_active_actors', 'clinic.review_completed'),
    ('daily_active_actors', 'clinic.review_requested'),
    ('daily_active_actors', 'clinic.seats_changed'),
    ('daily_active_actors', 'clinic.team_created'),
    ('daily_active_actors', 'clinic.utilization_dashboard_viewed'),
    ('daily_active_actors', 'consumer.appointment_requested'),
    ('daily_active_actors', 'consumer.article_viewed'),
    ('daily_active_actors', 'consumer.checkin_logged'),
    ('daily_active_actors', 'consumer.directory_searched'),
    ('daily_active_actors', 'consumer.exercise_completed'),
    ('daily_active_actors', 'consumer.exercise_started'),
    ('daily_active_actors', 'consumer.feature_used'),
    ('daily_active_actors', 'consumer.goal_set'),
    ('daily_active_actors', 'consumer.progress_chart_viewed'),
    ('daily_active_actors', 'consumer.reminder_scheduled'),
    ('daily_active_actors', 'consumer.upgrade_prompt_viewed'),
    ('daily_active_actors', 'consumer.wearable_connected'),
    ('daily_active_actors', 'network.alert_configured'),
    ('daily_active_actors', 'network.benchmark_compared'),
    ('daily_active_actors', 'network.dashboard_viewed'),
    ('daily_active_actors', 'network.data_sharing_accepted'),
    ('daily_active_actors', 'network.filter_applied'),
    ('daily_active_actors', 'network.report_exported'),
    ('daily_active_actors', 'network.scheduled_report_created'),
    ('daily_active_actors', 'network.suppression_notice_shown'),
    ('daily_active_actors', 'practitioner.availability_published'),
    ('daily_active_actors', 'practitioner.dashboard_viewed'),
    ('daily_active_actors', 'practitioner.home_program_assigned'),
    ('daily_active_actors', 'practitioner.outcome_measure_recorded'),
    ('daily_active_actors', 'practitioner.progress_report_generated'),
    ('daily_active_actors', 'practitioner.protocol_created'),
    ('daily_active_actors', 'practitioner.protocol_edited'),
    ('daily_active_actors', 'practitioner.protocol_logged'),
    ('daily_active_actors', 'practitioner.subscription_cancelled'),
    ('daily_active_actors', 'practitioner.trial_converted'),
    ('daily_active_actors', 'practitioner.trial_expired'),
    ('daily_active_actors', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('error_count', 'system.error_occurred');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('errors_by_code', 'system.error_occurred');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('monthly_active_actors', 'clinic.caseload_handed_off'),
    ('monthly_active_actors', 'clinic.member_invited'),
    ('monthly_active_actors', 'clinic.member_joined'),
    ('monthly_active_actors', 'clinic.member_removed'),
    ('monthly_active_actors', 'clinic.member_role_changed'),
    ('monthly_active_actors', 'clinic.plan_upgraded'),
    ('monthly_active_actors', 'clinic.protocol_shared'),
    ('monthly_active_actors', 'clinic.review_completed'),
    ('monthly_active_actors', 'clinic.review_requested'),
    ('monthly_active_actors', 'clinic.seats_changed'),
    ('monthly_active_actors', 'clinic.team_created'),
    ('monthly_active_actors', 'clinic.utilization_dashboard_viewed'),
    ('monthly_active_actors', 'consumer.appointment_requested'),
    ('monthly_active_actors', 'consumer.article_viewed'),
    ('monthly_active_actors', 'consumer.checkin_logged'),
    ('monthly_active_actors', 'consumer.directory_searched'),
    ('monthly_active_actors', 'consumer.exercise_completed'),
    ('monthly_active_actors', 'consumer.exercise_started'),
    ('monthly_active_actors', 'consumer.feature_used'),
    ('monthly_active_actors', 'consumer.goal_set'),
    ('monthly_active_actors', 'consumer.progress_chart_viewed'),
    ('monthly_active_actors', 'consumer.reminder_scheduled'),
    ('monthly_active_actors', 'consumer.upgrade_prompt_viewed'),
    ('monthly_active_actors', 'consumer.wearable_connected'),
    ('monthly_active_actors', 'network.alert_configured'),
    ('monthly_active_actors', 'network.benchmark_compared'),
    ('monthly_active_actors', 'network.dashboard_viewed'),
    ('monthly_active_actors', 'network.data_sharing_accepted'),
    ('monthly_active_actors', 'network.filter_applied'),
    ('monthly_active_actors', 'network.report_exported'),
    ('monthly_active_actors', 'network.scheduled_report_created'),
    ('monthly_active_actors', 'network.suppression_notice_shown'),
    ('monthly_active_actors', 'practitioner.availability_published'),
    ('monthly_active_actors', 'practitioner.dashboard_viewed'),
    ('monthly_active_actors', 'practitioner.home_program_assigned'),
    ('monthly_active_actors', 'practitioner.outcome_measure_recorded'),
    ('monthly_active_actors', 'practitioner.progress_report_generated'),
    ('monthly_active_actors', 'practitioner.protocol_created'),
    ('monthly_active_actors', 'practitioner.protocol_edited'),
    ('monthly_active_actors', 'practitioner.protocol_logged'),
    ('monthly_active_actors', 'practitioner.subscription_cancelled'),
    ('monthly_active_actors', 'practitioner.trial_converted'),
    ('monthly_active_actors', 'practitioner.trial_expired'),
    ('monthly_active_actors', 'practitioner.trial_started');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('network_analytics_viewers', 'network.benchmark_compared'),
    ('network_analytics_viewers', 'network.dashboard_viewed');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('protocol_loggers', 'practitioner.protocol_logged');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('protocol_sessions_logged', 'practitioner.protocol_logged');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('screen_load_ms', 'system.screen_loaded');

INSERT INTO analytics_private.kpi_event_sets (set_name, event_id) VALUES
    ('weekly_active_actors', 'clinic.caseload_handed_off'),
    ('weekly_active_actors', 'clinic.member_invited'),
    ('weekly_active_actors', 'clinic.member_joined'),
    ('weekly_active_actors', 'clinic.member_removed'),
    ('weekly_active_actors', 'clinic.member_role_changed'),
    ('weekly_active_actors', 'clinic.plan_upgraded'),
    ('weekly_active_actors', 'clinic.protocol_shared'),
    ('weekly_active_actors', 'clinic.review_completed'),
    ('weekly_active_actors', 'clinic.review_requested'),
    ('weekly_active_actors', 'clinic.seats_changed'),
    ('weekly_active_actors', 'clinic.team_created'),
    ('weekly_active_actors', 'clinic.utilization_dashboard_viewed'),
    ('weekly_active_actors', 'consumer.appointment_requested'),
    ('weekly_active_actors', 'consumer.article_viewed'),
    ('weekly_active_actors', 'consumer.checkin_logged'),
    ('weekly_active_actors', 'consumer.directory_searched'),
    ('weekly_active_actors', 'consumer.exercise_completed'),
    ('weekly_active_actors', 'consumer.exercise_started'),
    ('weekly_active_actors', 'consumer.feature_used'),
    ('weekly_active_actors', 'consumer.goal_set'),
    ('weekly_active_actors', 'consumer.progress_chart_viewed'),
    ('weekly_active_actors', 'consumer.reminder_scheduled'),
    ('weekly_active_actors', 'consumer.upgrade_prompt_viewed'),
    ('weekly_active_actors', 'consumer.wearable_connected'),
    ('weekly_active_actors', 'network.alert_configured'),
    ('weekly_active_actors', 'network.benchmark_compared'),
    ('weekly_active_actors', 'network.dashboard_viewed'),
    ('weekly_active_actors', 'network.data_sharing_accepted'),
    ('weekly_active_actors', 'network.filter_applied'),
    ('weekly_active_actors', 'network.report_exported'),
    ('weekly_active_actors', 'network.scheduled_report_created'),
    ('weekly_active_actors', 'network.suppression_notice_shown'),
    ('weekly_active_actors', 'practitioner.availability_published'),
    ('weekly_active_actors', 'practitioner.dashboard_viewed'),
    ('weekly_active_actors', 'practitioner.home_program_assigned'),
    ('weekly_active_actors', 'practitioner.outcome_measure_recorded'),
    ('weekly_active_actors', 'practitioner.progress_report_generated'),
    ('weekly_active_actors', 'practitioner.protocol_created'),
    ('weekly_active_actors', 'practitioner.protocol_edited'),
    ('weekly_active_actors', 'practitioner.protocol_logged'),
    ('weekly_active_actors', 'practitioner.subscription_cancelled'),
    ('weekly_active_actors', 'practitioner.trial_converted'),
    ('weekly_active_actors', 'practitioner.trial_expired'),
    ('weekly_active_actors', 'practitioner.trial_started');

CREATE TABLE IF NOT EXISTS analytics_private.kpi_active_clinic_members_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI active_clinic_members: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_active_clinic_members ON CLUSTER 'trackgen' AS analytics_private.kpi_active_clinic_members_local
ENGINE = Distributed('trackgen', analytics_private, kpi_active_clinic_members_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_active_clinic_members_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_active_clinic_members_local
AS SELECT
  site_id,
  toMonday(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'active_clinic_members')
  AND actor_tier IN ('clinic')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI active_clinic_members.';

CREATE OR REPLACE VIEW analytics.kpi_active_clinic_members ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_active_clinic_members
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI active_clinic_members for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_active_clinic_members ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_active_network_members_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI active_network_members: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_active_network_members ON CLUSTER 'trackgen' AS analytics_private.kpi_active_network_members_local
ENGINE = Distributed('trackgen', analytics_private, kpi_active_network_members_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_active_network_members_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_active_network_members_local
AS SELECT
  site_id,
  toStartOfMonth(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'active_network_members')
  AND actor_tier IN ('network')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI active_network_members.';

CREATE OR REPLACE VIEW analytics.kpi_active_network_members ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_active_network_members
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI active_network_members for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_active_network_members ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_active_practitioners_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI active_practitioners: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_active_practitioners ON CLUSTER 'trackgen' AS analytics_private.kpi_active_practitioners_local
ENGINE = Distributed('trackgen', analytics_private, kpi_active_practitioners_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_active_practitioners_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_active_practitioners_local
AS SELECT
  site_id,
  toMonday(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'active_practitioners')
  AND actor_tier IN ('practitioner')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI active_practitioners.';

CREATE OR REPLACE VIEW analytics.kpi_active_practitioners ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_active_practitioners
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI active_practitioners for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_active_practitioners ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_latency_ms_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    endpoint LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    measures AggregateFunction(groupArray, Float64)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, endpoint, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI api_latency_ms: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_latency_ms ON CLUSTER 'trackgen' AS analytics_private.kpi_api_latency_ms_local
ENGINE = Distributed('trackgen', analytics_private, kpi_api_latency_ms_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_api_latency_ms_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_api_latency_ms_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'endpoint') = 'String', JSONExtractString(payload, 'endpoint'), JSONType(payload, 'endpoint') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'endpoint')) AS endpoint,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupArrayState(JSONExtractFloat(payload, 'duration_ms')) AS measures
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'api_latency_ms')
  AND JSONType(payload, 'duration_ms') IN ('Int64', 'UInt64', 'Double')
GROUP BY site_id, period, endpoint, network_id
COMMENT 'Folds every inserted block of events into KPI api_latency_ms.';

CREATE OR REPLACE VIEW analytics.kpi_api_latency_ms ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_api_latency_ms ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_request_count_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI api_request_count: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_request_count ON CLUSTER 'trackgen' AS analytics_private.kpi_api_request_count_local
ENGINE = Distributed('trackgen', analytics_private, kpi_api_request_count_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_api_request_count_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_api_request_count_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'api_request_count')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI api_request_count.';

CREATE OR REPLACE VIEW analytics.kpi_api_request_count ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  countMerge(events) AS value
FROM analytics_private.kpi_api_request_count
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI api_request_count for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_api_request_count ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_server_error_count_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI api_server_error_count: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_api_server_error_count ON CLUSTER 'trackgen' AS analytics_private.kpi_api_server_error_count_local
ENGINE = Distributed('trackgen', analytics_private, kpi_api_server_error_count_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_api_server_error_count_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_api_server_error_count_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'api_server_error_count')
  AND multiIf(JSONType(payload, 'status_class') = 'String', JSONExtractString(payload, 'status_class'), JSONType(payload, 'status_class') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'status_class')) IN ('server_error')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI api_server_error_count.';

CREATE OR REPLACE VIEW analytics.kpi_api_server_error_count ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  countMerge(events) AS value
FROM analytics_private.kpi_api_server_error_count
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI api_server_error_count for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_api_server_error_count ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_clinic_collaborators_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI clinic_collaborators: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_clinic_collaborators ON CLUSTER 'trackgen' AS analytics_private.kpi_clinic_collaborators_local
ENGINE = Distributed('trackgen', analytics_private, kpi_clinic_collaborators_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_clinic_collaborators_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_clinic_collaborators_local
AS SELECT
  site_id,
  toMonday(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'clinic_collaborators')
  AND actor_tier IN ('clinic')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI clinic_collaborators.';

CREATE OR REPLACE VIEW analytics.kpi_clinic_collaborators ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_clinic_collaborators
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI clinic_collaborators for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_clinic_collaborators ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_daily_actives_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI consumer_daily_actives: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_daily_actives ON CLUSTER 'trackgen' AS analytics_private.kpi_consumer_daily_actives_local
ENGINE = Distributed('trackgen', analytics_private, kpi_consumer_daily_actives_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_consumer_daily_actives_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_consumer_daily_actives_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'consumer_daily_actives')
  AND actor_tier IN ('consumer')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI consumer_daily_actives.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_daily_actives ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_consumer_daily_actives
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI consumer_daily_actives for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_consumer_daily_actives ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_feature_users_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI consumer_feature_users: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_feature_users ON CLUSTER 'trackgen' AS analytics_private.kpi_consumer_feature_users_local
ENGINE = Distributed('trackgen', analytics_private, kpi_consumer_feature_users_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_consumer_feature_users_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_consumer_feature_users_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'consumer_feature_users')
  AND actor_tier IN ('consumer')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI consumer_feature_users.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_feature_users ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_consumer_feature_users
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI consumer_feature_users for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    feature LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, feature, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI consumer_feature_users_by_feature: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature ON CLUSTER 'trackgen' AS analytics_private.kpi_consumer_feature_users_by_feature_local
ENGINE = Distributed('trackgen', analytics_private, kpi_consumer_feature_users_by_feature_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_consumer_feature_users_by_feature_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_consumer_feature_users_by_feature_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'feature') = 'String', JSONExtractString(payload, 'feature'), JSONType(payload, 'feature') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'feature')) AS feature,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'consumer_feature_users_by_feature')
  AND actor_tier IN ('consumer')
GROUP BY site_id, period, feature, network_id
COMMENT 'Folds every inserted block of events into KPI consumer_feature_users_by_feature.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_feature_users_by_feature ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, feature,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_consumer_feature_users_by_feature
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, feature
COMMENT 'KPI consumer_feature_users_by_feature for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_consumer_feature_users_by_feature ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_daily_active_actors_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    tier LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, tier, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI daily_active_actors: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_daily_active_actors ON CLUSTER 'trackgen' AS analytics_private.kpi_daily_active_actors_local
ENGINE = Distributed('trackgen', analytics_private, kpi_daily_active_actors_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_daily_active_actors_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_daily_active_actors_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  actor_tier AS tier,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'daily_active_actors')
GROUP BY site_id, period, tier, network_id
COMMENT 'Folds every inserted block of events into KPI daily_active_actors.';

CREATE OR REPLACE VIEW analytics.kpi_daily_active_actors ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, tier,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_daily_active_actors
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, tier
COMMENT 'KPI daily_active_actors for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_daily_active_actors ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_error_count_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI error_count: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_error_count ON CLUSTER 'trackgen' AS analytics_private.kpi_error_count_local
ENGINE = Distributed('trackgen', analytics_private, kpi_error_count_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_error_count_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_error_count_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'error_count')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI error_count.';

CREATE OR REPLACE VIEW analytics.kpi_error_count ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  countMerge(events) AS value
FROM analytics_private.kpi_error_count
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI error_count for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_error_count ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_errors_by_code_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    error_code LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, error_code, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI errors_by_code: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_errors_by_code ON CLUSTER 'trackgen' AS analytics_private.kpi_errors_by_code_local
ENGINE = Distributed('trackgen', analytics_private, kpi_errors_by_code_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_errors_by_code_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_errors_by_code_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'error_code') = 'String', JSONExtractString(payload, 'error_code'), JSONType(payload, 'error_code') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'error_code')) AS error_code,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'errors_by_code')
GROUP BY site_id, period, error_code, network_id
COMMENT 'Folds every inserted block of events into KPI errors_by_code.';

CREATE OR REPLACE VIEW analytics.kpi_errors_by_code ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, error_code,
  countMerge(events) AS value
FROM analytics_private.kpi_errors_by_code
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, error_code
COMMENT 'KPI errors_by_code for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_errors_by_code ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_monthly_active_actors_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    tier LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, tier, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI monthly_active_actors: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_monthly_active_actors ON CLUSTER 'trackgen' AS analytics_private.kpi_monthly_active_actors_local
ENGINE = Distributed('trackgen', analytics_private, kpi_monthly_active_actors_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_monthly_active_actors_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_monthly_active_actors_local
AS SELECT
  site_id,
  toStartOfMonth(occurred_at, 'UTC') AS period,
  actor_tier AS tier,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'monthly_active_actors')
GROUP BY site_id, period, tier, network_id
COMMENT 'Folds every inserted block of events into KPI monthly_active_actors.';

CREATE OR REPLACE VIEW analytics.kpi_monthly_active_actors ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, tier,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_monthly_active_actors
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, tier
COMMENT 'KPI monthly_active_actors for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_monthly_active_actors ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_network_analytics_viewers_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI network_analytics_viewers: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_network_analytics_viewers ON CLUSTER 'trackgen' AS analytics_private.kpi_network_analytics_viewers_local
ENGINE = Distributed('trackgen', analytics_private, kpi_network_analytics_viewers_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_network_analytics_viewers_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_network_analytics_viewers_local
AS SELECT
  site_id,
  toStartOfMonth(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'network_analytics_viewers')
  AND actor_tier IN ('network')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI network_analytics_viewers.';

CREATE OR REPLACE VIEW analytics.kpi_network_analytics_viewers ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_network_analytics_viewers
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI network_analytics_viewers for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_network_analytics_viewers ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_protocol_loggers_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI protocol_loggers: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_protocol_loggers ON CLUSTER 'trackgen' AS analytics_private.kpi_protocol_loggers_local
ENGINE = Distributed('trackgen', analytics_private, kpi_protocol_loggers_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_protocol_loggers_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_protocol_loggers_local
AS SELECT
  site_id,
  toMonday(occurred_at, 'UTC') AS period,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_loggers')
  AND actor_tier IN ('practitioner')
GROUP BY site_id, period, network_id
COMMENT 'Folds every inserted block of events into KPI protocol_loggers.';

CREATE OR REPLACE VIEW analytics.kpi_protocol_loggers ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_protocol_loggers
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period
COMMENT 'KPI protocol_loggers for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_protocol_loggers ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_protocol_sessions_logged_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    logging_mode LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, logging_mode, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI protocol_sessions_logged: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_protocol_sessions_logged ON CLUSTER 'trackgen' AS analytics_private.kpi_protocol_sessions_logged_local
ENGINE = Distributed('trackgen', analytics_private, kpi_protocol_sessions_logged_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_protocol_sessions_logged_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_protocol_sessions_logged_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'logging_mode') = 'String', JSONExtractString(payload, 'logging_mode'), JSONType(payload, 'logging_mode') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'logging_mode')) AS logging_mode,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_sessions_logged')
GROUP BY site_id, period, logging_mode, network_id
COMMENT 'Folds every inserted block of events into KPI protocol_sessions_logged.';

CREATE OR REPLACE VIEW analytics.kpi_protocol_sessions_logged ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, logging_mode,
  countMerge(events) AS value
FROM analytics_private.kpi_protocol_sessions_logged
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, logging_mode
COMMENT 'KPI protocol_sessions_logged for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_protocol_sessions_logged ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_screen_load_ms_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    screen LowCardinality(Nullable(String)),
    platform LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String),
    measures AggregateFunction(groupArray, Float64)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, screen, platform, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI screen_load_ms: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_screen_load_ms ON CLUSTER 'trackgen' AS analytics_private.kpi_screen_load_ms_local
ENGINE = Distributed('trackgen', analytics_private, kpi_screen_load_ms_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_screen_load_ms_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_screen_load_ms_local
AS SELECT
  site_id,
  toDate(occurred_at, 'UTC') AS period,
  multiIf(JSONType(payload, 'screen') = 'String', JSONExtractString(payload, 'screen'), JSONType(payload, 'screen') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'screen')) AS screen,
  multiIf(JSONType(payload, 'platform') = 'String', JSONExtractString(payload, 'platform'), JSONType(payload, 'platform') IN ('Null', 'None'), NULL, JSONExtractRaw(payload, 'platform')) AS platform,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors,
  groupArrayState(JSONExtractFloat(payload, 'load_ms')) AS measures
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'screen_load_ms')
  AND JSONType(payload, 'load_ms') IN ('Int64', 'UInt64', 'Double')
GROUP BY site_id, period, screen, platform, network_id
COMMENT 'Folds every inserted block of events into KPI screen_load_ms.';

CREATE OR REPLACE VIEW analytics.kpi_screen_load_ms ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_screen_load_ms ON CLUSTER 'trackgen'
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

CREATE TABLE IF NOT EXISTS analytics_private.kpi_weekly_active_actors_local ON CLUSTER 'trackgen'
(
    site_id UUID,
    period Date,
    tier LowCardinality(Nullable(String)),
    network_id Nullable(UUID),
    events AggregateFunction(count),
    actors AggregateFunction(uniqExact, String)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(period)
ORDER BY (site_id, period, tier, network_id)
SETTINGS allow_nullable_key = 1
COMMENT 'KPI weekly_active_actors: aggregate states per site, period, dimensions and network.';

CREATE TABLE IF NOT EXISTS analytics_private.kpi_weekly_active_actors ON CLUSTER 'trackgen' AS analytics_private.kpi_weekly_active_actors_local
ENGINE = Distributed('trackgen', analytics_private, kpi_weekly_active_actors_local, cityHash64(site_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_weekly_active_actors_mv ON CLUSTER 'trackgen' TO analytics_private.kpi_weekly_active_actors_local
AS SELECT
  site_id,
  toMonday(occurred_at, 'UTC') AS period,
  actor_tier AS tier,
  network_id,
  countState() AS events,
  uniqExactState(actor_hash) AS actors
FROM analytics_private.events_local
WHERE event_id IN (SELECT event_id FROM analytics_private.kpi_event_sets WHERE set_name = 'weekly_active_actors')
GROUP BY site_id, period, tier, network_id
COMMENT 'Folds every inserted block of events into KPI weekly_active_actors.';

CREATE OR REPLACE VIEW analytics.kpi_weekly_active_actors ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT site_id, period, tier,
  uniqExactMerge(actors) AS value
FROM analytics_private.kpi_weekly_active_actors
WHERE site_id = (
    SELECT anyOrNull(r.site_id) FROM analytics_private.readers AS r FINAL
    WHERE r.user_name = currentUser() AND r.tier IN ('clinic', 'network'))
GROUP BY site_id, period, tier
COMMENT 'KPI weekly_active_actors for the caller\'s own site.';

CREATE OR REPLACE VIEW analytics.network_weekly_active_actors ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.kpi_api_server_error_rate ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_api_server_error_rate ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT n.period AS period,
  if((n.suppressed OR d.suppressed), NULL, n.value) AS numerator,
  if((n.suppressed OR d.suppressed), NULL, d.value) AS denominator,
  if((n.suppressed OR d.suppressed) OR d.value = 0, NULL, n.value / d.value) AS value,
  (n.suppressed OR d.suppressed) AS suppressed
FROM analytics.network_api_server_error_count AS n
INNER JOIN analytics.network_api_request_count AS d ON n.period = d.period
COMMENT 'KPI api_server_error_rate across the caller\'s network; hidden where either side is.';

CREATE OR REPLACE VIEW analytics.kpi_clinic_collaboration_adoption ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_clinic_collaboration_adoption ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT n.period AS period,
  if((n.suppressed OR d.suppressed), NULL, n.value) AS numerator,
  if((n.suppressed OR d.suppressed), NULL, d.value) AS denominator,
  if((n.suppressed OR d.suppressed) OR d.value = 0, NULL, n.value / d.value) AS value,
  (n.suppressed OR d.suppressed) AS suppressed
FROM analytics.network_clinic_collaborators AS n
INNER JOIN analytics.network_active_clinic_members AS d ON n.period = d.period
COMMENT 'KPI clinic_collaboration_adoption across the caller\'s network; hidden where either side is.';

CREATE OR REPLACE VIEW analytics.kpi_consumer_feature_adoption ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_consumer_feature_adoption ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT n.period AS period,
  if((n.suppressed OR d.suppressed), NULL, n.value) AS numerator,
  if((n.suppressed OR d.suppressed), NULL, d.value) AS denominator,
  if((n.suppressed OR d.suppressed) OR d.value = 0, NULL, n.value / d.value) AS value,
  (n.suppressed OR d.suppressed) AS suppressed
FROM analytics.network_consumer_feature_users AS n
INNER JOIN analytics.network_consumer_daily_actives AS d ON n.period = d.period
COMMENT 'KPI consumer_feature_adoption across the caller\'s network; hidden where either side is.';

CREATE OR REPLACE VIEW analytics.kpi_error_rate ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_error_rate ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT n.period AS period,
  if((n.suppressed OR d.suppressed), NULL, n.value) AS numerator,
  if((n.suppressed OR d.suppressed), NULL, d.value) AS denominator,
  if((n.suppressed OR d.suppressed) OR d.value = 0, NULL, n.value / d.value) AS value,
  (n.suppressed OR d.suppressed) AS suppressed
FROM analytics.network_error_count AS n
INNER JOIN analytics.network_api_request_count AS d ON n.period = d.period
COMMENT 'KPI error_rate across the caller\'s network; hidden where either side is.';

CREATE OR REPLACE VIEW analytics.kpi_network_analytics_adoption ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_network_analytics_adoption ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT n.period AS period,
  if((n.suppressed OR d.suppressed), NULL, n.value) AS numerator,
  if((n.suppressed OR d.suppressed), NULL, d.value) AS denominator,
  if((n.suppressed OR d.suppressed) OR d.value = 0, NULL, n.value / d.value) AS value,
  (n.suppressed OR d.suppressed) AS suppressed
FROM analytics.network_network_analytics_viewers AS n
INNER JOIN analytics.network_active_network_members AS d ON n.period = d.period
COMMENT 'KPI network_analytics_adoption across the caller\'s network; hidden where either side is.';

CREATE OR REPLACE VIEW analytics.kpi_protocol_logging_adoption ON CLUSTER 'trackgen'
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

CREATE OR REPLACE VIEW analytics.network_protocol_logging_adoption ON CLUSTER 'trackgen'
DEFINER = CURRENT_USER SQL SECURITY DEFINER
AS SELECT n.period AS period,
  if((n.suppressed OR d.suppressed), NULL, n.value) AS numerator,
  if((n.suppressed OR d.suppressed), NULL, d.value) AS denominator,
  if((n.suppressed OR d.suppressed) OR d.value = 0, NULL, n.value / d.value) AS value,
  (n.suppressed OR d.suppressed) AS suppressed
FROM analytics.network_protocol_loggers AS n
INNER JOIN analytics.network_active_practitioners AS d ON n.period = d.period
COMMENT 'KPI protocol_logging_adoption across the caller\'s network; hidden where either side is.';
