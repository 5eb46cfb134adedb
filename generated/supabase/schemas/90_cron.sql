-- pg_cron jobs owned by this schema: one name per job, so re-running updates in place.

-- keep 3 monthly event partitions ready ahead of now
select cron.schedule('analytics_event_partitions', '17 3 * * *', 'select analytics_private.ensure_event_partitions()');

-- forget idempotency keys of events too old to be accepted again
select cron.schedule('analytics_purge_event_keys', '43 3 * * *', 'delete from analytics_private.event_keys where occurred_at < now() - (interval ''7 days'' + interval ''1 day'')');

-- keep 90 days of rejection counters (storage.rejections_retention)
select cron.schedule('analytics_purge_rejections', '29 3 * * *', 'delete from analytics_private.rejections where day < ((now() at time zone ''UTC'') - interval ''90 days'')::date');

-- keep 7 days of run history, for this schema's jobs only
select cron.schedule('analytics_purge_cron_history', '11 4 * * *', 'delete from cron.job_run_details where end_time < now() - interval ''7 days'' and jobid in (select jobid from cron.job where jobname in (''analytics_event_partitions'', ''analytics_purge_cron_history'', ''analytics_purge_event_keys'', ''analytics_purge_rejections'', ''analytics_refresh_active_actors_28d'', ''analytics_refresh_active_actors_7d'', ''analytics_refresh_active_clinic_members'', ''analytics_refresh_active_network_members'', ''analytics_refresh_active_practitioners'', ''analytics_refresh_api_latency_ms'', ''analytics_refresh_api_request_count'', ''analytics_refresh_api_server_error_count'', ''analytics_refresh_clinic_collaborators'', ''analytics_refresh_clinic_team_onboarding'', ''analytics_refresh_consumer_daily_actives'', ''analytics_refresh_consumer_feature_users'', ''analytics_refresh_consumer_feature_users_by_feature'', ''analytics_refresh_daily_active_actors'', ''analytics_refresh_error_count'', ''analytics_refresh_errors_by_code'', ''analytics_refresh_monthly_active_actors'', ''analytics_refresh_monthly_signup_retention'', ''analytics_refresh_network_analytics_viewers'', ''analytics_refresh_protocol_loggers'', ''analytics_refresh_protocol_logging_retention'', ''analytics_refresh_protocol_sessions_logged'', ''analytics_refresh_screen_load_ms'', ''analytics_refresh_trial_activation_to_conversion'', ''analytics_refresh_upgrade_funnel_consumer_to_clinic'', ''analytics_refresh_upgrade_prompt_to_trial'', ''analytics_refresh_weekly_active_actors'', ''analytics_refresh_weekly_signup_retention''))');

