-- pg_cron jobs owned by this schema: one name per job, so re-running updates in place.

-- keep 3 monthly event partitions ready ahead of now
select cron.schedule('analytics_event_partitions', '17 3 * * *', 'select analytics_private.ensure_event_partitions()');

-- forget idempotency keys of events too old to be accepted again
select cron.schedule('analytics_purge_event_keys', '43 3 * * *', 'delete from analytics_private.event_keys where occurred_at < now() - (interval ''7 days'' + interval ''1 day'')');

-- keep 90 days of rejection counters (storage.rejections_retention)
select cron.schedule('analytics_purge_rejections', '29 3 * * *', 'delete from analytics_private.rejections where day < ((now() at time zone ''UTC'') - interval ''90 days'')::date');

-- keep 7 days of run history, for this schema's jobs only
select cron.schedule('analytics_purge_cron_history', '11 4 * * *', 'delete from cron.job_run_details where end_time < now() - interval ''7 days'' and jobid in (select jobid from cron.job where jobname in (''analytics_event_partitions'', ''analytics_purge_cron_history'', ''analytics_purge_event_keys'', ''analytics_purge_rejections'', ''analytics_refresh_active_actors_28d'', ''analytics_refresh_api_latency_ms'', ''analytics_refresh_daily_active_actors'', ''analytics_refresh_live_protocol_sessions'', ''analytics_refresh_upgrade_funnel'', ''analytics_refresh_weekly_active_practitioners'', ''analytics_refresh_weekly_protocol_loggers'', ''analytics_refresh_weekly_retention''))');

-- incremental refresh of KPI "api_latency_ms" (percentile)
select cron.schedule('analytics_refresh_api_latency_ms', '* * * * *', 'select analytics_private.refresh_kpi_api_latency_ms()');

-- incremental refresh of KPI "daily_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_daily_active_actors', '*/5 * * * *', 'select analytics_private.refresh_kpi_daily_active_actors()');

-- incremental refresh of KPI "live_protocol_sessions" (count)
select cron.schedule('analytics_refresh_live_protocol_sessions', '* * * * *', 'select analytics_private.refresh_kpi_live_protocol_sessions()');

-- incremental refresh of KPI "upgrade_funnel" (funnel)
select cron.schedule('analytics_refresh_upgrade_funnel', '* * * * *', 'select analytics_private.refresh_kpi_upgrade_funnel()');

-- incremental refresh of KPI "weekly_active_practitioners" (distinct_actors)
select cron.schedule('analytics_refresh_weekly_active_practitioners', '* * * * *', 'select analytics_private.refresh_kpi_weekly_active_practitioners()');

-- incremental refresh of KPI "weekly_protocol_loggers" (distinct_actors)
select cron.schedule('analytics_refresh_weekly_protocol_loggers', '* * * * *', 'select analytics_private.refresh_kpi_weekly_protocol_loggers()');

-- incremental refresh of KPI "weekly_retention" (retention)
select cron.schedule('analytics_refresh_weekly_retention', '* * * * *', 'select analytics_private.refresh_kpi_weekly_retention()');

-- incremental refresh of KPI "active_actors_28d" (rolling)
select cron.schedule('analytics_refresh_active_actors_28d', '* * * * *', 'select analytics_private.refresh_kpi_active_actors_28d()');