-- incremental refresh of KPI "active_clinic_members" (distinct_actors)
select cron.schedule('analytics_refresh_active_clinic_members', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_clinic_members()');

-- incremental refresh of KPI "active_network_members" (distinct_actors)
select cron.schedule('analytics_refresh_active_network_members', '0 * * * *', 'select analytics_private.refresh_kpi_active_network_members()');

-- incremental refresh of KPI "active_practitioners" (distinct_actors)
select cron.schedule('analytics_refresh_active_practitioners', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_practitioners()');

-- incremental refresh of KPI "api_latency_ms" (percentile)
select cron.schedule('analytics_refresh_api_latency_ms', '*/5 * * * *', 'select analytics_private.refresh_kpi_api_latency_ms()');

-- incremental refresh of KPI "api_request_count" (count)
select cron.schedule('analytics_refresh_api_request_count', '* * * * *', 'select analytics_private.refresh_kpi_api_request_count()');

-- incremental refresh of KPI "api_server_error_count" (count)
select cron.schedule('analytics_refresh_api_server_error_count', '* * * * *', 'select analytics_private.refresh_kpi_api_server_error_count()');

-- incremental refresh of KPI "clinic_collaborators" (distinct_actors)
select cron.schedule('analytics_refresh_clinic_collaborators', '*/15 * * * *', 'select analytics_private.refresh_kpi_clinic_collaborators()');

-- incremental refresh of KPI "clinic_team_onboarding" (funnel)
select cron.schedule('analytics_refresh_clinic_team_onboarding', '0 * * * *', 'select analytics_private.refresh_kpi_clinic_team_onboarding()');

-- incremental refresh of KPI "consumer_daily_actives" (distinct_actors)
select cron.schedule('analytics_refresh_consumer_daily_actives', '*/5 * * * *', 'select analytics_private.refresh_kpi_consumer_daily_actives()');

-- incremental refresh of KPI "consumer_feature_users" (distinct_actors)
select cron.schedule('analytics_refresh_consumer_feature_users', '*/5 * * * *', 'select analytics_private.refresh_kpi_consumer_feature_users()');

-- incremental refresh of KPI "consumer_feature_users_by_feature" (distinct_actors)
select cron.schedule('analytics_refresh_consumer_feature_users_by_feature', '*/5 * * * *', 'select analytics_private.refresh_kpi_consumer_feature_users_by_feature()');

-- incremental refresh of KPI "daily_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_daily_active_actors', '*/5 * * * *', 'select analytics_private.refresh_kpi_daily_active_actors()');

-- incremental refresh of KPI "error_count" (count)
select cron.schedule('analytics_refresh_error_count', '* * * * *', 'select analytics_private.refresh_kpi_error_count()');

-- incremental refresh of KPI "errors_by_code" (count)
select cron.schedule('analytics_refresh_errors_by_code', '* * * * *', 'select analytics_private.refresh_kpi_errors_by_code()');

-- incremental refresh of KPI "monthly_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_monthly_active_actors', '0 * * * *', 'select analytics_private.refresh_kpi_monthly_active_actors()');

-- incremental refresh of KPI "monthly_signup_retention" (retention)
select cron.schedule('analytics_refresh_monthly_signup_retention', '0 3 * * *', 'select analytics_private.refresh_kpi_monthly_signup_retention()');

-- incremental refresh of KPI "network_analytics_viewers" (distinct_actors)
select cron.schedule('analytics_refresh_network_analytics_viewers', '0 * * * *', 'select analytics_private.refresh_kpi_network_analytics_viewers()');

-- incremental refresh of KPI "protocol_loggers" (distinct_actors)
select cron.schedule('analytics_refresh_protocol_loggers', '*/15 * * * *', 'select analytics_private.refresh_kpi_protocol_loggers()');

-- incremental refresh of KPI "protocol_logging_retention" (retention)
select cron.schedule('analytics_refresh_protocol_logging_retention', '0 * * * *', 'select analytics_private.refresh_kpi_protocol_logging_retention()');

-- incremental refresh of KPI "protocol_sessions_logged" (count)
select cron.schedule('analytics_refresh_protocol_sessions_logged', '*/5 * * * *', 'select analytics_private.refresh_kpi_protocol_sessions_logged()');

-- incremental refresh of KPI "screen_load_ms" (percentile)
select cron.schedule('analytics_refresh_screen_load_ms', '*/15 * * * *', 'select analytics_private.refresh_kpi_screen_load_ms()');

-- incremental refresh of KPI "trial_activation_to_conversion" (funnel)
select cron.schedule('analytics_refresh_trial_activation_to_conversion', '0 * * * *', 'select analytics_private.refresh_kpi_trial_activation_to_conversion()');

-- incremental refresh of KPI "upgrade_funnel_consumer_to_clinic" (funnel)
select cron.schedule('analytics_refresh_upgrade_funnel_consumer_to_clinic', '0 * * * *', 'select analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic()');

-- incremental refresh of KPI "upgrade_prompt_to_trial" (funnel)
select cron.schedule('analytics_refresh_upgrade_prompt_to_trial', '0 * * * *', 'select analytics_private.refresh_kpi_upgrade_prompt_to_trial()');

-- incremental refresh of KPI "weekly_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_weekly_active_actors', '*/15 * * * *', 'select analytics_private.refresh_kpi_weekly_active_actors()');

-- incremental refresh of KPI "weekly_signup_retention" (retention)
select cron.schedule('analytics_refresh_weekly_signup_retention', '0 * * * *', 'select analytics_private.refresh_kpi_weekly_signup_retention()');

-- incremental refresh of KPI "active_actors_28d" (rolling)
select cron.schedule('analytics_refresh_active_actors_28d', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_actors_28d()');

-- incremental refresh of KPI "active_actors_7d" (rolling)
select cron.schedule('analytics_refresh_active_actors_7d', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_actors_7d()');
