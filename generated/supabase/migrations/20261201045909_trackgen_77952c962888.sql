-- trackgen migration 20261201045909: events clinic.caseload_handed_off, clinic.member_invited, clinic.member_joined, clinic.member_removed, clinic.member_role_changed, clinic.plan_upgraded, clinic.protocol_shared, clinic.review_completed, clinic.review_requested, clinic.seats_changed, clinic.team_created, clinic.utilization_dashboard_viewed, consumer.appointment_requested, consumer.article_viewed, consumer.checkin_logged, consumer.directory_searched, consumer.exercise_completed, consumer.exercise_started, consumer.feature_used, consumer.goal_set, consumer.progress_chart_viewed, consumer.reminder_scheduled, consumer.upgrade_prompt_viewed, consumer.wearable_connected, network.alert_configured, network.benchmark_compared, network.dashboard_viewed, network.data_sharing_accepted, network.filter_applied, network.report_exported, network.scheduled_report_created, network.suppression_notice_shown, practitioner.availability_published, practitioner.dashboard_viewed, practitioner.home_program_assigned, practitioner.outcome_measure_recorded, practitioner.progress_report_generated, practitioner.protocol_created, practitioner.protocol_edited, practitioner.protocol_logged, practitioner.subscription_cancelled, practitioner.trial_converted, practitioner.trial_expired, practitioner.trial_started, system.api_request_completed, system.credential_reset_completed, system.error_occurred, system.login_failed, system.login_succeeded, system.logout_completed, system.mfa_enrolled, system.offline_sync_completed, system.screen_loaded, system.sign_in_completed, system.signup_completed; KPIs active_actors_28d, active_actors_7d, active_clinic_members, active_network_members, active_practitioners, api_latency_ms, api_request_count, api_server_error_count, api_server_error_rate, clinic_collaboration_adoption, clinic_collaborators, clinic_team_onboarding, consumer_daily_actives, consumer_feature_adoption, consumer_feature_users, consumer_feature_users_by_feature, daily_active_actors, error_count, error_rate, errors_by_code, monthly_active_actors, monthly_signup_retention, network_analytics_adoption, network_analytics_viewers, protocol_loggers, protocol_logging_adoption, protocol_logging_retention, protocol_sessions_logged, screen_load_ms, stickiness_dau_28d, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial, weekly_active_actors, weekly_signup_retention; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';

-- KPI active_actors_28d
drop view if exists analytics.kpi_active_actors_28d;

-- KPI active_actors_7d
drop view if exists analytics.kpi_active_actors_7d;

-- KPI active_clinic_members
drop view if exists analytics.kpi_active_clinic_members;

-- KPI active_network_members
drop view if exists analytics.kpi_active_network_members;

-- KPI active_practitioners
drop view if exists analytics.kpi_active_practitioners;

-- KPI api_latency_ms
drop view if exists analytics.kpi_api_latency_ms;

-- KPI api_request_count
drop view if exists analytics.kpi_api_request_count;

-- KPI api_server_error_count
drop view if exists analytics.kpi_api_server_error_count;

-- KPI api_server_error_rate
drop view if exists analytics.kpi_api_server_error_rate;

-- KPI clinic_collaboration_adoption
drop view if exists analytics.kpi_clinic_collaboration_adoption;

-- KPI clinic_collaborators
drop view if exists analytics.kpi_clinic_collaborators;

-- KPI clinic_team_onboarding
drop view if exists analytics.kpi_clinic_team_onboarding;

-- KPI consumer_daily_actives
drop view if exists analytics.kpi_consumer_daily_actives;

-- KPI consumer_feature_adoption
drop view if exists analytics.kpi_consumer_feature_adoption;

-- KPI consumer_feature_users
drop view if exists analytics.kpi_consumer_feature_users;

-- KPI consumer_feature_users_by_feature
drop view if exists analytics.kpi_consumer_feature_users_by_feature;

-- KPI daily_active_actors
drop view if exists analytics.kpi_daily_active_actors;

-- KPI error_count
drop view if exists analytics.kpi_error_count;

-- KPI error_rate
drop view if exists analytics.kpi_error_rate;

-- KPI errors_by_code
drop view if exists analytics.kpi_errors_by_code;

-- KPI monthly_active_actors
drop view if exists analytics.kpi_monthly_active_actors;

-- KPI monthly_signup_retention
drop view if exists analytics.kpi_monthly_signup_retention;

-- KPI network_analytics_adoption
drop view if exists analytics.kpi_network_analytics_adoption;

-- KPI network_analytics_viewers
drop view if exists analytics.kpi_network_analytics_viewers;

-- KPI protocol_loggers
drop view if exists analytics.kpi_protocol_loggers;

-- KPI protocol_logging_adoption
drop view if exists analytics.kpi_protocol_logging_adoption;

-- KPI protocol_logging_retention
drop view if exists analytics.kpi_protocol_logging_retention;

-- KPI protocol_sessions_logged
drop view if exists analytics.kpi_protocol_sessions_logged;

-- KPI screen_load_ms
drop view if exists analytics.kpi_screen_load_ms;

-- KPI stickiness_dau_28d
drop view if exists analytics.kpi_stickiness_dau_28d;

-- KPI trial_activation_to_conversion
drop view if exists analytics.kpi_trial_activation_to_conversion;

-- KPI upgrade_funnel_consumer_to_clinic
drop view if exists analytics.kpi_upgrade_funnel_consumer_to_clinic;

-- KPI upgrade_prompt_to_trial
drop view if exists analytics.kpi_upgrade_prompt_to_trial;

-- KPI weekly_active_actors
drop view if exists analytics.kpi_weekly_active_actors;

-- KPI weekly_signup_retention
drop view if exists analytics.kpi_weekly_signup_retention;

-- KPI active_actors_28d
drop view if exists analytics.network_active_actors_28d;

-- KPI active_actors_7d
drop view if exists analytics.network_active_actors_7d;

-- KPI active_clinic_members
drop view if exists analytics.network_active_clinic_members;

-- KPI active_network_members
drop view if exists analytics.network_active_network_members;

-- KPI active_practitioners
drop view if exists analytics.network_active_practitioners;

-- KPI api_latency_ms
drop view if exists analytics.network_api_latency_ms;

-- KPI api_request_count
drop view if exists analytics.network_api_request_count;

-- KPI api_server_error_count
drop view if exists analytics.network_api_server_error_count;

-- KPI api_server_error_rate
drop view if exists analytics.network_api_server_error_rate;

-- KPI clinic_collaboration_adoption
drop view if exists analytics.network_clinic_collaboration_adoption;

-- KPI clinic_collaborators
drop view if exists analytics.network_clinic_collaborators;

-- KPI clinic_team_onboarding
drop view if exists analytics.network_clinic_team_onboarding;

-- KPI consumer_daily_actives
drop view if exists analytics.network_consumer_daily_actives;

-- KPI consumer_feature_adoption
drop view if exists analytics.network_consumer_feature_adoption;

-- KPI consumer_feature_users
drop view if exists analytics.network_consumer_feature_users;

-- KPI consumer_feature_users_by_feature
drop view if exists analytics.network_consumer_feature_users_by_feature;

-- KPI daily_active_actors
drop view if exists analytics.network_daily_active_actors;

-- KPI error_count
drop view if exists analytics.network_error_count;

-- KPI error_rate
drop view if exists analytics.network_error_rate;

-- KPI errors_by_code
drop view if exists analytics.network_errors_by_code;

-- KPI monthly_active_actors
drop view if exists analytics.network_monthly_active_actors;

-- KPI monthly_signup_retention
drop view if exists analytics.network_monthly_signup_retention;

-- KPI network_analytics_adoption
drop view if exists analytics.network_network_analytics_adoption;

-- KPI network_analytics_viewers
drop view if exists analytics.network_network_analytics_viewers;

-- KPI protocol_loggers
drop view if exists analytics.network_protocol_loggers;

-- KPI protocol_logging_adoption
drop view if exists analytics.network_protocol_logging_adoption;

-- KPI protocol_logging_retention
drop view if exists analytics.network_protocol_logging_retention;

-- KPI protocol_sessions_logged
drop view if exists analytics.network_protocol_sessions_logged;

-- KPI screen_load_ms
drop view if exists analytics.network_screen_load_ms;

-- KPI stickiness_dau_28d
drop view if exists analytics.network_stickiness_dau_28d;

-- KPI trial_activation_to_conversion
drop view if exists analytics.network_trial_activation_to_conversion;

-- KPI upgrade_funnel_consumer_to_clinic
drop view if exists analytics.network_upgrade_funnel_consumer_to_clinic;

-- KPI upgrade_prompt_to_trial
drop view if exists analytics.network_upgrade_prompt_to_trial;

-- KPI weekly_active_actors
drop view if exists analytics.network_weekly_active_actors;

-- KPI weekly_signup_retention
drop view if exists analytics.network_weekly_signup_retention;

drop function if exists analytics_private.ensure_event_partitions(integer);

drop function if exists analytics_private.is_timestamp(text);

drop function if exists analytics_private.is_date(text);

-- event clinic.caseload_handed_off
drop function if exists analytics_private.check_clinic__caseload_handed_off(jsonb);

-- event clinic.member_invited
drop function if exists analytics_private.check_clinic__member_invited(jsonb);

-- event clinic.member_joined
drop function if exists analytics_private.check_clinic__member_joined(jsonb);

-- event clinic.member_removed
drop function if exists analytics_private.check_clinic__member_removed(jsonb);

-- event clinic.member_role_changed
drop function if exists analytics_private.check_clinic__member_role_changed(jsonb);

-- event clinic.plan_upgraded
drop function if exists analytics_private.check_clinic__plan_upgraded(jsonb);

-- event clinic.protocol_shared
drop function if exists analytics_private.check_clinic__protocol_shared(jsonb);

-- event clinic.review_completed
drop function if exists analytics_private.check_clinic__review_completed(jsonb);

-- event clinic.review_requested
drop function if exists analytics_private.check_clinic__review_requested(jsonb);

-- event clinic.seats_changed
drop function if exists analytics_private.check_clinic__seats_changed(jsonb);

-- event clinic.team_created
drop function if exists analytics_private.check_clinic__team_created(jsonb);

-- event clinic.utilization_dashboard_viewed
drop function if exists analytics_private.check_clinic__utilization_dashboard_viewed(jsonb);

-- event consumer.appointment_requested
drop function if exists analytics_private.check_consumer__appointment_requested(jsonb);

-- event consumer.article_viewed
drop function if exists analytics_private.check_consumer__article_viewed(jsonb);

-- event consumer.checkin_logged
drop function if exists analytics_private.check_consumer__checkin_logged(jsonb);

-- event consumer.directory_searched
drop function if exists analytics_private.check_consumer__directory_searched(jsonb);

-- event consumer.exercise_completed
drop function if exists analytics_private.check_consumer__exercise_completed(jsonb);

-- event consumer.exercise_started
drop function if exists analytics_private.check_consumer__exercise_started(jsonb);

-- event consumer.feature_used
drop function if exists analytics_private.check_consumer__feature_used(jsonb);

-- event consumer.goal_set
drop function if exists analytics_private.check_consumer__goal_set(jsonb);

-- event consumer.progress_chart_viewed
drop function if exists analytics_private.check_consumer__progress_chart_viewed(jsonb);

-- event consumer.reminder_scheduled
drop function if exists analytics_private.check_consumer__reminder_scheduled(jsonb);

-- event consumer.upgrade_prompt_viewed
drop function if exists analytics_private.check_consumer__upgrade_prompt_viewed(jsonb);

-- event consumer.wearable_connected
drop function if exists analytics_private.check_consumer__wearable_connected(jsonb);

-- event network.alert_configured
drop function if exists analytics_private.check_network__alert_configured(jsonb);

-- event network.benchmark_compared
drop function if exists analytics_private.check_network__benchmark_compared(jsonb);

-- event network.dashboard_viewed
drop function if exists analytics_private.check_network__dashboard_viewed(jsonb);

-- event network.data_sharing_accepted
drop function if exists analytics_private.check_network__data_sharing_accepted(jsonb);

-- event network.filter_applied
drop function if exists analytics_private.check_network__filter_applied(jsonb);

-- event network.report_exported
drop function if exists analytics_private.check_network__report_exported(jsonb);

-- event network.scheduled_report_created
drop function if exists analytics_private.check_network__scheduled_report_created(jsonb);

-- event network.suppression_notice_shown
drop function if exists analytics_private.check_network__suppression_notice_shown(jsonb);

-- event practitioner.availability_published
drop function if exists analytics_private.check_practitioner__availability_published(jsonb);

-- event practitioner.dashboard_viewed
drop function if exists analytics_private.check_practitioner__dashboard_viewed(jsonb);

-- event practitioner.home_program_assigned
drop function if exists analytics_private.check_practitioner__home_program_assigned(jsonb);

-- event practitioner.outcome_measure_recorded
drop function if exists analytics_private.check_practitioner__outcome_measure_recorded(jsonb);

-- event practitioner.progress_report_generated
drop function if exists analytics_private.check_practitioner__progress_report_generated(jsonb);

-- event practitioner.protocol_created
drop function if exists analytics_private.check_practitioner__protocol_created(jsonb);

-- event practitioner.protocol_edited
drop function if exists analytics_private.check_practitioner__protocol_edited(jsonb);

-- event practitioner.protocol_logged
drop function if exists analytics_private.check_practitioner__protocol_logged(jsonb);

-- event practitioner.subscription_cancelled
drop function if exists analytics_private.check_practitioner__subscription_cancelled(jsonb);

-- event practitioner.trial_converted
drop function if exists analytics_private.check_practitioner__trial_converted(jsonb);

-- event practitioner.trial_expired
drop function if exists analytics_private.check_practitioner__trial_expired(jsonb);

-- event practitioner.trial_started
drop function if exists analytics_private.check_practitioner__trial_started(jsonb);

-- event system.api_request_completed
drop function if exists analytics_private.check_system__api_request_completed(jsonb);

-- event system.credential_reset_completed
drop function if exists analytics_private.check_system__credential_reset_completed(jsonb);

-- event system.error_occurred
drop function if exists analytics_private.check_system__error_occurred(jsonb);

-- event system.login_failed
drop function if exists analytics_private.check_system__login_failed(jsonb);

-- event system.login_succeeded
drop function if exists analytics_private.check_system__login_succeeded(jsonb);

-- event system.logout_completed
drop function if exists analytics_private.check_system__logout_completed(jsonb);

-- event system.mfa_enrolled
drop function if exists analytics_private.check_system__mfa_enrolled(jsonb);

-- event system.offline_sync_completed
drop function if exists analytics_private.check_system__offline_sync_completed(jsonb);

-- event system.screen_loaded
drop function if exists analytics_private.check_system__screen_loaded(jsonb);

-- event system.sign_in_completed
drop function if exists analytics_private.check_system__sign_in_completed(jsonb);

-- event system.signup_completed
drop function if exists analytics_private.check_system__signup_completed(jsonb);

drop function if exists analytics_private.payload_problem(text, jsonb);

drop function if exists analytics_private.track_events(jsonb);

drop function if exists analytics.track_events(jsonb);

drop function if exists analytics.plan_version();

drop function if exists analytics_private.kpi_caller_site();

drop function if exists analytics_private.kpi_caller_network();

drop function if exists analytics_private.kpi_caller_reads_network();

-- KPI active_clinic_members
drop function if exists analytics_private.refresh_kpi_active_clinic_members();

drop function if exists analytics_private.kpi_active_clinic_members_for_caller();

drop function if exists analytics_private.kpi_active_clinic_members_between(date, date);

drop function if exists analytics_private.network_active_clinic_members_cells();

drop function if exists analytics.kpi_active_clinic_members_between(date, date);

-- KPI active_network_members
drop function if exists analytics_private.refresh_kpi_active_network_members();

drop function if exists analytics_private.kpi_active_network_members_for_caller();

drop function if exists analytics_private.kpi_active_network_members_between(date, date);

drop function if exists analytics_private.network_active_network_members_cells();

drop function if exists analytics.kpi_active_network_members_between(date, date);

-- KPI active_practitioners
drop function if exists analytics_private.refresh_kpi_active_practitioners();

drop function if exists analytics_private.kpi_active_practitioners_for_caller();

drop function if exists analytics_private.kpi_active_practitioners_between(date, date);

drop function if exists analytics_private.network_active_practitioners_cells();

drop function if exists analytics.kpi_active_practitioners_between(date, date);

-- KPI api_latency_ms
drop function if exists analytics_private.refresh_kpi_api_latency_ms();

drop function if exists analytics_private.kpi_api_latency_ms_for_caller();

drop function if exists analytics_private.kpi_api_latency_ms_between(date, date);

drop function if exists analytics_private.network_api_latency_ms_cells();

drop function if exists analytics.kpi_api_latency_ms_between(date, date);

-- KPI api_request_count
drop function if exists analytics_private.refresh_kpi_api_request_count();

drop function if exists analytics_private.kpi_api_request_count_for_caller();

drop function if exists analytics_private.kpi_api_request_count_between(date, date);

drop function if exists analytics_private.network_api_request_count_cells();

drop function if exists analytics.kpi_api_request_count_between(date, date);

-- KPI api_server_error_count
drop function if exists analytics_private.refresh_kpi_api_server_error_count();

drop function if exists analytics_private.kpi_api_server_error_count_for_caller();

drop function if exists analytics_private.kpi_api_server_error_count_between(date, date);

drop function if exists analytics_private.network_api_server_error_count_cells();

drop function if exists analytics.kpi_api_server_error_count_between(date, date);

-- KPI clinic_collaborators
drop function if exists analytics_private.refresh_kpi_clinic_collaborators();

drop function if exists analytics_private.kpi_clinic_collaborators_for_caller();

drop function if exists analytics_private.kpi_clinic_collaborators_between(date, date);

drop function if exists analytics_private.network_clinic_collaborators_cells();

drop function if exists analytics.kpi_clinic_collaborators_between(date, date);

-- KPI clinic_team_onboarding
drop function if exists analytics_private.refresh_kpi_clinic_team_onboarding();

drop function if exists analytics_private.kpi_clinic_team_onboarding_for_caller();

drop function if exists analytics_private.kpi_clinic_team_onboarding_between(date, date);

drop function if exists analytics_private.network_clinic_team_onboarding_cells();

drop function if exists analytics.kpi_clinic_team_onboarding_between(date, date);

-- KPI consumer_daily_actives
drop function if exists analytics_private.refresh_kpi_consumer_daily_actives();

drop function if exists analytics_private.kpi_consumer_daily_actives_for_caller();

drop function if exists analytics_private.kpi_consumer_daily_actives_between(date, date);

drop function if exists analytics_private.network_consumer_daily_actives_cells();

drop function if exists analytics.kpi_consumer_daily_actives_between(date, date);

-- KPI consumer_feature_users
drop function if exists analytics_private.refresh_kpi_consumer_feature_users();

drop function if exists analytics_private.kpi_consumer_feature_users_for_caller();

drop function if exists analytics_private.kpi_consumer_feature_users_between(date, date);

drop function if exists analytics_private.network_consumer_feature_users_cells();

drop function if exists analytics.kpi_consumer_feature_users_between(date, date);

-- KPI consumer_feature_users_by_feature
drop function if exists analytics_private.refresh_kpi_consumer_feature_users_by_feature();

drop function if exists analytics_private.kpi_consumer_feature_users_by_feature_for_caller();

drop function if exists analytics_private.kpi_consumer_feature_users_by_feature_between(date, date);

drop function if exists analytics_private.network_consumer_feature_users_by_feature_cells();

drop function if exists analytics.kpi_consumer_feature_users_by_feature_between(date, date);

-- KPI daily_active_actors
drop function if exists analytics_private.refresh_kpi_daily_active_actors();

drop function if exists analytics_private.kpi_daily_active_actors_for_caller();

drop function if exists analytics_private.kpi_daily_active_actors_between(date, date);

drop function if exists analytics_private.network_daily_active_actors_cells();

drop function if exists analytics.kpi_daily_active_actors_between(date, date);

-- KPI error_count
drop function if exists analytics_private.refresh_kpi_error_count();

drop function if exists analytics_private.kpi_error_count_for_caller();

drop function if exists analytics_private.kpi_error_count_between(date, date);

drop function if exists analytics_private.network_error_count_cells();

drop function if exists analytics.kpi_error_count_between(date, date);

-- KPI errors_by_code
drop function if exists analytics_private.refresh_kpi_errors_by_code();

drop function if exists analytics_private.kpi_errors_by_code_for_caller();

drop function if exists analytics_private.kpi_errors_by_code_between(date, date);

drop function if exists analytics_private.network_errors_by_code_cells();

drop function if exists analytics.kpi_errors_by_code_between(date, date);

-- KPI monthly_active_actors
drop function if exists analytics_private.refresh_kpi_monthly_active_actors();

drop function if exists analytics_private.kpi_monthly_active_actors_for_caller();

drop function if exists analytics_private.kpi_monthly_active_actors_between(date, date);

drop function if exists analytics_private.network_monthly_active_actors_cells();

drop function if exists analytics.kpi_monthly_active_actors_between(date, date);

-- KPI monthly_signup_retention
drop function if exists analytics_private.refresh_kpi_monthly_signup_retention();

drop function if exists analytics_private.kpi_monthly_signup_retention_for_caller();

drop function if exists analytics_private.kpi_monthly_signup_retention_between(date, date);

drop function if exists analytics_private.network_monthly_signup_retention_cells();

drop function if exists analytics.kpi_monthly_signup_retention_between(date, date);

-- KPI network_analytics_viewers
drop function if exists analytics_private.refresh_kpi_network_analytics_viewers();

drop function if exists analytics_private.kpi_network_analytics_viewers_for_caller();

drop function if exists analytics_private.kpi_network_analytics_viewers_between(date, date);

drop function if exists analytics_private.network_network_analytics_viewers_cells();

drop function if exists analytics.kpi_network_analytics_viewers_between(date, date);

-- KPI protocol_loggers
drop function if exists analytics_private.refresh_kpi_protocol_loggers();

drop function if exists analytics_private.kpi_protocol_loggers_for_caller();

drop function if exists analytics_private.kpi_protocol_loggers_between(date, date);

drop function if exists analytics_private.network_protocol_loggers_cells();

drop function if exists analytics.kpi_protocol_loggers_between(date, date);

-- KPI protocol_logging_retention
drop function if exists analytics_private.refresh_kpi_protocol_logging_retention();

drop function if exists analytics_private.kpi_protocol_logging_retention_for_caller();

drop function if exists analytics_private.kpi_protocol_logging_retention_between(date, date);

drop function if exists analytics_private.network_protocol_logging_retention_cells();

drop function if exists analytics.kpi_protocol_logging_retention_between(date, date);

-- KPI protocol_sessions_logged
drop function if exists analytics_private.refresh_kpi_protocol_sessions_logged();

drop function if exists analytics_private.kpi_protocol_sessions_logged_for_caller();

drop function if exists analytics_private.kpi_protocol_sessions_logged_between(date, date);

drop function if exists analytics_private.network_protocol_sessions_logged_cells();

drop function if exists analytics.kpi_protocol_sessions_logged_between(date, date);

-- KPI screen_load_ms
drop function if exists analytics_private.refresh_kpi_screen_load_ms();

drop function if exists analytics_private.kpi_screen_load_ms_for_caller();

drop function if exists analytics_private.kpi_screen_load_ms_between(date, date);

drop function if exists analytics_private.network_screen_load_ms_cells();

drop function if exists analytics.kpi_screen_load_ms_between(date, date);

-- KPI trial_activation_to_conversion
drop function if exists analytics_private.refresh_kpi_trial_activation_to_conversion();

drop function if exists analytics_private.kpi_trial_activation_to_conversion_for_caller();

drop function if exists analytics_private.kpi_trial_activation_to_conversion_between(date, date);

drop function if exists analytics_private.network_trial_activation_to_conversion_cells();

drop function if exists analytics.kpi_trial_activation_to_conversion_between(date, date);

-- KPI upgrade_funnel_consumer_to_clinic
drop function if exists analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic();

drop function if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_for_caller();

drop function if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between(date, date);

drop function if exists analytics_private.network_upgrade_funnel_consumer_to_clinic_cells();

drop function if exists analytics.kpi_upgrade_funnel_consumer_to_clinic_between(date, date);

-- KPI upgrade_prompt_to_trial
drop function if exists analytics_private.refresh_kpi_upgrade_prompt_to_trial();

drop function if exists analytics_private.kpi_upgrade_prompt_to_trial_for_caller();

drop function if exists analytics_private.kpi_upgrade_prompt_to_trial_between(date, date);

drop function if exists analytics_private.network_upgrade_prompt_to_trial_cells();

drop function if exists analytics.kpi_upgrade_prompt_to_trial_between(date, date);

-- KPI weekly_active_actors
drop function if exists analytics_private.refresh_kpi_weekly_active_actors();

drop function if exists analytics_private.kpi_weekly_active_actors_for_caller();

drop function if exists analytics_private.kpi_weekly_active_actors_between(date, date);

drop function if exists analytics_private.network_weekly_active_actors_cells();

drop function if exists analytics.kpi_weekly_active_actors_between(date, date);

-- KPI weekly_signup_retention
drop function if exists analytics_private.refresh_kpi_weekly_signup_retention();

drop function if exists analytics_private.kpi_weekly_signup_retention_for_caller();

drop function if exists analytics_private.kpi_weekly_signup_retention_between(date, date);

drop function if exists analytics_private.network_weekly_signup_retention_cells();

drop function if exists analytics.kpi_weekly_signup_retention_between(date, date);

-- KPI active_actors_28d
drop function if exists analytics_private.refresh_kpi_active_actors_28d();

drop function if exists analytics_private.kpi_active_actors_28d_for_caller();

drop function if exists analytics_private.kpi_active_actors_28d_between(date, date);

drop function if exists analytics_private.network_active_actors_28d_cells();

drop function if exists analytics.kpi_active_actors_28d_between(date, date);

-- KPI active_actors_7d
drop function if exists analytics_private.refresh_kpi_active_actors_7d();

drop function if exists analytics_private.kpi_active_actors_7d_for_caller();

drop function if exists analytics_private.kpi_active_actors_7d_between(date, date);

drop function if exists analytics_private.network_active_actors_7d_cells();

drop function if exists analytics.kpi_active_actors_7d_between(date, date);

-- KPI api_server_error_rate
drop function if exists analytics.kpi_api_server_error_rate_between(date, date);

-- KPI clinic_collaboration_adoption
drop function if exists analytics.kpi_clinic_collaboration_adoption_between(date, date);

-- KPI consumer_feature_adoption
drop function if exists analytics.kpi_consumer_feature_adoption_between(date, date);

-- KPI error_rate
drop function if exists analytics.kpi_error_rate_between(date, date);

-- KPI network_analytics_adoption
drop function if exists analytics.kpi_network_analytics_adoption_between(date, date);

-- KPI protocol_logging_adoption
drop function if exists analytics.kpi_protocol_logging_adoption_between(date, date);

-- KPI stickiness_dau_28d
drop function if exists analytics.kpi_stickiness_dau_28d_between(date, date);

drop function if exists analytics_private.kpi_funnel_depth(smallint[], timestamptz[], integer, integer, interval, text);

-- KPI active_actors_28d
drop table if exists analytics_private.kpi_active_actors_28d;

drop table if exists analytics_private.kpi_active_actors_28d_net;

-- KPI active_actors_7d
drop table if exists analytics_private.kpi_active_actors_7d;

drop table if exists analytics_private.kpi_active_actors_7d_net;

-- KPI active_clinic_members
drop table if exists analytics_private.kpi_active_clinic_members;

drop table if exists analytics_private.kpi_active_clinic_members_facts;

drop table if exists analytics_private.kpi_active_clinic_members_net;

-- KPI active_network_members
drop table if exists analytics_private.kpi_active_network_members;

drop table if exists analytics_private.kpi_active_network_members_facts;

drop table if exists analytics_private.kpi_active_network_members_net;

-- KPI active_practitioners
drop table if exists analytics_private.kpi_active_practitioners;

drop table if exists analytics_private.kpi_active_practitioners_facts;

drop table if exists analytics_private.kpi_active_practitioners_net;

-- KPI api_latency_ms
drop table if exists analytics_private.kpi_api_latency_ms;

drop table if exists analytics_private.kpi_api_latency_ms_net;

drop table if exists analytics_private.kpi_api_latency_ms_values;

-- KPI api_request_count
drop table if exists analytics_private.kpi_api_request_count;

drop table if exists analytics_private.kpi_api_request_count_facts;

drop table if exists analytics_private.kpi_api_request_count_net;

-- KPI api_server_error_count
drop table if exists analytics_private.kpi_api_server_error_count;

drop table if exists analytics_private.kpi_api_server_error_count_facts;

drop table if exists analytics_private.kpi_api_server_error_count_net;

-- KPI clinic_collaborators
drop table if exists analytics_private.kpi_clinic_collaborators;

drop table if exists analytics_private.kpi_clinic_collaborators_facts;

drop table if exists analytics_private.kpi_clinic_collaborators_net;

-- KPI clinic_team_onboarding
drop table if exists analytics_private.kpi_clinic_team_onboarding;

drop table if exists analytics_private.kpi_clinic_team_onboarding_actors;

drop table if exists analytics_private.kpi_clinic_team_onboarding_net;

drop table if exists analytics_private.kpi_clinic_team_onboarding_steps;

-- KPI consumer_daily_actives
drop table if exists analytics_private.kpi_consumer_daily_actives;

drop table if exists analytics_private.kpi_consumer_daily_actives_facts;

drop table if exists analytics_private.kpi_consumer_daily_actives_net;

-- KPI consumer_feature_users
drop table if exists analytics_private.kpi_consumer_feature_users;

-- KPI consumer_feature_users_by_feature
drop table if exists analytics_private.kpi_consumer_feature_users_by_feature;

drop table if exists analytics_private.kpi_consumer_feature_users_by_feature_facts;

drop table if exists analytics_private.kpi_consumer_feature_users_by_feature_net;

-- KPI consumer_feature_users
drop table if exists analytics_private.kpi_consumer_feature_users_facts;

drop table if exists analytics_private.kpi_consumer_feature_users_net;

-- KPI daily_active_actors
drop table if exists analytics_private.kpi_daily_active_actors;

drop table if exists analytics_private.kpi_daily_active_actors_facts;

drop table if exists analytics_private.kpi_daily_active_actors_net;

-- KPI error_count
drop table if exists analytics_private.kpi_error_count;

drop table if exists analytics_private.kpi_error_count_facts;

drop table if exists analytics_private.kpi_error_count_net;

-- KPI errors_by_code
drop table if exists analytics_private.kpi_errors_by_code;

drop table if exists analytics_private.kpi_errors_by_code_facts;

drop table if exists analytics_private.kpi_errors_by_code_net;

-- KPI monthly_active_actors
drop table if exists analytics_private.kpi_monthly_active_actors;

drop table if exists analytics_private.kpi_monthly_active_actors_facts;

drop table if exists analytics_private.kpi_monthly_active_actors_net;

-- KPI monthly_signup_retention
drop table if exists analytics_private.kpi_monthly_signup_retention;

drop table if exists analytics_private.kpi_monthly_signup_retention_active;

drop table if exists analytics_private.kpi_monthly_signup_retention_cohorts;

drop table if exists analytics_private.kpi_monthly_signup_retention_net;

-- KPI network_analytics_viewers
drop table if exists analytics_private.kpi_network_analytics_viewers;

drop table if exists analytics_private.kpi_network_analytics_viewers_facts;

drop table if exists analytics_private.kpi_network_analytics_viewers_net;

-- KPI protocol_loggers
drop table if exists analytics_private.kpi_protocol_loggers;

drop table if exists analytics_private.kpi_protocol_loggers_facts;

drop table if exists analytics_private.kpi_protocol_loggers_net;

-- KPI protocol_logging_retention
drop table if exists analytics_private.kpi_protocol_logging_retention;

drop table if exists analytics_private.kpi_protocol_logging_retention_active;

drop table if exists analytics_private.kpi_protocol_logging_retention_cohorts;

drop table if exists analytics_private.kpi_protocol_logging_retention_net;

-- KPI protocol_sessions_logged
drop table if exists analytics_private.kpi_protocol_sessions_logged;

drop table if exists analytics_private.kpi_protocol_sessions_logged_facts;

drop table if exists analytics_private.kpi_protocol_sessions_logged_net;

-- KPI screen_load_ms
drop table if exists analytics_private.kpi_screen_load_ms;

drop table if exists analytics_private.kpi_screen_load_ms_net;

drop table if exists analytics_private.kpi_screen_load_ms_values;

-- KPI trial_activation_to_conversion
drop table if exists analytics_private.kpi_trial_activation_to_conversion;

drop table if exists analytics_private.kpi_trial_activation_to_conversion_actors;

drop table if exists analytics_private.kpi_trial_activation_to_conversion_net;

drop table if exists analytics_private.kpi_trial_activation_to_conversion_steps;

-- KPI upgrade_funnel_consumer_to_clinic
drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic;

drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;

drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net;

drop table if exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;

-- KPI upgrade_prompt_to_trial
drop table if exists analytics_private.kpi_upgrade_prompt_to_trial;

drop table if exists analytics_private.kpi_upgrade_prompt_to_trial_actors;

drop table if exists analytics_private.kpi_upgrade_prompt_to_trial_net;

drop table if exists analytics_private.kpi_upgrade_prompt_to_trial_steps;

-- KPI weekly_active_actors
drop table if exists analytics_private.kpi_weekly_active_actors;

drop table if exists analytics_private.kpi_weekly_active_actors_facts;

drop table if exists analytics_private.kpi_weekly_active_actors_net;

-- KPI weekly_signup_retention
drop table if exists analytics_private.kpi_weekly_signup_retention;

drop table if exists analytics_private.kpi_weekly_signup_retention_active;

drop table if exists analytics_private.kpi_weekly_signup_retention_cohorts;

drop table if exists analytics_private.kpi_weekly_signup_retention_net;

create extension if not exists pgcrypto with schema extensions;

create extension if not exists pg_cron;

create schema if not exists analytics;
comment on schema analytics is 'clinical-platform: analytics exposed to the API (views, RPC)';
revoke all on schema analytics from public;
grant usage on schema analytics to anon, authenticated, service_role;

create schema if not exists analytics_private;
comment on schema analytics_private is 'clinical-platform: analytics storage and definer code; never granted to API roles';
revoke all on schema analytics_private from public;
grant usage on schema analytics_private to authenticated, service_role;

-- nothing created here later is reachable by default: every grant is explicit
do $defaults$
begin
  alter default privileges in schema analytics, analytics_private revoke all on tables from public, anon, authenticated;
  alter default privileges in schema analytics, analytics_private revoke all on sequences from public, anon, authenticated;
  alter default privileges in schema analytics, analytics_private revoke all on functions from public, anon, authenticated;
  if exists (select from pg_catalog.pg_roles as r
             where r.rolname = 'postgres' and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')) then
    alter default privileges for role postgres in schema analytics, analytics_private revoke all on tables from public, anon, authenticated;
    alter default privileges for role postgres in schema analytics, analytics_private revoke all on sequences from public, anon, authenticated;
    alter default privileges for role postgres in schema analytics, analytics_private revoke all on functions from public, anon, authenticated;
  end if;
  if exists (select from pg_catalog.pg_roles as r
             where r.rolname = 'supabase_admin' and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')) then
    alter default privileges for role supabase_admin in schema analytics, analytics_private revoke all on tables from public, anon, authenticated;
    alter default privileges for role supabase_admin in schema analytics, analytics_private revoke all on sequences from public, anon, authenticated;
    alter default privileges for role supabase_admin in schema analytics, analytics_private revoke all on functions from public, anon, authenticated;
  end if;
end
$defaults$;

comment on table analytics.tiers is 'Caller tiers, lowest rank first; system events are accepted from any tier.';

alter table analytics.tiers enable row level security;
revoke all on analytics.tiers from public, anon, authenticated;
grant select on analytics.tiers to anon, authenticated;
grant all on analytics.tiers to service_role;

comment on table analytics.event_types is 'Controlled event ids; events reference this table. Never deleted, only deprecated.';

alter table analytics.event_types enable row level security;
revoke all on analytics.event_types from public, anon, authenticated;
grant select on analytics.event_types to anon, authenticated;
grant all on analytics.event_types to service_role;

insert into analytics.tiers (name, rank, is_system, description) values
  ('consumer', 1, false, 'Free plan. Self-care tools anyone can use at no cost: check-ins, the exercise library, education content, reminders, goals, progress charts, the practitioner directory and wearable sync.'),
  ('practitioner', 2, false, 'Pro plan for an individual practitioner: protocol authoring and protocol logging, home programs, outcome measures, progress reports and online availability.'),
  ('clinic', 3, false, 'Clinic plan for a team sharing one site: seats and roles, shared protocols, caseload handoffs, peer review and utilisation dashboards.'),
  ('network', 4, false, 'Network plan for a group of clinics: read access to aggregate, k-anonymised analytics and benchmarks across the network''s sites.'),
  ('system', 5, true, 'Platform events accepted from a caller of any tier: authentication, client and server errors, and performance measurements.')
on conflict (name) do update
  set rank = excluded.rank, is_system = excluded.is_system, description = excluded.description;

-- event clinic.caseload_handed_off
insert into analytics.event_types (id, tier, description, owner, status, schema_version, replaced_by, payload_schema) values
  ('clinic.caseload_handed_off', 'clinic', 'Active programs were handed from one practitioner to a colleague in the clinic.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.caseload_handed_off:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"Active programs were handed from one practitioner to a colleague in the clinic.","examples":[{"handoff_reason":"leave_cover","programs_transferred":18,"temporary":true}],"properties":{"handoff_reason":{"description":"Why the caseload was handed off.","enum":["leave_cover","specialty_referral","workload_balancing","departure"],"type":"string"},"programs_transferred":{"description":"Number of active programs moved in this handoff.","maximum":500,"minimum":1,"type":"integer"},"temporary":{"description":"True when the programs return to the original practitioner at a set date.","type":"boolean"}},"required":["handoff_reason","programs_transferred","temporary"],"title":"clinic.caseload_handed_off","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.member_invited', 'clinic', 'A colleague was invited to join the clinic workspace with a role.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.member_invited:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A colleague was invited to join the clinic workspace with a role.","examples":[{"invite_channel":"invite_link","invited_role":"practitioner","pending_invites":1}],"properties":{"invite_channel":{"description":"How the invitation was issued.","enum":["invite_link","bulk_upload","directory_sync"],"type":"string"},"invited_role":{"description":"Role the invitation grants.","enum":["admin","practitioner","front_desk","billing_staff","read_only"],"type":"string"},"pending_invites":{"description":"Invitations still unanswered for the site after this one, capped at 1000.","maximum":1000,"minimum":0,"type":"integer"}},"required":["invite_channel","invited_role","pending_invites"],"title":"clinic.member_invited","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.member_joined', 'clinic', 'An invited colleague accepted the invitation and joined the clinic workspace.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.member_joined:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An invited colleague accepted the invitation and joined the clinic workspace.","examples":[{"days_since_invite":1,"join_method":"invite_link","role":"front_desk"}],"properties":{"days_since_invite":{"description":"Whole days between invitation and acceptance.","maximum":90,"minimum":0,"type":"integer"},"join_method":{"description":"How the invitation was accepted.","enum":["invite_link","single_sign_on","directory_sync"],"type":"string"},"role":{"description":"Role held on joining.","enum":["admin","practitioner","front_desk","billing_staff","read_only"],"type":"string"}},"required":["days_since_invite","join_method","role"],"title":"clinic.member_joined","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.member_removed', 'clinic', 'A clinic admin removed a member from the clinic workspace.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.member_removed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A clinic admin removed a member from the clinic workspace.","examples":[{"removal_reason":"seat_reduction","removed_role":"read_only"}],"properties":{"removal_reason":{"description":"Reason picked from the fixed list in the removal dialog.","enum":["left_clinic","seat_reduction","role_consolidation","security_review","other"],"type":"string"},"removed_role":{"description":"Role the removed member held.","enum":["admin","practitioner","front_desk","billing_staff","read_only"],"type":"string"}},"required":["removal_reason","removed_role"],"title":"clinic.member_removed","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.member_role_changed', 'clinic', 'A clinic admin changed the role of a workspace member.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.member_role_changed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A clinic admin changed the role of a workspace member.","examples":[{"new_role":"admin","previous_role":"practitioner"}],"properties":{"new_role":{"description":"Role after the change.","enum":["admin","practitioner","front_desk","billing_staff","read_only"],"type":"string"},"previous_role":{"description":"Role before the change.","enum":["admin","practitioner","front_desk","billing_staff","read_only"],"type":"string"}},"required":["new_role","previous_role"],"title":"clinic.member_role_changed","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.plan_upgraded', 'clinic', 'The site moved onto the clinic plan. Sent once the caller''s session carries the clinic tier, so the previous plan is a payload value.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.plan_upgraded:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"The site moved onto the clinic plan. Sent once the caller''s session carries the clinic tier, so the previous plan is a payload value.","examples":[{"billing_interval":"annual","previous_tier":"practitioner","sales_assisted":false,"seat_count":5}],"properties":{"billing_interval":{"description":"Billing interval of the clinic plan.","enum":["monthly","annual"],"type":"string"},"previous_tier":{"description":"Plan the site was on before the upgrade.","enum":["consumer","practitioner"],"type":"string"},"sales_assisted":{"description":"True when the upgrade was closed by the sales team rather than self-serve.","type":"boolean"},"seat_count":{"description":"Paid seats on the new clinic plan.","maximum":500,"minimum":2,"type":"integer"}},"required":["billing_interval","previous_tier","sales_assisted","seat_count"],"title":"clinic.plan_upgraded","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.protocol_shared', 'clinic', 'A protocol template was shared with colleagues in the clinic workspace.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.protocol_shared:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A protocol template was shared with colleagues in the clinic workspace.","examples":[{"permission":"use","protocol_category":"musculoskeletal","share_scope":"whole_clinic"}],"properties":{"permission":{"description":"What recipients may do with the shared protocol.","enum":["view","use","edit"],"type":"string"},"protocol_category":{"description":"Clinical area of the shared protocol.","enum":["musculoskeletal","neurological","post_surgical","sports_rehab","persistent_pain","pelvic_health","cardiopulmonary","vestibular"],"type":"string"},"share_scope":{"description":"Who the protocol was shared with.","enum":["whole_clinic","team","single_colleague"],"type":"string"}},"required":["permission","protocol_category","share_scope"],"title":"clinic.protocol_shared","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.review_completed', 'clinic', 'A requested review was completed by the reviewing colleague.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.review_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A requested review was completed by the reviewing colleague.","examples":[{"decision":"approved","review_kind":"report_signoff","turnaround_hours":6},{"decision":"changes_requested","review_kind":"protocol_review","turnaround_hours":49}],"properties":{"decision":{"description":"Outcome of the review.","enum":["approved","changes_requested"],"type":"string"},"review_kind":{"description":"What was reviewed.","enum":["protocol_review","session_log_review","report_signoff","supervision"],"type":"string"},"turnaround_hours":{"description":"Whole hours from request to completion.","maximum":720,"minimum":0,"type":"integer"}},"required":["decision","review_kind","turnaround_hours"],"title":"clinic.review_completed","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.review_requested', 'clinic', 'A colleague''s review was requested on a protocol, a logged session or a report.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.review_requested:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A colleague''s review was requested on a protocol, a logged session or a report.","examples":[{"review_kind":"report_signoff","urgency":"routine"}],"properties":{"review_kind":{"description":"What is to be reviewed.","enum":["protocol_review","session_log_review","report_signoff","supervision"],"type":"string"},"urgency":{"description":"Urgency chosen by the requester.","enum":["routine","priority"],"type":"string"}},"required":["review_kind","urgency"],"title":"clinic.review_requested","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.seats_changed', 'clinic', 'The number of paid seats on the clinic plan was increased or reduced.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.seats_changed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"The number of paid seats on the clinic plan was increased or reduced.","examples":[{"direction":"added","seat_delta":2,"seat_total":7}],"properties":{"direction":{"description":"Whether seats were added or removed.","enum":["added","removed"],"type":"string"},"seat_delta":{"description":"Number of seats added or removed (always positive).","maximum":500,"minimum":1,"type":"integer"},"seat_total":{"description":"Paid seats after the change.","maximum":1000,"minimum":1,"type":"integer"}},"required":["direction","seat_delta","seat_total"],"title":"clinic.seats_changed","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.team_created', 'clinic', 'A team (a named group of workspace members) was created inside the clinic workspace.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.team_created:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A team (a named group of workspace members) was created inside the clinic workspace.","examples":[{"team_purpose":"supervision_group","team_size":4}],"properties":{"team_purpose":{"description":"What the team is organised around.","enum":["specialty_group","shift_group","project_group","supervision_group"],"type":"string"},"team_size":{"description":"Members in the team when it was created.","maximum":200,"minimum":1,"type":"integer"}},"required":["team_purpose","team_size"],"title":"clinic.team_created","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('clinic.utilization_dashboard_viewed', 'clinic', 'The clinic utilisation dashboard (site-scoped KPIs) was opened or switched section.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:clinic.utilization_dashboard_viewed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"The clinic utilisation dashboard (site-scoped KPIs) was opened or switched section.","examples":[{"dashboard_section":"protocol_mix","date_range":"past_30_days"}],"properties":{"dashboard_section":{"description":"Dashboard section shown.","enum":["capacity","home_program_adherence","protocol_mix","staff_activity","outcomes"],"type":"string"},"date_range":{"description":"Time range selected.","enum":["past_7_days","past_30_days","past_90_days","past_12_months"],"type":"string"}},"required":["dashboard_section","date_range"],"title":"clinic.utilization_dashboard_viewed","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('consumer.appointment_requested', 'consumer', 'An appointment request was sent to a practitioner found in the directory.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.appointment_requested:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An appointment request was sent to a practitioner found in the directory.","examples":[{"appointment_kind":"initial_assessment","lead_time_days":3}],"properties":{"appointment_kind":{"description":"Kind of appointment requested.","enum":["initial_assessment","follow_up","telehealth_consult"],"type":"string"},"lead_time_days":{"description":"Days between the request and the requested slot.","maximum":365,"minimum":0,"type":"integer"}},"required":["appointment_kind","lead_time_days"],"title":"consumer.appointment_requested","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.article_viewed', 'consumer', 'An education hub item (article, video or infographic) was opened.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.article_viewed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An education hub item (article, video or infographic) was opened.","examples":[{"content_format":"article","scroll_depth_percent":80,"topic":"sleep"},{"content_format":"video","topic":"movement"}],"properties":{"content_format":{"description":"Format of the content item.","enum":["article","video","infographic"],"type":"string"},"scroll_depth_percent":{"description":"Deepest scroll (or playback) position reached, 0 to 100.","maximum":100,"minimum":0,"type":"integer"},"topic":{"description":"Editorial topic of the content item.","enum":["pain_management","sleep","nutrition","movement","stress","recovery","living_with_long_term_pain"],"type":"string"}},"required":["content_format","topic"],"title":"consumer.article_viewed","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.checkin_logged', 'consumer', 'A self check-in was saved in the check-in tracker. Only the shape of the check-in is tracked, never the values entered.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.checkin_logged:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A self check-in was saved in the check-in tracker. Only the shape of the check-in is tracked, never the values entered.","examples":[{"checkin_kind":"quick","from_reminder":true,"metrics_logged":2},{"checkin_kind":"detailed","from_reminder":false,"metrics_logged":9}],"properties":{"checkin_kind":{"description":"Quick one-tap check-in or the detailed multi-question form.","enum":["quick","detailed"],"type":"string"},"from_reminder":{"description":"True when the check-in was started from a scheduled reminder.","type":"boolean"},"metrics_logged":{"description":"Number of tracked metrics filled in on this check-in.","maximum":20,"minimum":1,"type":"integer"}},"required":["checkin_kind","from_reminder","metrics_logged"],"title":"consumer.checkin_logged","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.directory_searched', 'consumer', 'The practitioner directory was searched with structured filters (no typed search terms are collected).', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.directory_searched:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"The practitioner directory was searched with structured filters (no typed search terms are collected).","examples":[{"results_count":37,"specialty_filter":"physiotherapy","visit_mode_filter":"telehealth"},{"results_count":500,"specialty_filter":"any","visit_mode_filter":"any"}],"properties":{"results_count":{"description":"Number of directory results returned, capped at 500.","maximum":500,"minimum":0,"type":"integer"},"specialty_filter":{"description":"Specialty filter applied, or any when none was chosen.","enum":["any","physiotherapy","occupational_therapy","chiropractic","osteopathy","sports_medicine","dietetics","psychology"],"type":"string"},"visit_mode_filter":{"description":"Whether in-person, telehealth or both kinds of visit were requested.","enum":["any","on_site","telehealth"],"type":"string"}},"required":["results_count","specialty_filter","visit_mode_filter"],"title":"consumer.directory_searched","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.exercise_completed', 'consumer', 'A guided exercise was finished or left after it had been started.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.exercise_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A guided exercise was finished or left after it had been started.","examples":[{"completion_percent":100,"duration_seconds":420,"exercise_category":"balance"},{"completion_percent":30,"duration_seconds":95,"exercise_category":"strength"}],"properties":{"completion_percent":{"description":"Share of the guided steps completed, 0 to 100.","maximum":100,"minimum":0,"type":"integer"},"duration_seconds":{"description":"Time spent in the exercise player, in seconds.","maximum":7200,"minimum":0,"type":"integer"},"exercise_category":{"description":"Library category of the exercise.","enum":["mobility","strength","balance","breathing","stretching","relaxation"],"type":"string"}},"required":["completion_percent","duration_seconds","exercise_category"],"title":"consumer.exercise_completed","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.exercise_started', 'consumer', 'A guided exercise from the free exercise library was started.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.exercise_started:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A guided exercise from the free exercise library was started.","examples":[{"difficulty":"beginner","exercise_category":"mobility","source":"recommendation"}],"properties":{"difficulty":{"description":"Difficulty level of the exercise as labelled in the library.","enum":["beginner","intermediate","advanced"],"type":"string"},"exercise_category":{"description":"Library category of the exercise.","enum":["mobility","strength","balance","breathing","stretching","relaxation"],"type":"string"},"source":{"description":"Where the exercise was picked from.","enum":["library_browse","recommendation","home_program","goal_plan"],"type":"string"}},"required":["difficulty","exercise_category","source"],"title":"consumer.exercise_started","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.feature_used', 'consumer', 'A free feature surface was opened and used for the first time in a session (sent at most once per feature per session).', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.feature_used:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A free feature surface was opened and used for the first time in a session (sent at most once per feature per session).","examples":[{"entry_point":"home_screen","feature":"exercise_library","platform":"ios"},{"entry_point":"push_notification","feature":"checkin_tracker","platform":"android"}],"properties":{"entry_point":{"description":"How the caller reached the feature.","enum":["home_screen","navigation_menu","push_notification","reminder_link","deep_link","onboarding"],"type":"string"},"feature":{"description":"Which free feature surface was used.","enum":["checkin_tracker","exercise_library","education_hub","reminders","goals","progress_charts","practitioner_directory","appointment_booking","wearable_sync"],"type":"string"},"platform":{"description":"Client the feature was used on.","enum":["web","ios","android"],"type":"string"}},"required":["entry_point","feature","platform"],"title":"consumer.feature_used","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.goal_set', 'consumer', 'A personal activity goal was set or replaced in the goals feature.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.goal_set:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A personal activity goal was set or replaced in the goals feature.","examples":[{"goal_area":"activity","horizon_weeks":6,"target_days_per_week":4}],"properties":{"goal_area":{"description":"Area the goal is about.","enum":["activity","sleep","mobility","stress","checkin_streak"],"type":"string"},"horizon_weeks":{"description":"Length of the goal period in weeks.","maximum":52,"minimum":1,"type":"integer"},"target_days_per_week":{"description":"How many days a week the goal asks for.","maximum":7,"minimum":1,"type":"integer"}},"required":["goal_area","horizon_weeks","target_days_per_week"],"title":"consumer.goal_set","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.progress_chart_viewed', 'consumer', 'A progress chart was opened or switched to another metric group or range.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.progress_chart_viewed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A progress chart was opened or switched to another metric group or range.","examples":[{"date_range":"past_30_days","metric_group":"exercise"}],"properties":{"date_range":{"description":"Time range selected on the chart.","enum":["past_7_days","past_30_days","past_90_days","past_12_months"],"type":"string"},"metric_group":{"description":"Which family of metrics the chart shows.","enum":["checkins","exercise","sleep","goals"],"type":"string"}},"required":["date_range","metric_group"],"title":"consumer.progress_chart_viewed","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.reminder_scheduled', 'consumer', 'A recurring reminder was created or changed.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.reminder_scheduled:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A recurring reminder was created or changed.","examples":[{"cadence":"daily","channel":"push","reminder_kind":"checkin"}],"properties":{"cadence":{"description":"How often the reminder fires.","enum":["daily","weekdays","weekly"],"type":"string"},"channel":{"description":"How the reminder is delivered.","enum":["push","in_app"],"type":"string"},"reminder_kind":{"description":"What the reminder prompts the caller to do.","enum":["checkin","exercise","hydration","sleep_routine"],"type":"string"}},"required":["cadence","channel","reminder_kind"],"title":"consumer.reminder_scheduled","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.upgrade_prompt_viewed', 'consumer', 'An upgrade prompt offering a paid plan was shown to a free-plan caller.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.upgrade_prompt_viewed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An upgrade prompt offering a paid plan was shown to a free-plan caller.","examples":[{"offered_tier":"practitioner","placement":"feature_limit"}],"properties":{"offered_tier":{"description":"Paid plan the prompt offers.","enum":["practitioner","clinic"],"type":"string"},"placement":{"description":"Where in the product the prompt appeared.","enum":["feature_limit","settings","onboarding","progress_charts","practitioner_directory"],"type":"string"}},"required":["offered_tier","placement"],"title":"consumer.upgrade_prompt_viewed","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.wearable_connected', 'consumer', 'A wearable or health-data integration was connected and granted data scopes.', 'consumer-experience', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:consumer.wearable_connected:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A wearable or health-data integration was connected and granted data scopes.","examples":[{"data_scopes":["steps","sleep"],"integration":"garmin"}],"properties":{"data_scopes":{"description":"Data categories the caller agreed to share from the integration.","items":{"enum":["steps","heart_rate","sleep","activity_minutes"],"type":"string"},"maxItems":4,"type":"array","uniqueItems":true},"integration":{"description":"Which integration was connected.","enum":["apple_health","google_health_connect","fitbit","garmin","oura"],"type":"string"}},"required":["data_scopes","integration"],"title":"consumer.wearable_connected","type":"object","x-trackgen":{"owner":"consumer-experience","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('network.alert_configured', 'network', 'A threshold alert on a network metric was created or changed.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.alert_configured:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A threshold alert on a network metric was created or changed.","examples":[{"alert_metric":"seat_utilization","evaluation_cadence":"weekly","threshold_direction":"below"}],"properties":{"alert_metric":{"description":"Metric the alert watches.","enum":["protocol_logging_rate","home_program_adherence","outcome_improvement","time_to_discharge","sessions_per_episode","seat_utilization"],"type":"string"},"evaluation_cadence":{"description":"How often the alert is evaluated.","enum":["daily","weekly"],"type":"string"},"threshold_direction":{"description":"Whether the alert fires above or below the threshold.","enum":["above","below"],"type":"string"}},"required":["alert_metric","evaluation_cadence","threshold_direction"],"title":"network.alert_configured","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('network.benchmark_compared', 'network', 'A metric was compared against a network benchmark.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.benchmark_compared:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A metric was compared against a network benchmark.","examples":[{"benchmark_metric":"outcome_improvement","comparison":"network_quartiles"}],"properties":{"benchmark_metric":{"description":"Metric that was benchmarked.","enum":["protocol_logging_rate","home_program_adherence","outcome_improvement","time_to_discharge","sessions_per_episode","seat_utilization"],"type":"string"},"comparison":{"description":"Reference the metric was compared with.","enum":["network_median","network_quartiles","peer_group"],"type":"string"}},"required":["benchmark_metric","comparison"],"title":"network.benchmark_compared","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('network.dashboard_viewed', 'network', 'A network analytics dashboard was opened.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.dashboard_viewed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A network analytics dashboard was opened.","examples":[{"dashboard":"network_overview","date_range":"past_quarter","sites_in_scope":42}],"properties":{"dashboard":{"description":"Which network dashboard was opened.","enum":["network_overview","site_comparison","protocol_mix","workforce","growth","outcomes"],"type":"string"},"date_range":{"description":"Time range selected.","enum":["past_30_days","past_quarter","past_12_months"],"type":"string"},"sites_in_scope":{"description":"Number of sites the dashboard aggregates over.","maximum":5000,"minimum":1,"type":"integer"}},"required":["dashboard","date_range","sites_in_scope"],"title":"network.dashboard_viewed","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('network.data_sharing_accepted', 'network', 'A network admin accepted a version of the aggregate data-sharing agreement.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.data_sharing_accepted:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A network admin accepted a version of the aggregate data-sharing agreement.","examples":[{"agreement_version":"v3","sharing_scope":"benchmarks_only"}],"properties":{"agreement_version":{"description":"Version label of the agreement, such as v3.","pattern":"^v[0-9]{1,3}$","type":"string"},"sharing_scope":{"description":"What the agreement lets the network''s data contribute to.","enum":["benchmarks_only","benchmarks_and_research"],"type":"string"}},"required":["agreement_version","sharing_scope"],"title":"network.data_sharing_accepted","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('network.filter_applied', 'network', 'A filter was added to or changed on a network dashboard.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.filter_applied:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A filter was added to or changed on a network dashboard.","examples":[{"dashboard":"site_comparison","filter_dimension":"site_size_band","filters_active":2}],"properties":{"dashboard":{"description":"Dashboard the filter was applied on.","enum":["network_overview","site_comparison","protocol_mix","workforce","growth","outcomes"],"type":"string"},"filter_dimension":{"description":"Dimension that was filtered.","enum":["protocol_category","site_size_band","plan_tier","period","region"],"type":"string"},"filters_active":{"description":"Filters active on the dashboard after the change.","maximum":20,"minimum":1,"type":"integer"}},"required":["dashboard","filter_dimension","filters_active"],"title":"network.filter_applied","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('network.report_exported', 'network', 'An aggregate network report was exported once, on demand.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.report_exported:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An aggregate network report was exported once, on demand.","examples":[{"export_format":"xlsx","report":"site_benchmarks","rows_exported":184}],"properties":{"export_format":{"description":"File format of the export.","enum":["csv","xlsx","pdf"],"type":"string"},"report":{"description":"Report that was exported.","enum":["network_summary","site_benchmarks","protocol_mix","workforce_capacity","outcome_trends"],"type":"string"},"rows_exported":{"description":"Rows in the export, capped at one million.","maximum":1000000,"minimum":0,"type":"integer"}},"required":["export_format","report","rows_exported"],"title":"network.report_exported","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('network.scheduled_report_created', 'network', 'A recurring delivery of an aggregate network report was set up.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.scheduled_report_created:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A recurring delivery of an aggregate network report was set up.","examples":[{"cadence":"monthly","export_format":"pdf","recipients_count":4,"report":"network_summary","start_date":"2025-07-01"}],"properties":{"cadence":{"description":"How often the report is delivered.","enum":["weekly","monthly","quarterly"],"type":"string"},"export_format":{"description":"File format of each delivery.","enum":["csv","xlsx","pdf"],"type":"string"},"recipients_count":{"description":"Number of recipients on the schedule.","maximum":50,"minimum":1,"type":"integer"},"report":{"description":"Report to be delivered.","enum":["network_summary","site_benchmarks","protocol_mix","workforce_capacity","outcome_trends"],"type":"string"},"start_date":{"description":"Date of the first scheduled delivery.","format":"date","type":"string"}},"required":["cadence","export_format","recipients_count","report","start_date"],"title":"network.scheduled_report_created","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('network.suppression_notice_shown', 'network', 'A network view hid cells below the k-anonymity threshold and told the caller so.', 'data-platform', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:network.suppression_notice_shown:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A network view hid cells below the k-anonymity threshold and told the caller so.","examples":[{"dashboard":"site_comparison","suppressed_cells":3}],"properties":{"dashboard":{"description":"Dashboard on which cells were suppressed.","enum":["network_overview","site_comparison","protocol_mix","workforce","growth","outcomes"],"type":"string"},"suppressed_cells":{"description":"Number of cells hidden in the current view.","maximum":10000,"minimum":1,"type":"integer"}},"required":["dashboard","suppressed_cells"],"title":"network.suppression_notice_shown","type":"object","x-trackgen":{"owner":"data-platform","status":"active","tier":"network","version":"1-0-0"}}'::jsonb),
  ('practitioner.availability_published', 'practitioner', 'Bookable availability was published to the directory for online appointment requests.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.availability_published:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"Bookable availability was published to the directory for online appointment requests.","examples":[{"appointment_kinds":["initial_assessment","follow_up"],"slot_count":24,"weeks_ahead":2}],"properties":{"appointment_kinds":{"description":"Appointment kinds offered in the published slots.","items":{"enum":["initial_assessment","follow_up","telehealth_consult"],"type":"string"},"maxItems":3,"minItems":1,"type":"array","uniqueItems":true},"slot_count":{"description":"Number of bookable slots published.","maximum":500,"minimum":1,"type":"integer"},"weeks_ahead":{"description":"How many weeks ahead the published availability reaches.","maximum":12,"minimum":1,"type":"integer"}},"required":["appointment_kinds","slot_count","weeks_ahead"],"title":"practitioner.availability_published","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.dashboard_viewed', 'practitioner', 'The pro caseload dashboard was opened or switched to another view.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.dashboard_viewed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"The pro caseload dashboard was opened or switched to another view.","examples":[{"dashboard_view":"today"},{"dashboard_view":"outcome_trends"}],"properties":{"dashboard_view":{"description":"Dashboard view shown.","enum":["today","this_week","overdue_follow_ups","home_program_adherence","outcome_trends"],"type":"string"}},"required":["dashboard_view"],"title":"practitioner.dashboard_viewed","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.home_program_assigned', 'practitioner', 'A home exercise program built from a protocol was issued for use between sessions.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.home_program_assigned:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A home exercise program built from a protocol was issued for use between sessions.","examples":[{"delivery_channel":"in_app","exercise_count":6,"program_weeks":4}],"properties":{"delivery_channel":{"description":"How the program reaches the person doing it.","enum":["in_app","printable_pdf","both"],"type":"string"},"exercise_count":{"description":"Number of exercises in the home program.","maximum":50,"minimum":1,"type":"integer"},"program_weeks":{"description":"Planned length of the home program in weeks.","maximum":52,"minimum":1,"type":"integer"}},"required":["delivery_channel","exercise_count","program_weeks"],"title":"practitioner.home_program_assigned","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.outcome_measure_recorded', 'practitioner', 'A standardised outcome measure was administered and scored. Only the instrument is tracked, never the score.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.outcome_measure_recorded:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A standardised outcome measure was administered and scored. Only the instrument is tracked, never the score.","examples":[{"administration":"in_clinic","instrument":"psfs","timepoint":"baseline"},{"administration":"remote_link","instrument":"dhi","timepoint":"discharge"}],"properties":{"administration":{"description":"Whether the measure was completed in clinic or remotely.","enum":["in_clinic","remote_link"],"type":"string"},"instrument":{"description":"Standardised instrument that was administered.","enum":["psfs","odi","ndi","koos","hoos","quickdash","nprs","promis_global_10","dhi"],"type":"string"},"timepoint":{"description":"Point in the course of care the measure belongs to.","enum":["baseline","interim","discharge","follow_up"],"type":"string"}},"required":["administration","instrument","timepoint"],"title":"practitioner.outcome_measure_recorded","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.progress_report_generated', 'practitioner', 'A progress report was generated from logged protocol sessions and outcome measures.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.progress_report_generated:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A progress report was generated from logged protocol sessions and outcome measures.","examples":[{"output_format":"pdf","report_kind":"discharge","sessions_covered":10}],"properties":{"output_format":{"description":"File format of the generated report.","enum":["pdf","docx"],"type":"string"},"report_kind":{"description":"Kind of report generated.","enum":["progress","discharge","referral_summary"],"type":"string"},"sessions_covered":{"description":"Number of logged sessions the report summarises.","maximum":500,"minimum":0,"type":"integer"}},"required":["output_format","report_kind","sessions_covered"],"title":"practitioner.progress_report_generated","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.protocol_created', 'practitioner', 'A new treatment protocol template was created in the protocol editor.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.protocol_created:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A new treatment protocol template was created in the protocol editor.","examples":[{"origin":"platform_library","protocol_category":"post_surgical","protocol_id":"0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f","step_count":12}],"properties":{"origin":{"description":"How the template was started.","enum":["blank","platform_library","duplicated","clinic_shared"],"type":"string"},"protocol_category":{"description":"Clinical area the protocol template targets.","enum":["musculoskeletal","neurological","post_surgical","sports_rehab","persistent_pain","pelvic_health","cardiopulmonary","vestibular"],"type":"string"},"protocol_id":{"description":"Identifier of the protocol template (not of any treatment episode).","format":"uuid","type":"string"},"step_count":{"description":"Number of steps (exercises, modalities, education items) in the template.","maximum":100,"minimum":1,"type":"integer"}},"required":["origin","protocol_category","protocol_id","step_count"],"title":"practitioner.protocol_created","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.protocol_edited', 'practitioner', 'An existing protocol template was changed and saved as a new version.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.protocol_edited:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An existing protocol template was changed and saved as a new version.","examples":[{"change_kinds":["dosage_adjusted","steps_reordered"],"protocol_id":"0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f","template_version":3}],"properties":{"change_kinds":{"description":"Kinds of change made in this save.","items":{"enum":["steps_added","steps_removed","steps_reordered","dosage_adjusted","category_changed"],"type":"string"},"maxItems":5,"minItems":1,"type":"array","uniqueItems":true},"protocol_id":{"description":"Identifier of the protocol template that was changed.","format":"uuid","type":"string"},"template_version":{"description":"Version number of the template after the save.","maximum":1000,"minimum":2,"type":"integer"}},"required":["change_kinds","protocol_id","template_version"],"title":"practitioner.protocol_edited","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.protocol_logged', 'practitioner', 'One delivered session of a protocol was logged: which protocol was applied and how much of it, in real time or after the session.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.protocol_logged:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"One delivered session of a protocol was logged: which protocol was applied and how much of it, in real time or after the session.","examples":[{"logging_mode":"live","protocol_category":"post_surgical","protocol_id":"0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f","session_minutes":45,"steps_completed":8,"visit_mode":"on_site"},{"logging_mode":"after_session","protocol_category":"vestibular","protocol_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_minutes":30,"steps_completed":5,"visit_mode":"telehealth"}],"properties":{"logging_mode":{"description":"When the session was logged relative to its delivery.","enum":["live","after_session","bulk_import"],"type":"string"},"protocol_category":{"description":"Clinical area of the applied protocol.","enum":["musculoskeletal","neurological","post_surgical","sports_rehab","persistent_pain","pelvic_health","cardiopulmonary","vestibular"],"type":"string"},"protocol_id":{"description":"Identifier of the protocol template that was applied.","format":"uuid","type":"string"},"session_minutes":{"description":"Length of the delivered session in minutes.","maximum":480,"minimum":0,"type":"integer"},"steps_completed":{"description":"Protocol steps marked as delivered in this session.","maximum":100,"minimum":0,"type":"integer"},"visit_mode":{"description":"Whether the session was delivered in person or by telehealth.","enum":["on_site","telehealth"],"type":"string"}},"required":["logging_mode","protocol_category","protocol_id","session_minutes","steps_completed","visit_mode"],"title":"practitioner.protocol_logged","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.subscription_cancelled', 'practitioner', 'A paid pro subscription was cancelled; it stays active until the paid period ends.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.subscription_cancelled:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A paid pro subscription was cancelled; it stays active until the paid period ends.","examples":[{"cancel_reason":"moved_to_clinic_plan","tenure_months":7}],"properties":{"cancel_reason":{"description":"Reason picked from the fixed list in the cancellation flow.","enum":["too_expensive","missing_features","switched_product","practice_closed","moved_to_clinic_plan","other"],"type":"string"},"tenure_months":{"description":"Whole months the subscription was paid for.","maximum":240,"minimum":0,"type":"integer"}},"required":["cancel_reason","tenure_months"],"title":"practitioner.subscription_cancelled","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.trial_converted', 'practitioner', 'A pro trial turned into a paid pro subscription.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.trial_converted:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A pro trial turned into a paid pro subscription.","examples":[{"billing_interval":"annual","days_into_trial":11}],"properties":{"billing_interval":{"description":"Billing interval chosen at conversion.","enum":["monthly","annual"],"type":"string"},"days_into_trial":{"description":"Trial day on which the caller converted (0 is the first day).","maximum":60,"minimum":0,"type":"integer"}},"required":["billing_interval","days_into_trial"],"title":"practitioner.trial_converted","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.trial_expired', 'practitioner', 'A pro trial ended without converting and the caller fell back to the free plan.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.trial_expired:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A pro trial ended without converting and the caller fell back to the free plan.","examples":[{"active_trial_days":2,"protocols_logged_count":0},{"active_trial_days":9,"protocols_logged_count":14}],"properties":{"active_trial_days":{"description":"Number of distinct days with any pro activity during the trial.","maximum":60,"minimum":0,"type":"integer"},"protocols_logged_count":{"description":"Protocol sessions logged during the trial.","maximum":10000,"minimum":0,"type":"integer"}},"required":["active_trial_days","protocols_logged_count"],"title":"practitioner.trial_expired","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.trial_started', 'practitioner', 'A free trial of the pro plan was started.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:practitioner.trial_started:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A free trial of the pro plan was started.","examples":[{"billing_interval":"monthly","entry_point":"upgrade_prompt","trial_length_days":14},{"billing_interval":"annual","entry_point":"sales_assisted","trial_length_days":30}],"properties":{"billing_interval":{"description":"Billing interval preselected for when the trial ends.","enum":["monthly","annual"],"type":"string"},"entry_point":{"description":"What led to the trial.","enum":["upgrade_prompt","pricing_page","onboarding","sales_assisted","colleague_referral"],"type":"string"},"trial_length_days":{"description":"Length of the trial that was granted, in days.","maximum":60,"minimum":1,"type":"integer"}},"required":["billing_interval","entry_point","trial_length_days"],"title":"practitioner.trial_started","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('system.api_request_completed', 'system', 'An API request of the platform finished, successfully or not; sampled by the API gateway.', 'platform-reliability', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.api_request_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An API request of the platform finished, successfully or not; sampled by the API gateway.","examples":[{"duration_ms":184,"endpoint":"protocol_logs","method":"post","response_bytes":512,"status_class":"success"},{"cache_hit":false,"duration_ms":30012,"endpoint":"network_dashboards","method":"get","status_class":"server_error"}],"properties":{"cache_hit":{"description":"True when the response was served from cache.","type":"boolean"},"duration_ms":{"description":"Time from request received to response sent, in milliseconds.","maximum":600000,"minimum":0,"type":"integer"},"endpoint":{"description":"API endpoint group the request belongs to.","enum":["track_events","auth_session","checkins","exercise_library","directory_search","appointments","protocols","protocol_logs","reports","clinic_members","clinic_dashboards","network_dashboards","network_exports"],"type":"string"},"method":{"description":"HTTP method of the request.","enum":["get","post","patch","delete"],"type":"string"},"response_bytes":{"description":"Size of the response body in bytes, capped at 100 MiB.","maximum":104857600,"minimum":0,"type":"integer"},"status_class":{"description":"Class of the HTTP status returned.","enum":["success","redirect","client_error","server_error"],"type":"string"}},"required":["duration_ms","endpoint","method","status_class"],"title":"system.api_request_completed","type":"object","x-trackgen":{"owner":"platform-reliability","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.credential_reset_completed', 'system', 'A credential reset was completed and a new session started with the new credential.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.credential_reset_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A credential reset was completed and a new session started with the new credential.","examples":[{"reset_trigger":"forgotten"}],"properties":{"reset_trigger":{"description":"What started the reset.","enum":["forgotten","expiry_policy","admin_forced","breach_precaution"],"type":"string"}},"required":["reset_trigger"],"title":"system.credential_reset_completed","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.error_occurred', 'system', 'An error was shown to the caller or stopped an action they started.', 'platform-reliability', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.error_occurred:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An error was shown to the caller or stopped an action they started.","examples":[{"app_version":"4.12.0","error_code":"rate_limited","http_status":429,"recoverable":true,"severity":"warning","surface":"web"},{"app_version":"4.11.3","error_code":"client_crash","recoverable":false,"severity":"fatal","surface":"android"}],"properties":{"app_version":{"description":"Release of the client that reported the error, as major.minor.patch.","pattern":"^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,4}$","type":"string"},"error_code":{"description":"Stable error code from the platform''s error catalogue.","enum":["network_timeout","offline","server_error","validation_failed","permission_denied","rate_limited","sync_conflict","upload_failed","payment_declined","integration_unavailable","client_crash","unknown_error"],"type":"string"},"http_status":{"description":"HTTP status of the failing request, when the error came from one.","maximum":599,"minimum":100,"type":"integer"},"recoverable":{"description":"True when the caller could retry or continue without reloading.","type":"boolean"},"severity":{"description":"Impact of the error on the caller.","enum":["warning","error","fatal"],"type":"string"},"surface":{"description":"Client or service on which the error surfaced.","enum":["web","ios","android","api"],"type":"string"}},"required":["app_version","error_code","recoverable","severity","surface"],"title":"system.error_occurred","type":"object","x-trackgen":{"owner":"platform-reliability","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.login_failed', 'system', 'An authentication attempt was refused; sent by the auth service.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.login_failed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An authentication attempt was refused; sent by the auth service.","examples":[{"attempt_number":2,"auth_method":"credentials","failure_reason":"invalid_credentials"}],"properties":{"attempt_number":{"description":"Consecutive failed attempts including this one, capped at 20.","maximum":20,"minimum":1,"type":"integer"},"auth_method":{"description":"Method of the refused attempt.","enum":["credentials","google_sso","apple_sso","microsoft_sso","saml_sso","magic_link"],"type":"string"},"failure_reason":{"description":"Why the attempt was refused.","enum":["invalid_credentials","mfa_failed","mfa_timeout","locked_out","sso_error","expired_link","plan_suspended"],"type":"string"}},"required":["attempt_number","auth_method","failure_reason"],"title":"system.login_failed","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.login_succeeded', 'system', 'An existing identity authenticated and a new session started.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.login_succeeded:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An existing identity authenticated and a new session started.","examples":[{"auth_method":"saml_sso","mfa_used":true,"platform":"web"}],"properties":{"auth_method":{"description":"How the caller authenticated.","enum":["credentials","google_sso","apple_sso","microsoft_sso","saml_sso","magic_link"],"type":"string"},"mfa_used":{"description":"True when a second factor was verified for this session.","type":"boolean"},"platform":{"description":"Client the session was started on.","enum":["web","ios","android"],"type":"string"}},"required":["auth_method","mfa_used","platform"],"title":"system.login_succeeded","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.logout_completed', 'system', 'A session ended, by choice or by the platform.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.logout_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A session ended, by choice or by the platform.","examples":[{"logout_trigger":"idle_timeout","session_minutes":35}],"properties":{"logout_trigger":{"description":"What ended the session.","enum":["manual","idle_timeout","session_revoked","credential_reset"],"type":"string"},"session_minutes":{"description":"Session length in whole minutes, capped at one week.","maximum":10080,"minimum":0,"type":"integer"}},"required":["logout_trigger","session_minutes"],"title":"system.logout_completed","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.mfa_enrolled', 'system', 'A second authentication factor was enrolled.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.mfa_enrolled:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A second authentication factor was enrolled.","examples":[{"mfa_factor":"webauthn","required_by_policy":true}],"properties":{"mfa_factor":{"description":"Kind of second factor enrolled.","enum":["totp","webauthn","sms_code"],"type":"string"},"required_by_policy":{"description":"True when the site''s security policy made enrolment mandatory.","type":"boolean"}},"required":["mfa_factor","required_by_policy"],"title":"system.mfa_enrolled","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.offline_sync_completed', 'system', 'A mobile client uploaded the actions it queued while offline.', 'platform-reliability', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.offline_sync_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A mobile client uploaded the actions it queued while offline.","examples":[{"conflicts":0,"platform":"ios","queued_actions":14,"sync_ms":2300}],"properties":{"conflicts":{"description":"Queued actions that conflicted with newer server data.","maximum":10000,"minimum":0,"type":"integer"},"platform":{"description":"Mobile client that synced.","enum":["ios","android"],"type":"string"},"queued_actions":{"description":"Actions that were waiting in the offline queue.","maximum":10000,"minimum":0,"type":"integer"},"sync_ms":{"description":"Time the upload took, in milliseconds.","maximum":600000,"minimum":0,"type":"integer"}},"required":["conflicts","platform","queued_actions","sync_ms"],"title":"system.offline_sync_completed","type":"object","x-trackgen":{"owner":"platform-reliability","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.screen_loaded', 'system', 'A screen finished loading on a client and became interactive.', 'platform-reliability', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.screen_loaded:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A screen finished loading on a client and became interactive.","examples":[{"cold_start":false,"load_ms":1240,"platform":"web","screen":"protocol_editor"}],"properties":{"cold_start":{"description":"True when the screen was the first one after launching the app or opening the site.","type":"boolean"},"load_ms":{"description":"Time from navigation start until the screen was interactive, in milliseconds.","maximum":600000,"minimum":0,"type":"integer"},"platform":{"description":"Client the screen was loaded on.","enum":["web","ios","android"],"type":"string"},"screen":{"description":"Screen that was loaded.","enum":["home","checkin_tracker","exercise_library","protocol_editor","protocol_log","caseload_dashboard","clinic_schedule","clinic_dashboard","network_dashboard","settings"],"type":"string"}},"required":["cold_start","load_ms","platform","screen"],"title":"system.screen_loaded","type":"object","x-trackgen":{"owner":"platform-reliability","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.sign_in_completed', 'system', 'A session started after authentication (the original sign-in event of the first client releases).', 'identity', 'deprecated', '1-0-0', 'system.login_succeeded', '{"$id":"urn:trackgen:clinical-platform:event:system.sign_in_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"deprecated":true,"description":"A session started after authentication (the original sign-in event of the first client releases).","examples":[{"sign_in_method":"credentials"}],"properties":{"sign_in_method":{"description":"How the caller authenticated.","enum":["credentials","google_sso","apple_sso"],"type":"string"}},"required":["sign_in_method"],"title":"system.sign_in_completed","type":"object","x-trackgen":{"owner":"identity","status":"deprecated","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.signup_completed', 'system', 'A new sign-up finished and its first session started; this starts retention cohorts.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:clinical-platform:event:system.signup_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A new sign-up finished and its first session started; this starts retention cohorts.","examples":[{"auth_method":"google_sso","invited":false,"platform":"web"},{"auth_method":"credentials","invited":true,"platform":"ios"}],"properties":{"auth_method":{"description":"How the new identity authenticates.","enum":["credentials","google_sso","apple_sso","microsoft_sso","saml_sso","magic_link"],"type":"string"},"invited":{"description":"True when the sign-up came from a clinic invitation.","type":"boolean"},"platform":{"description":"Client the sign-up was completed on.","enum":["web","ios","android"],"type":"string"}},"required":["auth_method","invited","platform"],"title":"system.signup_completed","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb)
on conflict (id) do update
  set description = excluded.description, owner = excluded.owner, status = excluded.status, schema_version = excluded.schema_version, replaced_by = excluded.replaced_by, payload_schema = excluded.payload_schema;

drop policy if exists tiers_read on analytics.tiers;
create policy tiers_read on analytics.tiers for select to anon, authenticated
  using (true);

drop policy if exists tiers_service on analytics.tiers;
create policy tiers_service on analytics.tiers for all to service_role
  using (true) with check (true);

drop policy if exists event_types_read on analytics.event_types;
create policy event_types_read on analytics.event_types for select to anon, authenticated
  using (true);

drop policy if exists event_types_service on analytics.event_types;
create policy event_types_service on analytics.event_types for all to service_role
  using (true) with check (true);

comment on table analytics_private.secrets is 'Per-deployment secrets, made at migration time and never leaving the database.';

alter table analytics_private.secrets enable row level security;
revoke all on analytics_private.secrets from public, anon, authenticated;
grant all on analytics_private.secrets to service_role;

insert into analytics_private.secrets (name, value) values
  ('actor_hmac_key', extensions.gen_random_bytes(32))
on conflict (name) do nothing;

comment on table analytics_private.events is 'Accepted events, one row each; partitioned by month, default partition catches the rest.';

alter table analytics_private.events enable row level security;
revoke all on analytics_private.events from public, anon, authenticated;
grant all on analytics_private.events to service_role;

alter table analytics_private.events_default enable row level security;
revoke all on analytics_private.events_default from public, anon, authenticated;
grant all on analytics_private.events_default to service_role;

comment on table analytics_private.event_keys is 'Idempotency: one row per client key and site, whatever the partition of the event.';

alter table analytics_private.event_keys enable row level security;
revoke all on analytics_private.event_keys from public, anon, authenticated;
grant all on analytics_private.event_keys to service_role;

comment on table analytics_private.rejections is 'Rejections counted by day, site, event id and reason; payload values are never kept.';

alter table analytics_private.rejections enable row level security;
revoke all on analytics_private.rejections from public, anon, authenticated;
grant all on analytics_private.rejections to service_role;

drop policy if exists event_keys_service on analytics_private.event_keys;
create policy event_keys_service on analytics_private.event_keys for all to service_role
  using (true) with check (true);

drop policy if exists events_service on analytics_private.events;
create policy events_service on analytics_private.events for all to service_role
  using (true) with check (true);

drop policy if exists events_default_service on analytics_private.events_default;
create policy events_default_service on analytics_private.events_default for all to service_role
  using (true) with check (true);

drop policy if exists rejections_service on analytics_private.rejections;
create policy rejections_service on analytics_private.rejections for all to service_role
  using (true) with check (true);

drop policy if exists secrets_service on analytics_private.secrets;
create policy secrets_service on analytics_private.secrets for all to service_role
  using (true) with check (true);

drop policy if exists events_own_site on analytics_private.events;
create policy events_own_site on analytics_private.events for select to authenticated
  using (site_id = ((select auth.jwt()) #>> '{app_metadata,site_id}')::uuid);

create or replace function analytics_private.ensure_event_partitions(months_ahead integer default 3)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
set timezone = 'UTC'
as $fn$
declare
  first_month date := date_trunc('month', now() at time zone 'UTC')::date;
  month_start date;
  month_end date;
  part text;
  made integer := 0;
begin
  -- one maintenance run at a time; a concurrent run waits, then finds the work done
  perform pg_advisory_xact_lock(hashtext('analytics_private.ensure_event_partitions'));
  for i in 0 .. greatest(months_ahead, 0) loop
    month_start := (first_month + make_interval(months => i))::date;
    month_end := (month_start + interval '1 month')::date;
    part := 'events_' || to_char(month_start, 'YYYY_MM');
    continue when to_regclass(format('%I.%I', 'analytics_private', part)) is not null;
    execute format('create table %I.%I (like %I.events including defaults)', 'analytics_private', part, 'analytics_private');
    execute format(
      'with moved as (delete from %I.events_default where occurred_at >= %L::timestamptz and occurred_at < %L::timestamptz returning *) '
      'insert into %I.%I select * from moved',
      'analytics_private', month_start::text || ' 00:00:00+00', month_end::text || ' 00:00:00+00', 'analytics_private', part);
    execute format('alter table %I.events attach partition %I.%I for values from (%L) to (%L)',
      'analytics_private', 'analytics_private', part, month_start::text || ' 00:00:00+00', month_end::text || ' 00:00:00+00');
    execute format('alter table %I.%I enable row level security', 'analytics_private', part);
    execute format('revoke all on table %I.%I from public, anon, authenticated', 'analytics_private', part);
    execute format('grant all on table %I.%I to service_role', 'analytics_private', part);
    execute format('create policy %I on %I.%I for all to service_role using (true) with check (true)',
      part || '_service', 'analytics_private', part);
    made := made + 1;
  end loop;
  return made;
end
$fn$;
comment on function analytics_private.ensure_event_partitions(integer) is 'Monthly event partitions, made ahead of time by a pg_cron job; rows that reached the default partition for a month move into the new partition.';
revoke all on function analytics_private.ensure_event_partitions(integer) from public, anon, authenticated;
grant execute on function analytics_private.ensure_event_partitions(integer) to service_role;

-- the partitions for this month and the next ones
select analytics_private.ensure_event_partitions();

create or replace function analytics_private.is_timestamp(value text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  perform value::timestamptz;
  return true;
exception when others then
  return false;
end
$fn$;
revoke all on function analytics_private.is_timestamp(text) from public, anon, authenticated;

create or replace function analytics_private.is_date(value text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  perform to_date(value, 'YYYY-MM-DD');
  return to_char(to_date(value, 'YYYY-MM-DD'), 'YYYY-MM-DD') = value;
exception when others then
  return false;
end
$fn$;
revoke all on function analytics_private.is_date(text) from public, anon, authenticated;

-- event clinic.caseload_handed_off
create or replace function analytics_private.check_clinic__caseload_handed_off(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['handoff_reason', 'programs_transferred', 'temporary']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'handoff_reason') then return 'missing_property:handoff_reason'; end if;
  if not (p ? 'programs_transferred') then return 'missing_property:programs_transferred'; end if;
  if not (p ? 'temporary') then return 'missing_property:temporary'; end if;
  if p ? 'handoff_reason' then
    if jsonb_typeof(p -> 'handoff_reason') is distinct from 'string' then return 'wrong_type:handoff_reason'; end if;
    if not ((p ->> 'handoff_reason') = any (array['leave_cover', 'specialty_referral', 'workload_balancing', 'departure']::text[])) then return 'bad_enum:handoff_reason'; end if;
  end if;
  if p ? 'programs_transferred' then
    if jsonb_typeof(p -> 'programs_transferred') is distinct from 'number' then return 'wrong_type:programs_transferred'; end if;
    if ((p ->> 'programs_transferred'))::numeric % 1 <> 0 then return 'wrong_type:programs_transferred'; end if;
    if ((p ->> 'programs_transferred'))::numeric < 1 then return 'out_of_range:programs_transferred'; end if;
    if ((p ->> 'programs_transferred'))::numeric > 500 then return 'out_of_range:programs_transferred'; end if;
  end if;
  if p ? 'temporary' then
    if jsonb_typeof(p -> 'temporary') is distinct from 'boolean' then return 'wrong_type:temporary'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__caseload_handed_off(jsonb) is 'Payload check of clinic.caseload_handed_off: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__caseload_handed_off(jsonb) from public, anon, authenticated;

-- event clinic.member_invited
create or replace function analytics_private.check_clinic__member_invited(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['invite_channel', 'invited_role', 'pending_invites']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'invite_channel') then return 'missing_property:invite_channel'; end if;
  if not (p ? 'invited_role') then return 'missing_property:invited_role'; end if;
  if not (p ? 'pending_invites') then return 'missing_property:pending_invites'; end if;
  if p ? 'invite_channel' then
    if jsonb_typeof(p -> 'invite_channel') is distinct from 'string' then return 'wrong_type:invite_channel'; end if;
    if not ((p ->> 'invite_channel') = any (array['invite_link', 'bulk_upload', 'directory_sync']::text[])) then return 'bad_enum:invite_channel'; end if;
  end if;
  if p ? 'invited_role' then
    if jsonb_typeof(p -> 'invited_role') is distinct from 'string' then return 'wrong_type:invited_role'; end if;
    if not ((p ->> 'invited_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then return 'bad_enum:invited_role'; end if;
  end if;
  if p ? 'pending_invites' then
    if jsonb_typeof(p -> 'pending_invites') is distinct from 'number' then return 'wrong_type:pending_invites'; end if;
    if ((p ->> 'pending_invites'))::numeric % 1 <> 0 then return 'wrong_type:pending_invites'; end if;
    if ((p ->> 'pending_invites'))::numeric < 0 then return 'out_of_range:pending_invites'; end if;
    if ((p ->> 'pending_invites'))::numeric > 1000 then return 'out_of_range:pending_invites'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__member_invited(jsonb) is 'Payload check of clinic.member_invited: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__member_invited(jsonb) from public, anon, authenticated;

-- event clinic.member_joined
create or replace function analytics_private.check_clinic__member_joined(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['days_since_invite', 'join_method', 'role']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'days_since_invite') then return 'missing_property:days_since_invite'; end if;
  if not (p ? 'join_method') then return 'missing_property:join_method'; end if;
  if not (p ? 'role') then return 'missing_property:role'; end if;
  if p ? 'days_since_invite' then
    if jsonb_typeof(p -> 'days_since_invite') is distinct from 'number' then return 'wrong_type:days_since_invite'; end if;
    if ((p ->> 'days_since_invite'))::numeric % 1 <> 0 then return 'wrong_type:days_since_invite'; end if;
    if ((p ->> 'days_since_invite'))::numeric < 0 then return 'out_of_range:days_since_invite'; end if;
    if ((p ->> 'days_since_invite'))::numeric > 90 then return 'out_of_range:days_since_invite'; end if;
  end if;
  if p ? 'join_method' then
    if jsonb_typeof(p -> 'join_method') is distinct from 'string' then return 'wrong_type:join_method'; end if;
    if not ((p ->> 'join_method') = any (array['invite_link', 'single_sign_on', 'directory_sync']::text[])) then return 'bad_enum:join_method'; end if;
  end if;
  if p ? 'role' then
    if jsonb_typeof(p -> 'role') is distinct from 'string' then return 'wrong_type:role'; end if;
    if not ((p ->> 'role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then return 'bad_enum:role'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__member_joined(jsonb) is 'Payload check of clinic.member_joined: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__member_joined(jsonb) from public, anon, authenticated;

-- event clinic.member_removed
create or replace function analytics_private.check_clinic__member_removed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['removal_reason', 'removed_role']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'removal_reason') then return 'missing_property:removal_reason'; end if;
  if not (p ? 'removed_role') then return 'missing_property:removed_role'; end if;
  if p ? 'removal_reason' then
    if jsonb_typeof(p -> 'removal_reason') is distinct from 'string' then return 'wrong_type:removal_reason'; end if;
    if not ((p ->> 'removal_reason') = any (array['left_clinic', 'seat_reduction', 'role_consolidation', 'security_review', 'other']::text[])) then return 'bad_enum:removal_reason'; end if;
  end if;
  if p ? 'removed_role' then
    if jsonb_typeof(p -> 'removed_role') is distinct from 'string' then return 'wrong_type:removed_role'; end if;
    if not ((p ->> 'removed_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then return 'bad_enum:removed_role'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__member_removed(jsonb) is 'Payload check of clinic.member_removed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__member_removed(jsonb) from public, anon, authenticated;

-- event clinic.member_role_changed
create or replace function analytics_private.check_clinic__member_role_changed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['new_role', 'previous_role']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'new_role') then return 'missing_property:new_role'; end if;
  if not (p ? 'previous_role') then return 'missing_property:previous_role'; end if;
  if p ? 'new_role' then
    if jsonb_typeof(p -> 'new_role') is distinct from 'string' then return 'wrong_type:new_role'; end if;
    if not ((p ->> 'new_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then return 'bad_enum:new_role'; end if;
  end if;
  if p ? 'previous_role' then
    if jsonb_typeof(p -> 'previous_role') is distinct from 'string' then return 'wrong_type:previous_role'; end if;
    if not ((p ->> 'previous_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then return 'bad_enum:previous_role'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__member_role_changed(jsonb) is 'Payload check of clinic.member_role_changed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__member_role_changed(jsonb) from public, anon, authenticated;

-- event clinic.plan_upgraded
create or replace function analytics_private.check_clinic__plan_upgraded(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['billing_interval', 'previous_tier', 'sales_assisted', 'seat_count']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'billing_interval') then return 'missing_property:billing_interval'; end if;
  if not (p ? 'previous_tier') then return 'missing_property:previous_tier'; end if;
  if not (p ? 'sales_assisted') then return 'missing_property:sales_assisted'; end if;
  if not (p ? 'seat_count') then return 'missing_property:seat_count'; end if;
  if p ? 'billing_interval' then
    if jsonb_typeof(p -> 'billing_interval') is distinct from 'string' then return 'wrong_type:billing_interval'; end if;
    if not ((p ->> 'billing_interval') = any (array['monthly', 'annual']::text[])) then return 'bad_enum:billing_interval'; end if;
  end if;
  if p ? 'previous_tier' then
    if jsonb_typeof(p -> 'previous_tier') is distinct from 'string' then return 'wrong_type:previous_tier'; end if;
    if not ((p ->> 'previous_tier') = any (array['consumer', 'practitioner']::text[])) then return 'bad_enum:previous_tier'; end if;
  end if;
  if p ? 'sales_assisted' then
    if jsonb_typeof(p -> 'sales_assisted') is distinct from 'boolean' then return 'wrong_type:sales_assisted'; end if;
  end if;
  if p ? 'seat_count' then
    if jsonb_typeof(p -> 'seat_count') is distinct from 'number' then return 'wrong_type:seat_count'; end if;
    if ((p ->> 'seat_count'))::numeric % 1 <> 0 then return 'wrong_type:seat_count'; end if;
    if ((p ->> 'seat_count'))::numeric < 2 then return 'out_of_range:seat_count'; end if;
    if ((p ->> 'seat_count'))::numeric > 500 then return 'out_of_range:seat_count'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__plan_upgraded(jsonb) is 'Payload check of clinic.plan_upgraded: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__plan_upgraded(jsonb) from public, anon, authenticated;

-- event clinic.protocol_shared
create or replace function analytics_private.check_clinic__protocol_shared(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['permission', 'protocol_category', 'share_scope']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'permission') then return 'missing_property:permission'; end if;
  if not (p ? 'protocol_category') then return 'missing_property:protocol_category'; end if;
  if not (p ? 'share_scope') then return 'missing_property:share_scope'; end if;
  if p ? 'permission' then
    if jsonb_typeof(p -> 'permission') is distinct from 'string' then return 'wrong_type:permission'; end if;
    if not ((p ->> 'permission') = any (array['view', 'use', 'edit']::text[])) then return 'bad_enum:permission'; end if;
  end if;
  if p ? 'protocol_category' then
    if jsonb_typeof(p -> 'protocol_category') is distinct from 'string' then return 'wrong_type:protocol_category'; end if;
    if not ((p ->> 'protocol_category') = any (array['musculoskeletal', 'neurological', 'post_surgical', 'sports_rehab', 'persistent_pain', 'pelvic_health', 'cardiopulmonary', 'vestibular']::text[])) then return 'bad_enum:protocol_category'; end if;
  end if;
  if p ? 'share_scope' then
    if jsonb_typeof(p -> 'share_scope') is distinct from 'string' then return 'wrong_type:share_scope'; end if;
    if not ((p ->> 'share_scope') = any (array['whole_clinic', 'team', 'single_colleague']::text[])) then return 'bad_enum:share_scope'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__protocol_shared(jsonb) is 'Payload check of clinic.protocol_shared: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__protocol_shared(jsonb) from public, anon, authenticated;

-- event clinic.review_completed
create or replace function analytics_private.check_clinic__review_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['decision', 'review_kind', 'turnaround_hours']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'decision') then return 'missing_property:decision'; end if;
  if not (p ? 'review_kind') then return 'missing_property:review_kind'; end if;
  if not (p ? 'turnaround_hours') then return 'missing_property:turnaround_hours'; end if;
  if p ? 'decision' then
    if jsonb_typeof(p -> 'decision') is distinct from 'string' then return 'wrong_type:decision'; end if;
    if not ((p ->> 'decision') = any (array['approved', 'changes_requested']::text[])) then return 'bad_enum:decision'; end if;
  end if;
  if p ? 'review_kind' then
    if jsonb_typeof(p -> 'review_kind') is distinct from 'string' then return 'wrong_type:review_kind'; end if;
    if not ((p ->> 'review_kind') = any (array['protocol_review', 'session_log_review', 'report_signoff', 'supervision']::text[])) then return 'bad_enum:review_kind'; end if;
  end if;
  if p ? 'turnaround_hours' then
    if jsonb_typeof(p -> 'turnaround_hours') is distinct from 'number' then return 'wrong_type:turnaround_hours'; end if;
    if ((p ->> 'turnaround_hours'))::numeric % 1 <> 0 then return 'wrong_type:turnaround_hours'; end if;
    if ((p ->> 'turnaround_hours'))::numeric < 0 then return 'out_of_range:turnaround_hours'; end if;
    if ((p ->> 'turnaround_hours'))::numeric > 720 then return 'out_of_range:turnaround_hours'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__review_completed(jsonb) is 'Payload check of clinic.review_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__review_completed(jsonb) from public, anon, authenticated;

-- event clinic.review_requested
create or replace function analytics_private.check_clinic__review_requested(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['review_kind', 'urgency']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'review_kind') then return 'missing_property:review_kind'; end if;
  if not (p ? 'urgency') then return 'missing_property:urgency'; end if;
  if p ? 'review_kind' then
    if jsonb_typeof(p -> 'review_kind') is distinct from 'string' then return 'wrong_type:review_kind'; end if;
    if not ((p ->> 'review_kind') = any (array['protocol_review', 'session_log_review', 'report_signoff', 'supervision']::text[])) then return 'bad_enum:review_kind'; end if;
  end if;
  if p ? 'urgency' then
    if jsonb_typeof(p -> 'urgency') is distinct from 'string' then return 'wrong_type:urgency'; end if;
    if not ((p ->> 'urgency') = any (array['routine', 'priority']::text[])) then return 'bad_enum:urgency'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__review_requested(jsonb) is 'Payload check of clinic.review_requested: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__review_requested(jsonb) from public, anon, authenticated;

-- event clinic.seats_changed
create or replace function analytics_private.check_clinic__seats_changed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['direction', 'seat_delta', 'seat_total']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'direction') then return 'missing_property:direction'; end if;
  if not (p ? 'seat_delta') then return 'missing_property:seat_delta'; end if;
  if not (p ? 'seat_total') then return 'missing_property:seat_total'; end if;
  if p ? 'direction' then
    if jsonb_typeof(p -> 'direction') is distinct from 'string' then return 'wrong_type:direction'; end if;
    if not ((p ->> 'direction') = any (array['added', 'removed']::text[])) then return 'bad_enum:direction'; end if;
  end if;
  if p ? 'seat_delta' then
    if jsonb_typeof(p -> 'seat_delta') is distinct from 'number' then return 'wrong_type:seat_delta'; end if;
    if ((p ->> 'seat_delta'))::numeric % 1 <> 0 then return 'wrong_type:seat_delta'; end if;
    if ((p ->> 'seat_delta'))::numeric < 1 then return 'out_of_range:seat_delta'; end if;
    if ((p ->> 'seat_delta'))::numeric > 500 then return 'out_of_range:seat_delta'; end if;
  end if;
  if p ? 'seat_total' then
    if jsonb_typeof(p -> 'seat_total') is distinct from 'number' then return 'wrong_type:seat_total'; end if;
    if ((p ->> 'seat_total'))::numeric % 1 <> 0 then return 'wrong_type:seat_total'; end if;
    if ((p ->> 'seat_total'))::numeric < 1 then return 'out_of_range:seat_total'; end if;
    if ((p ->> 'seat_total'))::numeric > 1000 then return 'out_of_range:seat_total'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__seats_changed(jsonb) is 'Payload check of clinic.seats_changed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__seats_changed(jsonb) from public, anon, authenticated;

-- event clinic.team_created
create or replace function analytics_private.check_clinic__team_created(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['team_purpose', 'team_size']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'team_purpose') then return 'missing_property:team_purpose'; end if;
  if not (p ? 'team_size') then return 'missing_property:team_size'; end if;
  if p ? 'team_purpose' then
    if jsonb_typeof(p -> 'team_purpose') is distinct from 'string' then return 'wrong_type:team_purpose'; end if;
    if not ((p ->> 'team_purpose') = any (array['specialty_group', 'shift_group', 'project_group', 'supervision_group']::text[])) then return 'bad_enum:team_purpose'; end if;
  end if;
  if p ? 'team_size' then
    if jsonb_typeof(p -> 'team_size') is distinct from 'number' then return 'wrong_type:team_size'; end if;
    if ((p ->> 'team_size'))::numeric % 1 <> 0 then return 'wrong_type:team_size'; end if;
    if ((p ->> 'team_size'))::numeric < 1 then return 'out_of_range:team_size'; end if;
    if ((p ->> 'team_size'))::numeric > 200 then return 'out_of_range:team_size'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__team_created(jsonb) is 'Payload check of clinic.team_created: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__team_created(jsonb) from public, anon, authenticated;

-- event clinic.utilization_dashboard_viewed
create or replace function analytics_private.check_clinic__utilization_dashboard_viewed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['dashboard_section', 'date_range']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'dashboard_section') then return 'missing_property:dashboard_section'; end if;
  if not (p ? 'date_range') then return 'missing_property:date_range'; end if;
  if p ? 'dashboard_section' then
    if jsonb_typeof(p -> 'dashboard_section') is distinct from 'string' then return 'wrong_type:dashboard_section'; end if;
    if not ((p ->> 'dashboard_section') = any (array['capacity', 'home_program_adherence', 'protocol_mix', 'staff_activity', 'outcomes']::text[])) then return 'bad_enum:dashboard_section'; end if;
  end if;
  if p ? 'date_range' then
    if jsonb_typeof(p -> 'date_range') is distinct from 'string' then return 'wrong_type:date_range'; end if;
    if not ((p ->> 'date_range') = any (array['past_7_days', 'past_30_days', 'past_90_days', 'past_12_months']::text[])) then return 'bad_enum:date_range'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_clinic__utilization_dashboard_viewed(jsonb) is 'Payload check of clinic.utilization_dashboard_viewed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_clinic__utilization_dashboard_viewed(jsonb) from public, anon, authenticated;

-- event consumer.appointment_requested
create or replace function analytics_private.check_consumer__appointment_requested(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['appointment_kind', 'lead_time_days']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'appointment_kind') then return 'missing_property:appointment_kind'; end if;
  if not (p ? 'lead_time_days') then return 'missing_property:lead_time_days'; end if;
  if p ? 'appointment_kind' then
    if jsonb_typeof(p -> 'appointment_kind') is distinct from 'string' then return 'wrong_type:appointment_kind'; end if;
    if not ((p ->> 'appointment_kind') = any (array['initial_assessment', 'follow_up', 'telehealth_consult']::text[])) then return 'bad_enum:appointment_kind'; end if;
  end if;
  if p ? 'lead_time_days' then
    if jsonb_typeof(p -> 'lead_time_days') is distinct from 'number' then return 'wrong_type:lead_time_days'; end if;
    if ((p ->> 'lead_time_days'))::numeric % 1 <> 0 then return 'wrong_type:lead_time_days'; end if;
    if ((p ->> 'lead_time_days'))::numeric < 0 then return 'out_of_range:lead_time_days'; end if;
    if ((p ->> 'lead_time_days'))::numeric > 365 then return 'out_of_range:lead_time_days'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__appointment_requested(jsonb) is 'Payload check of consumer.appointment_requested: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__appointment_requested(jsonb) from public, anon, authenticated;

-- event consumer.article_viewed
create or replace function analytics_private.check_consumer__article_viewed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['content_format', 'scroll_depth_percent', 'topic']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'content_format') then return 'missing_property:content_format'; end if;
  if not (p ? 'topic') then return 'missing_property:topic'; end if;
  if p ? 'content_format' then
    if jsonb_typeof(p -> 'content_format') is distinct from 'string' then return 'wrong_type:content_format'; end if;
    if not ((p ->> 'content_format') = any (array['article', 'video', 'infographic']::text[])) then return 'bad_enum:content_format'; end if;
  end if;
  if p ? 'scroll_depth_percent' then
    if jsonb_typeof(p -> 'scroll_depth_percent') is distinct from 'number' then return 'wrong_type:scroll_depth_percent'; end if;
    if ((p ->> 'scroll_depth_percent'))::numeric % 1 <> 0 then return 'wrong_type:scroll_depth_percent'; end if;
    if ((p ->> 'scroll_depth_percent'))::numeric < 0 then return 'out_of_range:scroll_depth_percent'; end if;
    if ((p ->> 'scroll_depth_percent'))::numeric > 100 then return 'out_of_range:scroll_depth_percent'; end if;
  end if;
  if p ? 'topic' then
    if jsonb_typeof(p -> 'topic') is distinct from 'string' then return 'wrong_type:topic'; end if;
    if not ((p ->> 'topic') = any (array['pain_management', 'sleep', 'nutrition', 'movement', 'stress', 'recovery', 'living_with_long_term_pain']::text[])) then return 'bad_enum:topic'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__article_viewed(jsonb) is 'Payload check of consumer.article_viewed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__article_viewed(jsonb) from public, anon, authenticated;

-- event consumer.checkin_logged
create or replace function analytics_private.check_consumer__checkin_logged(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['checkin_kind', 'from_reminder', 'metrics_logged']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'checkin_kind') then return 'missing_property:checkin_kind'; end if;
  if not (p ? 'from_reminder') then return 'missing_property:from_reminder'; end if;
  if not (p ? 'metrics_logged') then return 'missing_property:metrics_logged'; end if;
  if p ? 'checkin_kind' then
    if jsonb_typeof(p -> 'checkin_kind') is distinct from 'string' then return 'wrong_type:checkin_kind'; end if;
    if not ((p ->> 'checkin_kind') = any (array['quick', 'detailed']::text[])) then return 'bad_enum:checkin_kind'; end if;
  end if;
  if p ? 'from_reminder' then
    if jsonb_typeof(p -> 'from_reminder') is distinct from 'boolean' then return 'wrong_type:from_reminder'; end if;
  end if;
  if p ? 'metrics_logged' then
    if jsonb_typeof(p -> 'metrics_logged') is distinct from 'number' then return 'wrong_type:metrics_logged'; end if;
    if ((p ->> 'metrics_logged'))::numeric % 1 <> 0 then return 'wrong_type:metrics_logged'; end if;
    if ((p ->> 'metrics_logged'))::numeric < 1 then return 'out_of_range:metrics_logged'; end if;
    if ((p ->> 'metrics_logged'))::numeric > 20 then return 'out_of_range:metrics_logged'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__checkin_logged(jsonb) is 'Payload check of consumer.checkin_logged: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__checkin_logged(jsonb) from public, anon, authenticated;

-- event consumer.directory_searched
create or replace function analytics_private.check_consumer__directory_searched(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['results_count', 'specialty_filter', 'visit_mode_filter']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'results_count') then return 'missing_property:results_count'; end if;
  if not (p ? 'specialty_filter') then return 'missing_property:specialty_filter'; end if;
  if not (p ? 'visit_mode_filter') then return 'missing_property:visit_mode_filter'; end if;
  if p ? 'results_count' then
    if jsonb_typeof(p -> 'results_count') is distinct from 'number' then return 'wrong_type:results_count'; end if;
    if ((p ->> 'results_count'))::numeric % 1 <> 0 then return 'wrong_type:results_count'; end if;
    if ((p ->> 'results_count'))::numeric < 0 then return 'out_of_range:results_count'; end if;
    if ((p ->> 'results_count'))::numeric > 500 then return 'out_of_range:results_count'; end if;
  end if;
  if p ? 'specialty_filter' then
    if jsonb_typeof(p -> 'specialty_filter') is distinct from 'string' then return 'wrong_type:specialty_filter'; end if;
    if not ((p ->> 'specialty_filter') = any (array['any', 'physiotherapy', 'occupational_therapy', 'chiropractic', 'osteopathy', 'sports_medicine', 'dietetics', 'psychology']::text[])) then return 'bad_enum:specialty_filter'; end if;
  end if;
  if p ? 'visit_mode_filter' then
    if jsonb_typeof(p -> 'visit_mode_filter') is distinct from 'string' then return 'wrong_type:visit_mode_filter'; end if;
    if not ((p ->> 'visit_mode_filter') = any (array['any', 'on_site', 'telehealth']::text[])) then return 'bad_enum:visit_mode_filter'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__directory_searched(jsonb) is 'Payload check of consumer.directory_searched: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__directory_searched(jsonb) from public, anon, authenticated;

-- event consumer.exercise_completed
create or replace function analytics_private.check_consumer__exercise_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['completion_percent', 'duration_seconds', 'exercise_category']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'completion_percent') then return 'missing_property:completion_percent'; end if;
  if not (p ? 'duration_seconds') then return 'missing_property:duration_seconds'; end if;
  if not (p ? 'exercise_category') then return 'missing_property:exercise_category'; end if;
  if p ? 'completion_percent' then
    if jsonb_typeof(p -> 'completion_percent') is distinct from 'number' then return 'wrong_type:completion_percent'; end if;
    if ((p ->> 'completion_percent'))::numeric % 1 <> 0 then return 'wrong_type:completion_percent'; end if;
    if ((p ->> 'completion_percent'))::numeric < 0 then return 'out_of_range:completion_percent'; end if;
    if ((p ->> 'completion_percent'))::numeric > 100 then return 'out_of_range:completion_percent'; end if;
  end if;
  if p ? 'duration_seconds' then
    if jsonb_typeof(p -> 'duration_seconds') is distinct from 'number' then return 'wrong_type:duration_seconds'; end if;
    if ((p ->> 'duration_seconds'))::numeric % 1 <> 0 then return 'wrong_type:duration_seconds'; end if;
    if ((p ->> 'duration_seconds'))::numeric < 0 then return 'out_of_range:duration_seconds'; end if;
    if ((p ->> 'duration_seconds'))::numeric > 7200 then return 'out_of_range:duration_seconds'; end if;
  end if;
  if p ? 'exercise_category' then
    if jsonb_typeof(p -> 'exercise_category') is distinct from 'string' then return 'wrong_type:exercise_category'; end if;
    if not ((p ->> 'exercise_category') = any (array['mobility', 'strength', 'balance', 'breathing', 'stretching', 'relaxation']::text[])) then return 'bad_enum:exercise_category'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__exercise_completed(jsonb) is 'Payload check of consumer.exercise_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__exercise_completed(jsonb) from public, anon, authenticated;

-- event consumer.exercise_started
create or replace function analytics_private.check_consumer__exercise_started(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['difficulty', 'exercise_category', 'source']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'difficulty') then return 'missing_property:difficulty'; end if;
  if not (p ? 'exercise_category') then return 'missing_property:exercise_category'; end if;
  if not (p ? 'source') then return 'missing_property:source'; end if;
  if p ? 'difficulty' then
    if jsonb_typeof(p -> 'difficulty') is distinct from 'string' then return 'wrong_type:difficulty'; end if;
    if not ((p ->> 'difficulty') = any (array['beginner', 'intermediate', 'advanced']::text[])) then return 'bad_enum:difficulty'; end if;
  end if;
  if p ? 'exercise_category' then
    if jsonb_typeof(p -> 'exercise_category') is distinct from 'string' then return 'wrong_type:exercise_category'; end if;
    if not ((p ->> 'exercise_category') = any (array['mobility', 'strength', 'balance', 'breathing', 'stretching', 'relaxation']::text[])) then return 'bad_enum:exercise_category'; end if;
  end if;
  if p ? 'source' then
    if jsonb_typeof(p -> 'source') is distinct from 'string' then return 'wrong_type:source'; end if;
    if not ((p ->> 'source') = any (array['library_browse', 'recommendation', 'home_program', 'goal_plan']::text[])) then return 'bad_enum:source'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__exercise_started(jsonb) is 'Payload check of consumer.exercise_started: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__exercise_started(jsonb) from public, anon, authenticated;

-- event consumer.feature_used
create or replace function analytics_private.check_consumer__feature_used(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['entry_point', 'feature', 'platform']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'entry_point') then return 'missing_property:entry_point'; end if;
  if not (p ? 'feature') then return 'missing_property:feature'; end if;
  if not (p ? 'platform') then return 'missing_property:platform'; end if;
  if p ? 'entry_point' then
    if jsonb_typeof(p -> 'entry_point') is distinct from 'string' then return 'wrong_type:entry_point'; end if;
    if not ((p ->> 'entry_point') = any (array['home_screen', 'navigation_menu', 'push_notification', 'reminder_link', 'deep_link', 'onboarding']::text[])) then return 'bad_enum:entry_point'; end if;
  end if;
  if p ? 'feature' then
    if jsonb_typeof(p -> 'feature') is distinct from 'string' then return 'wrong_type:feature'; end if;
    if not ((p ->> 'feature') = any (array['checkin_tracker', 'exercise_library', 'education_hub', 'reminders', 'goals', 'progress_charts', 'practitioner_directory', 'appointment_booking', 'wearable_sync']::text[])) then return 'bad_enum:feature'; end if;
  end if;
  if p ? 'platform' then
    if jsonb_typeof(p -> 'platform') is distinct from 'string' then return 'wrong_type:platform'; end if;
    if not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then return 'bad_enum:platform'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__feature_used(jsonb) is 'Payload check of consumer.feature_used: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__feature_used(jsonb) from public, anon, authenticated;

-- event consumer.goal_set
create or replace function analytics_private.check_consumer__goal_set(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['goal_area', 'horizon_weeks', 'target_days_per_week']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'goal_area') then return 'missing_property:goal_area'; end if;
  if not (p ? 'horizon_weeks') then return 'missing_property:horizon_weeks'; end if;
  if not (p ? 'target_days_per_week') then return 'missing_property:target_days_per_week'; end if;
  if p ? 'goal_area' then
    if jsonb_typeof(p -> 'goal_area') is distinct from 'string' then return 'wrong_type:goal_area'; end if;
    if not ((p ->> 'goal_area') = any (array['activity', 'sleep', 'mobility', 'stress', 'checkin_streak']::text[])) then return 'bad_enum:goal_area'; end if;
  end if;
  if p ? 'horizon_weeks' then
    if jsonb_typeof(p -> 'horizon_weeks') is distinct from 'number' then return 'wrong_type:horizon_weeks'; end if;
    if ((p ->> 'horizon_weeks'))::numeric % 1 <> 0 then return 'wrong_type:horizon_weeks'; end if;
    if ((p ->> 'horizon_weeks'))::numeric < 1 then return 'out_of_range:horizon_weeks'; end if;
    if ((p ->> 'horizon_weeks'))::numeric > 52 then return 'out_of_range:horizon_weeks'; end if;
  end if;
  if p ? 'target_days_per_week' then
    if jsonb_typeof(p -> 'target_days_per_week') is distinct from 'number' then return 'wrong_type:target_days_per_week'; end if;
    if ((p ->> 'target_days_per_week'))::numeric % 1 <> 0 then return 'wrong_type:target_days_per_week'; end if;
    if ((p ->> 'target_days_per_week'))::numeric < 1 then return 'out_of_range:target_days_per_week'; end if;
    if ((p ->> 'target_days_per_week'))::numeric > 7 then return 'out_of_range:target_days_per_week'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__goal_set(jsonb) is 'Payload check of consumer.goal_set: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__goal_set(jsonb) from public, anon, authenticated;

-- event consumer.progress_chart_viewed
create or replace function analytics_private.check_consumer__progress_chart_viewed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['date_range', 'metric_group']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'date_range') then return 'missing_property:date_range'; end if;
  if not (p ? 'metric_group') then return 'missing_property:metric_group'; end if;
  if p ? 'date_range' then
    if jsonb_typeof(p -> 'date_range') is distinct from 'string' then return 'wrong_type:date_range'; end if;
    if not ((p ->> 'date_range') = any (array['past_7_days', 'past_30_days', 'past_90_days', 'past_12_months']::text[])) then return 'bad_enum:date_range'; end if;
  end if;
  if p ? 'metric_group' then
    if jsonb_typeof(p -> 'metric_group') is distinct from 'string' then return 'wrong_type:metric_group'; end if;
    if not ((p ->> 'metric_group') = any (array['checkins', 'exercise', 'sleep', 'goals']::text[])) then return 'bad_enum:metric_group'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__progress_chart_viewed(jsonb) is 'Payload check of consumer.progress_chart_viewed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__progress_chart_viewed(jsonb) from public, anon, authenticated;

-- event consumer.reminder_scheduled
create or replace function analytics_private.check_consumer__reminder_scheduled(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['cadence', 'channel', 'reminder_kind']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'cadence') then return 'missing_property:cadence'; end if;
  if not (p ? 'channel') then return 'missing_property:channel'; end if;
  if not (p ? 'reminder_kind') then return 'missing_property:reminder_kind'; end if;
  if p ? 'cadence' then
    if jsonb_typeof(p -> 'cadence') is distinct from 'string' then return 'wrong_type:cadence'; end if;
    if not ((p ->> 'cadence') = any (array['daily', 'weekdays', 'weekly']::text[])) then return 'bad_enum:cadence'; end if;
  end if;
  if p ? 'channel' then
    if jsonb_typeof(p -> 'channel') is distinct from 'string' then return 'wrong_type:channel'; end if;
    if not ((p ->> 'channel') = any (array['push', 'in_app']::text[])) then return 'bad_enum:channel'; end if;
  end if;
  if p ? 'reminder_kind' then
    if jsonb_typeof(p -> 'reminder_kind') is distinct from 'string' then return 'wrong_type:reminder_kind'; end if;
    if not ((p ->> 'reminder_kind') = any (array['checkin', 'exercise', 'hydration', 'sleep_routine']::text[])) then return 'bad_enum:reminder_kind'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__reminder_scheduled(jsonb) is 'Payload check of consumer.reminder_scheduled: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__reminder_scheduled(jsonb) from public, anon, authenticated;

-- event consumer.upgrade_prompt_viewed
create or replace function analytics_private.check_consumer__upgrade_prompt_viewed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['offered_tier', 'placement']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'offered_tier') then return 'missing_property:offered_tier'; end if;
  if not (p ? 'placement') then return 'missing_property:placement'; end if;
  if p ? 'offered_tier' then
    if jsonb_typeof(p -> 'offered_tier') is distinct from 'string' then return 'wrong_type:offered_tier'; end if;
    if not ((p ->> 'offered_tier') = any (array['practitioner', 'clinic']::text[])) then return 'bad_enum:offered_tier'; end if;
  end if;
  if p ? 'placement' then
    if jsonb_typeof(p -> 'placement') is distinct from 'string' then return 'wrong_type:placement'; end if;
    if not ((p ->> 'placement') = any (array['feature_limit', 'settings', 'onboarding', 'progress_charts', 'practitioner_directory']::text[])) then return 'bad_enum:placement'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__upgrade_prompt_viewed(jsonb) is 'Payload check of consumer.upgrade_prompt_viewed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__upgrade_prompt_viewed(jsonb) from public, anon, authenticated;

-- event consumer.wearable_connected
create or replace function analytics_private.check_consumer__wearable_connected(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['data_scopes', 'integration']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'data_scopes') then return 'missing_property:data_scopes'; end if;
  if not (p ? 'integration') then return 'missing_property:integration'; end if;
  if p ? 'data_scopes' then
    if jsonb_typeof(p -> 'data_scopes') is distinct from 'array' then return 'wrong_type:data_scopes'; end if;
    if jsonb_array_length(p -> 'data_scopes') > 4 then return 'too_many_items:data_scopes'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'data_scopes') as e) then return 'duplicate_items:data_scopes'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'data_scopes') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:data_scopes'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'data_scopes') as e where not ((e #>> '{}') = any (array['steps', 'heart_rate', 'sleep', 'activity_minutes']::text[]))) then return 'bad_enum:data_scopes'; end if;
  end if;
  if p ? 'integration' then
    if jsonb_typeof(p -> 'integration') is distinct from 'string' then return 'wrong_type:integration'; end if;
    if not ((p ->> 'integration') = any (array['apple_health', 'google_health_connect', 'fitbit', 'garmin', 'oura']::text[])) then return 'bad_enum:integration'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_consumer__wearable_connected(jsonb) is 'Payload check of consumer.wearable_connected: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_consumer__wearable_connected(jsonb) from public, anon, authenticated;

-- event network.alert_configured
create or replace function analytics_private.check_network__alert_configured(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['alert_metric', 'evaluation_cadence', 'threshold_direction']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'alert_metric') then return 'missing_property:alert_metric'; end if;
  if not (p ? 'evaluation_cadence') then return 'missing_property:evaluation_cadence'; end if;
  if not (p ? 'threshold_direction') then return 'missing_property:threshold_direction'; end if;
  if p ? 'alert_metric' then
    if jsonb_typeof(p -> 'alert_metric') is distinct from 'string' then return 'wrong_type:alert_metric'; end if;
    if not ((p ->> 'alert_metric') = any (array['protocol_logging_rate', 'home_program_adherence', 'outcome_improvement', 'time_to_discharge', 'sessions_per_episode', 'seat_utilization']::text[])) then return 'bad_enum:alert_metric'; end if;
  end if;
  if p ? 'evaluation_cadence' then
    if jsonb_typeof(p -> 'evaluation_cadence') is distinct from 'string' then return 'wrong_type:evaluation_cadence'; end if;
    if not ((p ->> 'evaluation_cadence') = any (array['daily', 'weekly']::text[])) then return 'bad_enum:evaluation_cadence'; end if;
  end if;
  if p ? 'threshold_direction' then
    if jsonb_typeof(p -> 'threshold_direction') is distinct from 'string' then return 'wrong_type:threshold_direction'; end if;
    if not ((p ->> 'threshold_direction') = any (array['above', 'below']::text[])) then return 'bad_enum:threshold_direction'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__alert_configured(jsonb) is 'Payload check of network.alert_configured: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__alert_configured(jsonb) from public, anon, authenticated;

-- event network.benchmark_compared
create or replace function analytics_private.check_network__benchmark_compared(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['benchmark_metric', 'comparison']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'benchmark_metric') then return 'missing_property:benchmark_metric'; end if;
  if not (p ? 'comparison') then return 'missing_property:comparison'; end if;
  if p ? 'benchmark_metric' then
    if jsonb_typeof(p -> 'benchmark_metric') is distinct from 'string' then return 'wrong_type:benchmark_metric'; end if;
    if not ((p ->> 'benchmark_metric') = any (array['protocol_logging_rate', 'home_program_adherence', 'outcome_improvement', 'time_to_discharge', 'sessions_per_episode', 'seat_utilization']::text[])) then return 'bad_enum:benchmark_metric'; end if;
  end if;
  if p ? 'comparison' then
    if jsonb_typeof(p -> 'comparison') is distinct from 'string' then return 'wrong_type:comparison'; end if;
    if not ((p ->> 'comparison') = any (array['network_median', 'network_quartiles', 'peer_group']::text[])) then return 'bad_enum:comparison'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__benchmark_compared(jsonb) is 'Payload check of network.benchmark_compared: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__benchmark_compared(jsonb) from public, anon, authenticated;

-- event network.dashboard_viewed
create or replace function analytics_private.check_network__dashboard_viewed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['dashboard', 'date_range', 'sites_in_scope']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'dashboard') then return 'missing_property:dashboard'; end if;
  if not (p ? 'date_range') then return 'missing_property:date_range'; end if;
  if not (p ? 'sites_in_scope') then return 'missing_property:sites_in_scope'; end if;
  if p ? 'dashboard' then
    if jsonb_typeof(p -> 'dashboard') is distinct from 'string' then return 'wrong_type:dashboard'; end if;
    if not ((p ->> 'dashboard') = any (array['network_overview', 'site_comparison', 'protocol_mix', 'workforce', 'growth', 'outcomes']::text[])) then return 'bad_enum:dashboard'; end if;
  end if;
  if p ? 'date_range' then
    if jsonb_typeof(p -> 'date_range') is distinct from 'string' then return 'wrong_type:date_range'; end if;
    if not ((p ->> 'date_range') = any (array['past_30_days', 'past_quarter', 'past_12_months']::text[])) then return 'bad_enum:date_range'; end if;
  end if;
  if p ? 'sites_in_scope' then
    if jsonb_typeof(p -> 'sites_in_scope') is distinct from 'number' then return 'wrong_type:sites_in_scope'; end if;
    if ((p ->> 'sites_in_scope'))::numeric % 1 <> 0 then return 'wrong_type:sites_in_scope'; end if;
    if ((p ->> 'sites_in_scope'))::numeric < 1 then return 'out_of_range:sites_in_scope'; end if;
    if ((p ->> 'sites_in_scope'))::numeric > 5000 then return 'out_of_range:sites_in_scope'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__dashboard_viewed(jsonb) is 'Payload check of network.dashboard_viewed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__dashboard_viewed(jsonb) from public, anon, authenticated;

-- event network.data_sharing_accepted
create or replace function analytics_private.check_network__data_sharing_accepted(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['agreement_version', 'sharing_scope']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'agreement_version') then return 'missing_property:agreement_version'; end if;
  if not (p ? 'sharing_scope') then return 'missing_property:sharing_scope'; end if;
  if p ? 'agreement_version' then
    if jsonb_typeof(p -> 'agreement_version') is distinct from 'string' then return 'wrong_type:agreement_version'; end if;
    if (p ->> 'agreement_version') !~ '^v[0-9]{1,3}$' then return 'bad_pattern:agreement_version'; end if;
  end if;
  if p ? 'sharing_scope' then
    if jsonb_typeof(p -> 'sharing_scope') is distinct from 'string' then return 'wrong_type:sharing_scope'; end if;
    if not ((p ->> 'sharing_scope') = any (array['benchmarks_only', 'benchmarks_and_research']::text[])) then return 'bad_enum:sharing_scope'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__data_sharing_accepted(jsonb) is 'Payload check of network.data_sharing_accepted: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__data_sharing_accepted(jsonb) from public, anon, authenticated;

-- event network.filter_applied
create or replace function analytics_private.check_network__filter_applied(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['dashboard', 'filter_dimension', 'filters_active']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'dashboard') then return 'missing_property:dashboard'; end if;
  if not (p ? 'filter_dimension') then return 'missing_property:filter_dimension'; end if;
  if not (p ? 'filters_active') then return 'missing_property:filters_active'; end if;
  if p ? 'dashboard' then
    if jsonb_typeof(p -> 'dashboard') is distinct from 'string' then return 'wrong_type:dashboard'; end if;
    if not ((p ->> 'dashboard') = any (array['network_overview', 'site_comparison', 'protocol_mix', 'workforce', 'growth', 'outcomes']::text[])) then return 'bad_enum:dashboard'; end if;
  end if;
  if p ? 'filter_dimension' then
    if jsonb_typeof(p -> 'filter_dimension') is distinct from 'string' then return 'wrong_type:filter_dimension'; end if;
    if not ((p ->> 'filter_dimension') = any (array['protocol_category', 'site_size_band', 'plan_tier', 'period', 'region']::text[])) then return 'bad_enum:filter_dimension'; end if;
  end if;
  if p ? 'filters_active' then
    if jsonb_typeof(p -> 'filters_active') is distinct from 'number' then return 'wrong_type:filters_active'; end if;
    if ((p ->> 'filters_active'))::numeric % 1 <> 0 then return 'wrong_type:filters_active'; end if;
    if ((p ->> 'filters_active'))::numeric < 1 then return 'out_of_range:filters_active'; end if;
    if ((p ->> 'filters_active'))::numeric > 20 then return 'out_of_range:filters_active'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__filter_applied(jsonb) is 'Payload check of network.filter_applied: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__filter_applied(jsonb) from public, anon, authenticated;

-- event network.report_exported
create or replace function analytics_private.check_network__report_exported(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['export_format', 'report', 'rows_exported']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'export_format') then return 'missing_property:export_format'; end if;
  if not (p ? 'report') then return 'missing_property:report'; end if;
  if not (p ? 'rows_exported') then return 'missing_property:rows_exported'; end if;
  if p ? 'export_format' then
    if jsonb_typeof(p -> 'export_format') is distinct from 'string' then return 'wrong_type:export_format'; end if;
    if not ((p ->> 'export_format') = any (array['csv', 'xlsx', 'pdf']::text[])) then return 'bad_enum:export_format'; end if;
  end if;
  if p ? 'report' then
    if jsonb_typeof(p -> 'report') is distinct from 'string' then return 'wrong_type:report'; end if;
    if not ((p ->> 'report') = any (array['network_summary', 'site_benchmarks', 'protocol_mix', 'workforce_capacity', 'outcome_trends']::text[])) then return 'bad_enum:report'; end if;
  end if;
  if p ? 'rows_exported' then
    if jsonb_typeof(p -> 'rows_exported') is distinct from 'number' then return 'wrong_type:rows_exported'; end if;
    if ((p ->> 'rows_exported'))::numeric % 1 <> 0 then return 'wrong_type:rows_exported'; end if;
    if ((p ->> 'rows_exported'))::numeric < 0 then return 'out_of_range:rows_exported'; end if;
    if ((p ->> 'rows_exported'))::numeric > 1000000 then return 'out_of_range:rows_exported'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__report_exported(jsonb) is 'Payload check of network.report_exported: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__report_exported(jsonb) from public, anon, authenticated;

-- event network.scheduled_report_created
create or replace function analytics_private.check_network__scheduled_report_created(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['cadence', 'export_format', 'recipients_count', 'report', 'start_date']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'cadence') then return 'missing_property:cadence'; end if;
  if not (p ? 'export_format') then return 'missing_property:export_format'; end if;
  if not (p ? 'recipients_count') then return 'missing_property:recipients_count'; end if;
  if not (p ? 'report') then return 'missing_property:report'; end if;
  if not (p ? 'start_date') then return 'missing_property:start_date'; end if;
  if p ? 'cadence' then
    if jsonb_typeof(p -> 'cadence') is distinct from 'string' then return 'wrong_type:cadence'; end if;
    if not ((p ->> 'cadence') = any (array['weekly', 'monthly', 'quarterly']::text[])) then return 'bad_enum:cadence'; end if;
  end if;
  if p ? 'export_format' then
    if jsonb_typeof(p -> 'export_format') is distinct from 'string' then return 'wrong_type:export_format'; end if;
    if not ((p ->> 'export_format') = any (array['csv', 'xlsx', 'pdf']::text[])) then return 'bad_enum:export_format'; end if;
  end if;
  if p ? 'recipients_count' then
    if jsonb_typeof(p -> 'recipients_count') is distinct from 'number' then return 'wrong_type:recipients_count'; end if;
    if ((p ->> 'recipients_count'))::numeric % 1 <> 0 then return 'wrong_type:recipients_count'; end if;
    if ((p ->> 'recipients_count'))::numeric < 1 then return 'out_of_range:recipients_count'; end if;
    if ((p ->> 'recipients_count'))::numeric > 50 then return 'out_of_range:recipients_count'; end if;
  end if;
  if p ? 'report' then
    if jsonb_typeof(p -> 'report') is distinct from 'string' then return 'wrong_type:report'; end if;
    if not ((p ->> 'report') = any (array['network_summary', 'site_benchmarks', 'protocol_mix', 'workforce_capacity', 'outcome_trends']::text[])) then return 'bad_enum:report'; end if;
  end if;
  if p ? 'start_date' then
    if jsonb_typeof(p -> 'start_date') is distinct from 'string' then return 'wrong_type:start_date'; end if;
    if (p ->> 'start_date') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' or not analytics_private.is_date((p ->> 'start_date')) then return 'bad_format:start_date'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__scheduled_report_created(jsonb) is 'Payload check of network.scheduled_report_created: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__scheduled_report_created(jsonb) from public, anon, authenticated;

-- event network.suppression_notice_shown
create or replace function analytics_private.check_network__suppression_notice_shown(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['dashboard', 'suppressed_cells']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'dashboard') then return 'missing_property:dashboard'; end if;
  if not (p ? 'suppressed_cells') then return 'missing_property:suppressed_cells'; end if;
  if p ? 'dashboard' then
    if jsonb_typeof(p -> 'dashboard') is distinct from 'string' then return 'wrong_type:dashboard'; end if;
    if not ((p ->> 'dashboard') = any (array['network_overview', 'site_comparison', 'protocol_mix', 'workforce', 'growth', 'outcomes']::text[])) then return 'bad_enum:dashboard'; end if;
  end if;
  if p ? 'suppressed_cells' then
    if jsonb_typeof(p -> 'suppressed_cells') is distinct from 'number' then return 'wrong_type:suppressed_cells'; end if;
    if ((p ->> 'suppressed_cells'))::numeric % 1 <> 0 then return 'wrong_type:suppressed_cells'; end if;
    if ((p ->> 'suppressed_cells'))::numeric < 1 then return 'out_of_range:suppressed_cells'; end if;
    if ((p ->> 'suppressed_cells'))::numeric > 10000 then return 'out_of_range:suppressed_cells'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_network__suppression_notice_shown(jsonb) is 'Payload check of network.suppression_notice_shown: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_network__suppression_notice_shown(jsonb) from public, anon, authenticated;

-- event practitioner.availability_published
create or replace function analytics_private.check_practitioner__availability_published(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['appointment_kinds', 'slot_count', 'weeks_ahead']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'appointment_kinds') then return 'missing_property:appointment_kinds'; end if;
  if not (p ? 'slot_count') then return 'missing_property:slot_count'; end if;
  if not (p ? 'weeks_ahead') then return 'missing_property:weeks_ahead'; end if;
  if p ? 'appointment_kinds' then
    if jsonb_typeof(p -> 'appointment_kinds') is distinct from 'array' then return 'wrong_type:appointment_kinds'; end if;
    if jsonb_array_length(p -> 'appointment_kinds') > 3 then return 'too_many_items:appointment_kinds'; end if;
    if jsonb_array_length(p -> 'appointment_kinds') < 1 then return 'too_few_items:appointment_kinds'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'appointment_kinds') as e) then return 'duplicate_items:appointment_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'appointment_kinds') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:appointment_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'appointment_kinds') as e where not ((e #>> '{}') = any (array['initial_assessment', 'follow_up', 'telehealth_consult']::text[]))) then return 'bad_enum:appointment_kinds'; end if;
  end if;
  if p ? 'slot_count' then
    if jsonb_typeof(p -> 'slot_count') is distinct from 'number' then return 'wrong_type:slot_count'; end if;
    if ((p ->> 'slot_count'))::numeric % 1 <> 0 then return 'wrong_type:slot_count'; end if;
    if ((p ->> 'slot_count'))::numeric < 1 then return 'out_of_range:slot_count'; end if;
    if ((p ->> 'slot_count'))::numeric > 500 then return 'out_of_range:slot_count'; end if;
  end if;
  if p ? 'weeks_ahead' then
    if jsonb_typeof(p -> 'weeks_ahead') is distinct from 'number' then return 'wrong_type:weeks_ahead'; end if;
    if ((p ->> 'weeks_ahead'))::numeric % 1 <> 0 then return 'wrong_type:weeks_ahead'; end if;
    if ((p ->> 'weeks_ahead'))::numeric < 1 then return 'out_of_range:weeks_ahead'; end if;
    if ((p ->> 'weeks_ahead'))::numeric > 12 then return 'out_of_range:weeks_ahead'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__availability_published(jsonb) is 'Payload check of practitioner.availability_published: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__availability_published(jsonb) from public, anon, authenticated;

-- event practitioner.dashboard_viewed
create or replace function analytics_private.check_practitioner__dashboard_viewed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['dashboard_view']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'dashboard_view') then return 'missing_property:dashboard_view'; end if;
  if p ? 'dashboard_view' then
    if jsonb_typeof(p -> 'dashboard_view') is distinct from 'string' then return 'wrong_type:dashboard_view'; end if;
    if not ((p ->> 'dashboard_view') = any (array['today', 'this_week', 'overdue_follow_ups', 'home_program_adherence', 'outcome_trends']::text[])) then return 'bad_enum:dashboard_view'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__dashboard_viewed(jsonb) is 'Payload check of practitioner.dashboard_viewed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__dashboard_viewed(jsonb) from public, anon, authenticated;

-- event practitioner.home_program_assigned
create or replace function analytics_private.check_practitioner__home_program_assigned(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['delivery_channel', 'exercise_count', 'program_weeks']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'delivery_channel') then return 'missing_property:delivery_channel'; end if;
  if not (p ? 'exercise_count') then return 'missing_property:exercise_count'; end if;
  if not (p ? 'program_weeks') then return 'missing_property:program_weeks'; end if;
  if p ? 'delivery_channel' then
    if jsonb_typeof(p -> 'delivery_channel') is distinct from 'string' then return 'wrong_type:delivery_channel'; end if;
    if not ((p ->> 'delivery_channel') = any (array['in_app', 'printable_pdf', 'both']::text[])) then return 'bad_enum:delivery_channel'; end if;
  end if;
  if p ? 'exercise_count' then
    if jsonb_typeof(p -> 'exercise_count') is distinct from 'number' then return 'wrong_type:exercise_count'; end if;
    if ((p ->> 'exercise_count'))::numeric % 1 <> 0 then return 'wrong_type:exercise_count'; end if;
    if ((p ->> 'exercise_count'))::numeric < 1 then return 'out_of_range:exercise_count'; end if;
    if ((p ->> 'exercise_count'))::numeric > 50 then return 'out_of_range:exercise_count'; end if;
  end if;
  if p ? 'program_weeks' then
    if jsonb_typeof(p -> 'program_weeks') is distinct from 'number' then return 'wrong_type:program_weeks'; end if;
    if ((p ->> 'program_weeks'))::numeric % 1 <> 0 then return 'wrong_type:program_weeks'; end if;
    if ((p ->> 'program_weeks'))::numeric < 1 then return 'out_of_range:program_weeks'; end if;
    if ((p ->> 'program_weeks'))::numeric > 52 then return 'out_of_range:program_weeks'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__home_program_assigned(jsonb) is 'Payload check of practitioner.home_program_assigned: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__home_program_assigned(jsonb) from public, anon, authenticated;

-- event practitioner.outcome_measure_recorded
create or replace function analytics_private.check_practitioner__outcome_measure_recorded(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['administration', 'instrument', 'timepoint']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'administration') then return 'missing_property:administration'; end if;
  if not (p ? 'instrument') then return 'missing_property:instrument'; end if;
  if not (p ? 'timepoint') then return 'missing_property:timepoint'; end if;
  if p ? 'administration' then
    if jsonb_typeof(p -> 'administration') is distinct from 'string' then return 'wrong_type:administration'; end if;
    if not ((p ->> 'administration') = any (array['in_clinic', 'remote_link']::text[])) then return 'bad_enum:administration'; end if;
  end if;
  if p ? 'instrument' then
    if jsonb_typeof(p -> 'instrument') is distinct from 'string' then return 'wrong_type:instrument'; end if;
    if not ((p ->> 'instrument') = any (array['psfs', 'odi', 'ndi', 'koos', 'hoos', 'quickdash', 'nprs', 'promis_global_10', 'dhi']::text[])) then return 'bad_enum:instrument'; end if;
  end if;
  if p ? 'timepoint' then
    if jsonb_typeof(p -> 'timepoint') is distinct from 'string' then return 'wrong_type:timepoint'; end if;
    if not ((p ->> 'timepoint') = any (array['baseline', 'interim', 'discharge', 'follow_up']::text[])) then return 'bad_enum:timepoint'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__outcome_measure_recorded(jsonb) is 'Payload check of practitioner.outcome_measure_recorded: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__outcome_measure_recorded(jsonb) from public, anon, authenticated;

-- event practitioner.progress_report_generated
create or replace function analytics_private.check_practitioner__progress_report_generated(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['output_format', 'report_kind', 'sessions_covered']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'output_format') then return 'missing_property:output_format'; end if;
  if not (p ? 'report_kind') then return 'missing_property:report_kind'; end if;
  if not (p ? 'sessions_covered') then return 'missing_property:sessions_covered'; end if;
  if p ? 'output_format' then
    if jsonb_typeof(p -> 'output_format') is distinct from 'string' then return 'wrong_type:output_format'; end if;
    if not ((p ->> 'output_format') = any (array['pdf', 'docx']::text[])) then return 'bad_enum:output_format'; end if;
  end if;
  if p ? 'report_kind' then
    if jsonb_typeof(p -> 'report_kind') is distinct from 'string' then return 'wrong_type:report_kind'; end if;
    if not ((p ->> 'report_kind') = any (array['progress', 'discharge', 'referral_summary']::text[])) then return 'bad_enum:report_kind'; end if;
  end if;
  if p ? 'sessions_covered' then
    if jsonb_typeof(p -> 'sessions_covered') is distinct from 'number' then return 'wrong_type:sessions_covered'; end if;
    if ((p ->> 'sessions_covered'))::numeric % 1 <> 0 then return 'wrong_type:sessions_covered'; end if;
    if ((p ->> 'sessions_covered'))::numeric < 0 then return 'out_of_range:sessions_covered'; end if;
    if ((p ->> 'sessions_covered'))::numeric > 500 then return 'out_of_range:sessions_covered'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__progress_report_generated(jsonb) is 'Payload check of practitioner.progress_report_generated: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__progress_report_generated(jsonb) from public, anon, authenticated;

-- event practitioner.protocol_created
create or replace function analytics_private.check_practitioner__protocol_created(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['origin', 'protocol_category', 'protocol_id', 'step_count']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'origin') then return 'missing_property:origin'; end if;
  if not (p ? 'protocol_category') then return 'missing_property:protocol_category'; end if;
  if not (p ? 'protocol_id') then return 'missing_property:protocol_id'; end if;
  if not (p ? 'step_count') then return 'missing_property:step_count'; end if;
  if p ? 'origin' then
    if jsonb_typeof(p -> 'origin') is distinct from 'string' then return 'wrong_type:origin'; end if;
    if not ((p ->> 'origin') = any (array['blank', 'platform_library', 'duplicated', 'clinic_shared']::text[])) then return 'bad_enum:origin'; end if;
  end if;
  if p ? 'protocol_category' then
    if jsonb_typeof(p -> 'protocol_category') is distinct from 'string' then return 'wrong_type:protocol_category'; end if;
    if not ((p ->> 'protocol_category') = any (array['musculoskeletal', 'neurological', 'post_surgical', 'sports_rehab', 'persistent_pain', 'pelvic_health', 'cardiopulmonary', 'vestibular']::text[])) then return 'bad_enum:protocol_category'; end if;
  end if;
  if p ? 'protocol_id' then
    if jsonb_typeof(p -> 'protocol_id') is distinct from 'string' then return 'wrong_type:protocol_id'; end if;
    if (p ->> 'protocol_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then return 'bad_format:protocol_id'; end if;
  end if;
  if p ? 'step_count' then
    if jsonb_typeof(p -> 'step_count') is distinct from 'number' then return 'wrong_type:step_count'; end if;
    if ((p ->> 'step_count'))::numeric % 1 <> 0 then return 'wrong_type:step_count'; end if;
    if ((p ->> 'step_count'))::numeric < 1 then return 'out_of_range:step_count'; end if;
    if ((p ->> 'step_count'))::numeric > 100 then return 'out_of_range:step_count'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__protocol_created(jsonb) is 'Payload check of practitioner.protocol_created: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__protocol_created(jsonb) from public, anon, authenticated;

-- event practitioner.protocol_edited
create or replace function analytics_private.check_practitioner__protocol_edited(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['change_kinds', 'protocol_id', 'template_version']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'change_kinds') then return 'missing_property:change_kinds'; end if;
  if not (p ? 'protocol_id') then return 'missing_property:protocol_id'; end if;
  if not (p ? 'template_version') then return 'missing_property:template_version'; end if;
  if p ? 'change_kinds' then
    if jsonb_typeof(p -> 'change_kinds') is distinct from 'array' then return 'wrong_type:change_kinds'; end if;
    if jsonb_array_length(p -> 'change_kinds') > 5 then return 'too_many_items:change_kinds'; end if;
    if jsonb_array_length(p -> 'change_kinds') < 1 then return 'too_few_items:change_kinds'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'change_kinds') as e) then return 'duplicate_items:change_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'change_kinds') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:change_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'change_kinds') as e where not ((e #>> '{}') = any (array['steps_added', 'steps_removed', 'steps_reordered', 'dosage_adjusted', 'category_changed']::text[]))) then return 'bad_enum:change_kinds'; end if;
  end if;
  if p ? 'protocol_id' then
    if jsonb_typeof(p -> 'protocol_id') is distinct from 'string' then return 'wrong_type:protocol_id'; end if;
    if (p ->> 'protocol_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then return 'bad_format:protocol_id'; end if;
  end if;
  if p ? 'template_version' then
    if jsonb_typeof(p -> 'template_version') is distinct from 'number' then return 'wrong_type:template_version'; end if;
    if ((p ->> 'template_version'))::numeric % 1 <> 0 then return 'wrong_type:template_version'; end if;
    if ((p ->> 'template_version'))::numeric < 2 then return 'out_of_range:template_version'; end if;
    if ((p ->> 'template_version'))::numeric > 1000 then return 'out_of_range:template_version'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__protocol_edited(jsonb) is 'Payload check of practitioner.protocol_edited: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__protocol_edited(jsonb) from public, anon, authenticated;

-- event practitioner.protocol_logged
create or replace function analytics_private.check_practitioner__protocol_logged(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['logging_mode', 'protocol_category', 'protocol_id', 'session_minutes', 'steps_completed', 'visit_mode']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'logging_mode') then return 'missing_property:logging_mode'; end if;
  if not (p ? 'protocol_category') then return 'missing_property:protocol_category'; end if;
  if not (p ? 'protocol_id') then return 'missing_property:protocol_id'; end if;
  if not (p ? 'session_minutes') then return 'missing_property:session_minutes'; end if;
  if not (p ? 'steps_completed') then return 'missing_property:steps_completed'; end if;
  if not (p ? 'visit_mode') then return 'missing_property:visit_mode'; end if;
  if p ? 'logging_mode' then
    if jsonb_typeof(p -> 'logging_mode') is distinct from 'string' then return 'wrong_type:logging_mode'; end if;
    if not ((p ->> 'logging_mode') = any (array['live', 'after_session', 'bulk_import']::text[])) then return 'bad_enum:logging_mode'; end if;
  end if;
  if p ? 'protocol_category' then
    if jsonb_typeof(p -> 'protocol_category') is distinct from 'string' then return 'wrong_type:protocol_category'; end if;
    if not ((p ->> 'protocol_category') = any (array['musculoskeletal', 'neurological', 'post_surgical', 'sports_rehab', 'persistent_pain', 'pelvic_health', 'cardiopulmonary', 'vestibular']::text[])) then return 'bad_enum:protocol_category'; end if;
  end if;
  if p ? 'protocol_id' then
    if jsonb_typeof(p -> 'protocol_id') is distinct from 'string' then return 'wrong_type:protocol_id'; end if;
    if (p ->> 'protocol_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then return 'bad_format:protocol_id'; end if;
  end if;
  if p ? 'session_minutes' then
    if jsonb_typeof(p -> 'session_minutes') is distinct from 'number' then return 'wrong_type:session_minutes'; end if;
    if ((p ->> 'session_minutes'))::numeric % 1 <> 0 then return 'wrong_type:session_minutes'; end if;
    if ((p ->> 'session_minutes'))::numeric < 0 then return 'out_of_range:session_minutes'; end if;
    if ((p ->> 'session_minutes'))::numeric > 480 then return 'out_of_range:session_minutes'; end if;
  end if;
  if p ? 'steps_completed' then
    if jsonb_typeof(p -> 'steps_completed') is distinct from 'number' then return 'wrong_type:steps_completed'; end if;
    if ((p ->> 'steps_completed'))::numeric % 1 <> 0 then return 'wrong_type:steps_completed'; end if;
    if ((p ->> 'steps_completed'))::numeric < 0 then return 'out_of_range:steps_completed'; end if;
    if ((p ->> 'steps_completed'))::numeric > 100 then return 'out_of_range:steps_completed'; end if;
  end if;
  if p ? 'visit_mode' then
    if jsonb_typeof(p -> 'visit_mode') is distinct from 'string' then return 'wrong_type:visit_mode'; end if;
    if not ((p ->> 'visit_mode') = any (array['on_site', 'telehealth']::text[])) then return 'bad_enum:visit_mode'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__protocol_logged(jsonb) is 'Payload check of practitioner.protocol_logged: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__protocol_logged(jsonb) from public, anon, authenticated;

-- event practitioner.subscription_cancelled
create or replace function analytics_private.check_practitioner__subscription_cancelled(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['cancel_reason', 'tenure_months']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'cancel_reason') then return 'missing_property:cancel_reason'; end if;
  if not (p ? 'tenure_months') then return 'missing_property:tenure_months'; end if;
  if p ? 'cancel_reason' then
    if jsonb_typeof(p -> 'cancel_reason') is distinct from 'string' then return 'wrong_type:cancel_reason'; end if;
    if not ((p ->> 'cancel_reason') = any (array['too_expensive', 'missing_features', 'switched_product', 'practice_closed', 'moved_to_clinic_plan', 'other']::text[])) then return 'bad_enum:cancel_reason'; end if;
  end if;
  if p ? 'tenure_months' then
    if jsonb_typeof(p -> 'tenure_months') is distinct from 'number' then return 'wrong_type:tenure_months'; end if;
    if ((p ->> 'tenure_months'))::numeric % 1 <> 0 then return 'wrong_type:tenure_months'; end if;
    if ((p ->> 'tenure_months'))::numeric < 0 then return 'out_of_range:tenure_months'; end if;
    if ((p ->> 'tenure_months'))::numeric > 240 then return 'out_of_range:tenure_months'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__subscription_cancelled(jsonb) is 'Payload check of practitioner.subscription_cancelled: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__subscription_cancelled(jsonb) from public, anon, authenticated;

-- event practitioner.trial_converted
create or replace function analytics_private.check_practitioner__trial_converted(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['billing_interval', 'days_into_trial']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'billing_interval') then return 'missing_property:billing_interval'; end if;
  if not (p ? 'days_into_trial') then return 'missing_property:days_into_trial'; end if;
  if p ? 'billing_interval' then
    if jsonb_typeof(p -> 'billing_interval') is distinct from 'string' then return 'wrong_type:billing_interval'; end if;
    if not ((p ->> 'billing_interval') = any (array['monthly', 'annual']::text[])) then return 'bad_enum:billing_interval'; end if;
  end if;
  if p ? 'days_into_trial' then
    if jsonb_typeof(p -> 'days_into_trial') is distinct from 'number' then return 'wrong_type:days_into_trial'; end if;
    if ((p ->> 'days_into_trial'))::numeric % 1 <> 0 then return 'wrong_type:days_into_trial'; end if;
    if ((p ->> 'days_into_trial'))::numeric < 0 then return 'out_of_range:days_into_trial'; end if;
    if ((p ->> 'days_into_trial'))::numeric > 60 then return 'out_of_range:days_into_trial'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__trial_converted(jsonb) is 'Payload check of practitioner.trial_converted: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__trial_converted(jsonb) from public, anon, authenticated;

-- event practitioner.trial_expired
create or replace function analytics_private.check_practitioner__trial_expired(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['active_trial_days', 'protocols_logged_count']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'active_trial_days') then return 'missing_property:active_trial_days'; end if;
  if not (p ? 'protocols_logged_count') then return 'missing_property:protocols_logged_count'; end if;
  if p ? 'active_trial_days' then
    if jsonb_typeof(p -> 'active_trial_days') is distinct from 'number' then return 'wrong_type:active_trial_days'; end if;
    if ((p ->> 'active_trial_days'))::numeric % 1 <> 0 then return 'wrong_type:active_trial_days'; end if;
    if ((p ->> 'active_trial_days'))::numeric < 0 then return 'out_of_range:active_trial_days'; end if;
    if ((p ->> 'active_trial_days'))::numeric > 60 then return 'out_of_range:active_trial_days'; end if;
  end if;
  if p ? 'protocols_logged_count' then
    if jsonb_typeof(p -> 'protocols_logged_count') is distinct from 'number' then return 'wrong_type:protocols_logged_count'; end if;
    if ((p ->> 'protocols_logged_count'))::numeric % 1 <> 0 then return 'wrong_type:protocols_logged_count'; end if;
    if ((p ->> 'protocols_logged_count'))::numeric < 0 then return 'out_of_range:protocols_logged_count'; end if;
    if ((p ->> 'protocols_logged_count'))::numeric > 10000 then return 'out_of_range:protocols_logged_count'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__trial_expired(jsonb) is 'Payload check of practitioner.trial_expired: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__trial_expired(jsonb) from public, anon, authenticated;

-- event practitioner.trial_started
create or replace function analytics_private.check_practitioner__trial_started(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['billing_interval', 'entry_point', 'trial_length_days']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'billing_interval') then return 'missing_property:billing_interval'; end if;
  if not (p ? 'entry_point') then return 'missing_property:entry_point'; end if;
  if not (p ? 'trial_length_days') then return 'missing_property:trial_length_days'; end if;
  if p ? 'billing_interval' then
    if jsonb_typeof(p -> 'billing_interval') is distinct from 'string' then return 'wrong_type:billing_interval'; end if;
    if not ((p ->> 'billing_interval') = any (array['monthly', 'annual']::text[])) then return 'bad_enum:billing_interval'; end if;
  end if;
  if p ? 'entry_point' then
    if jsonb_typeof(p -> 'entry_point') is distinct from 'string' then return 'wrong_type:entry_point'; end if;
    if not ((p ->> 'entry_point') = any (array['upgrade_prompt', 'pricing_page', 'onboarding', 'sales_assisted', 'colleague_referral']::text[])) then return 'bad_enum:entry_point'; end if;
  end if;
  if p ? 'trial_length_days' then
    if jsonb_typeof(p -> 'trial_length_days') is distinct from 'number' then return 'wrong_type:trial_length_days'; end if;
    if ((p ->> 'trial_length_days'))::numeric % 1 <> 0 then return 'wrong_type:trial_length_days'; end if;
    if ((p ->> 'trial_length_days'))::numeric < 1 then return 'out_of_range:trial_length_days'; end if;
    if ((p ->> 'trial_length_days'))::numeric > 60 then return 'out_of_range:trial_length_days'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_practitioner__trial_started(jsonb) is 'Payload check of practitioner.trial_started: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_practitioner__trial_started(jsonb) from public, anon, authenticated;

-- event system.api_request_completed
create or replace function analytics_private.check_system__api_request_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['cache_hit', 'duration_ms', 'endpoint', 'method', 'response_bytes', 'status_class']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'duration_ms') then return 'missing_property:duration_ms'; end if;
  if not (p ? 'endpoint') then return 'missing_property:endpoint'; end if;
  if not (p ? 'method') then return 'missing_property:method'; end if;
  if not (p ? 'status_class') then return 'missing_property:status_class'; end if;
  if p ? 'cache_hit' then
    if jsonb_typeof(p -> 'cache_hit') is distinct from 'boolean' then return 'wrong_type:cache_hit'; end if;
  end if;
  if p ? 'duration_ms' then
    if jsonb_typeof(p -> 'duration_ms') is distinct from 'number' then return 'wrong_type:duration_ms'; end if;
    if ((p ->> 'duration_ms'))::numeric % 1 <> 0 then return 'wrong_type:duration_ms'; end if;
    if ((p ->> 'duration_ms'))::numeric < 0 then return 'out_of_range:duration_ms'; end if;
    if ((p ->> 'duration_ms'))::numeric > 600000 then return 'out_of_range:duration_ms'; end if;
  end if;
  if p ? 'endpoint' then
    if jsonb_typeof(p -> 'endpoint') is distinct from 'string' then return 'wrong_type:endpoint'; end if;
    if not ((p ->> 'endpoint') = any (array['track_events', 'auth_session', 'checkins', 'exercise_library', 'directory_search', 'appointments', 'protocols', 'protocol_logs', 'reports', 'clinic_members', 'clinic_dashboards', 'network_dashboards', 'network_exports']::text[])) then return 'bad_enum:endpoint'; end if;
  end if;
  if p ? 'method' then
    if jsonb_typeof(p -> 'method') is distinct from 'string' then return 'wrong_type:method'; end if;
    if not ((p ->> 'method') = any (array['get', 'post', 'patch', 'delete']::text[])) then return 'bad_enum:method'; end if;
  end if;
  if p ? 'response_bytes' then
    if jsonb_typeof(p -> 'response_bytes') is distinct from 'number' then return 'wrong_type:response_bytes'; end if;
    if ((p ->> 'response_bytes'))::numeric % 1 <> 0 then return 'wrong_type:response_bytes'; end if;
    if ((p ->> 'response_bytes'))::numeric < 0 then return 'out_of_range:response_bytes'; end if;
    if ((p ->> 'response_bytes'))::numeric > 104857600 then return 'out_of_range:response_bytes'; end if;
  end if;
  if p ? 'status_class' then
    if jsonb_typeof(p -> 'status_class') is distinct from 'string' then return 'wrong_type:status_class'; end if;
    if not ((p ->> 'status_class') = any (array['success', 'redirect', 'client_error', 'server_error']::text[])) then return 'bad_enum:status_class'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__api_request_completed(jsonb) is 'Payload check of system.api_request_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__api_request_completed(jsonb) from public, anon, authenticated;

-- event system.credential_reset_completed
create or replace function analytics_private.check_system__credential_reset_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['reset_trigger']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'reset_trigger') then return 'missing_property:reset_trigger'; end if;
  if p ? 'reset_trigger' then
    if jsonb_typeof(p -> 'reset_trigger') is distinct from 'string' then return 'wrong_type:reset_trigger'; end if;
    if not ((p ->> 'reset_trigger') = any (array['forgotten', 'expiry_policy', 'admin_forced', 'breach_precaution']::text[])) then return 'bad_enum:reset_trigger'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__credential_reset_completed(jsonb) is 'Payload check of system.credential_reset_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__credential_reset_completed(jsonb) from public, anon, authenticated;

-- event system.error_occurred
create or replace function analytics_private.check_system__error_occurred(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['app_version', 'error_code', 'http_status', 'recoverable', 'severity', 'surface']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'app_version') then return 'missing_property:app_version'; end if;
  if not (p ? 'error_code') then return 'missing_property:error_code'; end if;
  if not (p ? 'recoverable') then return 'missing_property:recoverable'; end if;
  if not (p ? 'severity') then return 'missing_property:severity'; end if;
  if not (p ? 'surface') then return 'missing_property:surface'; end if;
  if p ? 'app_version' then
    if jsonb_typeof(p -> 'app_version') is distinct from 'string' then return 'wrong_type:app_version'; end if;
    if (p ->> 'app_version') !~ '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,4}$' then return 'bad_pattern:app_version'; end if;
  end if;
  if p ? 'error_code' then
    if jsonb_typeof(p -> 'error_code') is distinct from 'string' then return 'wrong_type:error_code'; end if;
    if not ((p ->> 'error_code') = any (array['network_timeout', 'offline', 'server_error', 'validation_failed', 'permission_denied', 'rate_limited', 'sync_conflict', 'upload_failed', 'payment_declined', 'integration_unavailable', 'client_crash', 'unknown_error']::text[])) then return 'bad_enum:error_code'; end if;
  end if;
  if p ? 'http_status' then
    if jsonb_typeof(p -> 'http_status') is distinct from 'number' then return 'wrong_type:http_status'; end if;
    if ((p ->> 'http_status'))::numeric % 1 <> 0 then return 'wrong_type:http_status'; end if;
    if ((p ->> 'http_status'))::numeric < 100 then return 'out_of_range:http_status'; end if;
    if ((p ->> 'http_status'))::numeric > 599 then return 'out_of_range:http_status'; end if;
  end if;
  if p ? 'recoverable' then
    if jsonb_typeof(p -> 'recoverable') is distinct from 'boolean' then return 'wrong_type:recoverable'; end if;
  end if;
  if p ? 'severity' then
    if jsonb_typeof(p -> 'severity') is distinct from 'string' then return 'wrong_type:severity'; end if;
    if not ((p ->> 'severity') = any (array['warning', 'error', 'fatal']::text[])) then return 'bad_enum:severity'; end if;
  end if;
  if p ? 'surface' then
    if jsonb_typeof(p -> 'surface') is distinct from 'string' then return 'wrong_type:surface'; end if;
    if not ((p ->> 'surface') = any (array['web', 'ios', 'android', 'api']::text[])) then return 'bad_enum:surface'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__error_occurred(jsonb) is 'Payload check of system.error_occurred: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__error_occurred(jsonb) from public, anon, authenticated;

-- event system.login_failed
create or replace function analytics_private.check_system__login_failed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['attempt_number', 'auth_method', 'failure_reason']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'attempt_number') then return 'missing_property:attempt_number'; end if;
  if not (p ? 'auth_method') then return 'missing_property:auth_method'; end if;
  if not (p ? 'failure_reason') then return 'missing_property:failure_reason'; end if;
  if p ? 'attempt_number' then
    if jsonb_typeof(p -> 'attempt_number') is distinct from 'number' then return 'wrong_type:attempt_number'; end if;
    if ((p ->> 'attempt_number'))::numeric % 1 <> 0 then return 'wrong_type:attempt_number'; end if;
    if ((p ->> 'attempt_number'))::numeric < 1 then return 'out_of_range:attempt_number'; end if;
    if ((p ->> 'attempt_number'))::numeric > 20 then return 'out_of_range:attempt_number'; end if;
  end if;
  if p ? 'auth_method' then
    if jsonb_typeof(p -> 'auth_method') is distinct from 'string' then return 'wrong_type:auth_method'; end if;
    if not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'apple_sso', 'microsoft_sso', 'saml_sso', 'magic_link']::text[])) then return 'bad_enum:auth_method'; end if;
  end if;
  if p ? 'failure_reason' then
    if jsonb_typeof(p -> 'failure_reason') is distinct from 'string' then return 'wrong_type:failure_reason'; end if;
    if not ((p ->> 'failure_reason') = any (array['invalid_credentials', 'mfa_failed', 'mfa_timeout', 'locked_out', 'sso_error', 'expired_link', 'plan_suspended']::text[])) then return 'bad_enum:failure_reason'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__login_failed(jsonb) is 'Payload check of system.login_failed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__login_failed(jsonb) from public, anon, authenticated;

-- event system.login_succeeded
create or replace function analytics_private.check_system__login_succeeded(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['auth_method', 'mfa_used', 'platform']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'auth_method') then return 'missing_property:auth_method'; end if;
  if not (p ? 'mfa_used') then return 'missing_property:mfa_used'; end if;
  if not (p ? 'platform') then return 'missing_property:platform'; end if;
  if p ? 'auth_method' then
    if jsonb_typeof(p -> 'auth_method') is distinct from 'string' then return 'wrong_type:auth_method'; end if;
    if not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'apple_sso', 'microsoft_sso', 'saml_sso', 'magic_link']::text[])) then return 'bad_enum:auth_method'; end if;
  end if;
  if p ? 'mfa_used' then
    if jsonb_typeof(p -> 'mfa_used') is distinct from 'boolean' then return 'wrong_type:mfa_used'; end if;
  end if;
  if p ? 'platform' then
    if jsonb_typeof(p -> 'platform') is distinct from 'string' then return 'wrong_type:platform'; end if;
    if not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then return 'bad_enum:platform'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__login_succeeded(jsonb) is 'Payload check of system.login_succeeded: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__login_succeeded(jsonb) from public, anon, authenticated;

-- event system.logout_completed
create or replace function analytics_private.check_system__logout_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['logout_trigger', 'session_minutes']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'logout_trigger') then return 'missing_property:logout_trigger'; end if;
  if not (p ? 'session_minutes') then return 'missing_property:session_minutes'; end if;
  if p ? 'logout_trigger' then
    if jsonb_typeof(p -> 'logout_trigger') is distinct from 'string' then return 'wrong_type:logout_trigger'; end if;
    if not ((p ->> 'logout_trigger') = any (array['manual', 'idle_timeout', 'session_revoked', 'credential_reset']::text[])) then return 'bad_enum:logout_trigger'; end if;
  end if;
  if p ? 'session_minutes' then
    if jsonb_typeof(p -> 'session_minutes') is distinct from 'number' then return 'wrong_type:session_minutes'; end if;
    if ((p ->> 'session_minutes'))::numeric % 1 <> 0 then return 'wrong_type:session_minutes'; end if;
    if ((p ->> 'session_minutes'))::numeric < 0 then return 'out_of_range:session_minutes'; end if;
    if ((p ->> 'session_minutes'))::numeric > 10080 then return 'out_of_range:session_minutes'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__logout_completed(jsonb) is 'Payload check of system.logout_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__logout_completed(jsonb) from public, anon, authenticated;

-- event system.mfa_enrolled
create or replace function analytics_private.check_system__mfa_enrolled(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['mfa_factor', 'required_by_policy']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'mfa_factor') then return 'missing_property:mfa_factor'; end if;
  if not (p ? 'required_by_policy') then return 'missing_property:required_by_policy'; end if;
  if p ? 'mfa_factor' then
    if jsonb_typeof(p -> 'mfa_factor') is distinct from 'string' then return 'wrong_type:mfa_factor'; end if;
    if not ((p ->> 'mfa_factor') = any (array['totp', 'webauthn', 'sms_code']::text[])) then return 'bad_enum:mfa_factor'; end if;
  end if;
  if p ? 'required_by_policy' then
    if jsonb_typeof(p -> 'required_by_policy') is distinct from 'boolean' then return 'wrong_type:required_by_policy'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__mfa_enrolled(jsonb) is 'Payload check of system.mfa_enrolled: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__mfa_enrolled(jsonb) from public, anon, authenticated;

-- event system.offline_sync_completed
create or replace function analytics_private.check_system__offline_sync_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['conflicts', 'platform', 'queued_actions', 'sync_ms']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'conflicts') then return 'missing_property:conflicts'; end if;
  if not (p ? 'platform') then return 'missing_property:platform'; end if;
  if not (p ? 'queued_actions') then return 'missing_property:queued_actions'; end if;
  if not (p ? 'sync_ms') then return 'missing_property:sync_ms'; end if;
  if p ? 'conflicts' then
    if jsonb_typeof(p -> 'conflicts') is distinct from 'number' then return 'wrong_type:conflicts'; end if;
    if ((p ->> 'conflicts'))::numeric % 1 <> 0 then return 'wrong_type:conflicts'; end if;
    if ((p ->> 'conflicts'))::numeric < 0 then return 'out_of_range:conflicts'; end if;
    if ((p ->> 'conflicts'))::numeric > 10000 then return 'out_of_range:conflicts'; end if;
  end if;
  if p ? 'platform' then
    if jsonb_typeof(p -> 'platform') is distinct from 'string' then return 'wrong_type:platform'; end if;
    if not ((p ->> 'platform') = any (array['ios', 'android']::text[])) then return 'bad_enum:platform'; end if;
  end if;
  if p ? 'queued_actions' then
    if jsonb_typeof(p -> 'queued_actions') is distinct from 'number' then return 'wrong_type:queued_actions'; end if;
    if ((p ->> 'queued_actions'))::numeric % 1 <> 0 then return 'wrong_type:queued_actions'; end if;
    if ((p ->> 'queued_actions'))::numeric < 0 then return 'out_of_range:queued_actions'; end if;
    if ((p ->> 'queued_actions'))::numeric > 10000 then return 'out_of_range:queued_actions'; end if;
  end if;
  if p ? 'sync_ms' then
    if jsonb_typeof(p -> 'sync_ms') is distinct from 'number' then return 'wrong_type:sync_ms'; end if;
    if ((p ->> 'sync_ms'))::numeric % 1 <> 0 then return 'wrong_type:sync_ms'; end if;
    if ((p ->> 'sync_ms'))::numeric < 0 then return 'out_of_range:sync_ms'; end if;
    if ((p ->> 'sync_ms'))::numeric > 600000 then return 'out_of_range:sync_ms'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__offline_sync_completed(jsonb) is 'Payload check of system.offline_sync_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__offline_sync_completed(jsonb) from public, anon, authenticated;

-- event system.screen_loaded
create or replace function analytics_private.check_system__screen_loaded(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['cold_start', 'load_ms', 'platform', 'screen']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'cold_start') then return 'missing_property:cold_start'; end if;
  if not (p ? 'load_ms') then return 'missing_property:load_ms'; end if;
  if not (p ? 'platform') then return 'missing_property:platform'; end if;
  if not (p ? 'screen') then return 'missing_property:screen'; end if;
  if p ? 'cold_start' then
    if jsonb_typeof(p -> 'cold_start') is distinct from 'boolean' then return 'wrong_type:cold_start'; end if;
  end if;
  if p ? 'load_ms' then
    if jsonb_typeof(p -> 'load_ms') is distinct from 'number' then return 'wrong_type:load_ms'; end if;
    if ((p ->> 'load_ms'))::numeric % 1 <> 0 then return 'wrong_type:load_ms'; end if;
    if ((p ->> 'load_ms'))::numeric < 0 then return 'out_of_range:load_ms'; end if;
    if ((p ->> 'load_ms'))::numeric > 600000 then return 'out_of_range:load_ms'; end if;
  end if;
  if p ? 'platform' then
    if jsonb_typeof(p -> 'platform') is distinct from 'string' then return 'wrong_type:platform'; end if;
    if not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then return 'bad_enum:platform'; end if;
  end if;
  if p ? 'screen' then
    if jsonb_typeof(p -> 'screen') is distinct from 'string' then return 'wrong_type:screen'; end if;
    if not ((p ->> 'screen') = any (array['home', 'checkin_tracker', 'exercise_library', 'protocol_editor', 'protocol_log', 'caseload_dashboard', 'clinic_schedule', 'clinic_dashboard', 'network_dashboard', 'settings']::text[])) then return 'bad_enum:screen'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__screen_loaded(jsonb) is 'Payload check of system.screen_loaded: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__screen_loaded(jsonb) from public, anon, authenticated;

-- event system.sign_in_completed
create or replace function analytics_private.check_system__sign_in_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['sign_in_method']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'sign_in_method') then return 'missing_property:sign_in_method'; end if;
  if p ? 'sign_in_method' then
    if jsonb_typeof(p -> 'sign_in_method') is distinct from 'string' then return 'wrong_type:sign_in_method'; end if;
    if not ((p ->> 'sign_in_method') = any (array['credentials', 'google_sso', 'apple_sso']::text[])) then return 'bad_enum:sign_in_method'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__sign_in_completed(jsonb) is 'Payload check of system.sign_in_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__sign_in_completed(jsonb) from public, anon, authenticated;

-- event system.signup_completed
create or replace function analytics_private.check_system__signup_completed(p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['auth_method', 'invited', 'platform']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'auth_method') then return 'missing_property:auth_method'; end if;
  if not (p ? 'invited') then return 'missing_property:invited'; end if;
  if not (p ? 'platform') then return 'missing_property:platform'; end if;
  if p ? 'auth_method' then
    if jsonb_typeof(p -> 'auth_method') is distinct from 'string' then return 'wrong_type:auth_method'; end if;
    if not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'apple_sso', 'microsoft_sso', 'saml_sso', 'magic_link']::text[])) then return 'bad_enum:auth_method'; end if;
  end if;
  if p ? 'invited' then
    if jsonb_typeof(p -> 'invited') is distinct from 'boolean' then return 'wrong_type:invited'; end if;
  end if;
  if p ? 'platform' then
    if jsonb_typeof(p -> 'platform') is distinct from 'string' then return 'wrong_type:platform'; end if;
    if not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then return 'bad_enum:platform'; end if;
  end if;
  return null;
end
$fn$;
comment on function analytics_private.check_system__signup_completed(jsonb) is 'Payload check of system.signup_completed: null when valid, else ''reason:field''.';
revoke all on function analytics_private.check_system__signup_completed(jsonb) from public, anon, authenticated;

create or replace function analytics_private.payload_problem(event_id text, p jsonb)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  case event_id
    when 'clinic.caseload_handed_off' then return analytics_private.check_clinic__caseload_handed_off(p);
    when 'clinic.member_invited' then return analytics_private.check_clinic__member_invited(p);
    when 'clinic.member_joined' then return analytics_private.check_clinic__member_joined(p);
    when 'clinic.member_removed' then return analytics_private.check_clinic__member_removed(p);
    when 'clinic.member_role_changed' then return analytics_private.check_clinic__member_role_changed(p);
    when 'clinic.plan_upgraded' then return analytics_private.check_clinic__plan_upgraded(p);
    when 'clinic.protocol_shared' then return analytics_private.check_clinic__protocol_shared(p);
    when 'clinic.review_completed' then return analytics_private.check_clinic__review_completed(p);
    when 'clinic.review_requested' then return analytics_private.check_clinic__review_requested(p);
    when 'clinic.seats_changed' then return analytics_private.check_clinic__seats_changed(p);
    when 'clinic.team_created' then return analytics_private.check_clinic__team_created(p);
    when 'clinic.utilization_dashboard_viewed' then return analytics_private.check_clinic__utilization_dashboard_viewed(p);
    when 'consumer.appointment_requested' then return analytics_private.check_consumer__appointment_requested(p);
    when 'consumer.article_viewed' then return analytics_private.check_consumer__article_viewed(p);
    when 'consumer.checkin_logged' then return analytics_private.check_consumer__checkin_logged(p);
    when 'consumer.directory_searched' then return analytics_private.check_consumer__directory_searched(p);
    when 'consumer.exercise_completed' then return analytics_private.check_consumer__exercise_completed(p);
    when 'consumer.exercise_started' then return analytics_private.check_consumer__exercise_started(p);
    when 'consumer.feature_used' then return analytics_private.check_consumer__feature_used(p);
    when 'consumer.goal_set' then return analytics_private.check_consumer__goal_set(p);
    when 'consumer.progress_chart_viewed' then return analytics_private.check_consumer__progress_chart_viewed(p);
    when 'consumer.reminder_scheduled' then return analytics_private.check_consumer__reminder_scheduled(p);
    when 'consumer.upgrade_prompt_viewed' then return analytics_private.check_consumer__upgrade_prompt_viewed(p);
    when 'consumer.wearable_connected' then return analytics_private.check_consumer__wearable_connected(p);
    when 'network.alert_configured' then return analytics_private.check_network__alert_configured(p);
    when 'network.benchmark_compared' then return analytics_private.check_network__benchmark_compared(p);
    when 'network.dashboard_viewed' then return analytics_private.check_network__dashboard_viewed(p);
    when 'network.data_sharing_accepted' then return analytics_private.check_network__data_sharing_accepted(p);
    when 'network.filter_applied' then return analytics_private.check_network__filter_applied(p);
    when 'network.report_exported' then return analytics_private.check_network__report_exported(p);
    when 'network.scheduled_report_created' then return analytics_private.check_network__scheduled_report_created(p);
    when 'network.suppression_notice_shown' then return analytics_private.check_network__suppression_notice_shown(p);
    when 'practitioner.availability_published' then return analytics_private.check_practitioner__availability_published(p);
    when 'practitioner.dashboard_viewed' then return analytics_private.check_practitioner__dashboard_viewed(p);
    when 'practitioner.home_program_assigned' then return analytics_private.check_practitioner__home_program_assigned(p);
    when 'practitioner.outcome_measure_recorded' then return analytics_private.check_practitioner__outcome_measure_recorded(p);
    when 'practitioner.progress_report_generated' then return analytics_private.check_practitioner__progress_report_generated(p);
    when 'practitioner.protocol_created' then return analytics_private.check_practitioner__protocol_created(p);
    when 'practitioner.protocol_edited' then return analytics_private.check_practitioner__protocol_edited(p);
    when 'practitioner.protocol_logged' then return analytics_private.check_practitioner__protocol_logged(p);
    when 'practitioner.subscription_cancelled' then return analytics_private.check_practitioner__subscription_cancelled(p);
    when 'practitioner.trial_converted' then return analytics_private.check_practitioner__trial_converted(p);
    when 'practitioner.trial_expired' then return analytics_private.check_practitioner__trial_expired(p);
    when 'practitioner.trial_started' then return analytics_private.check_practitioner__trial_started(p);
    when 'system.api_request_completed' then return analytics_private.check_system__api_request_completed(p);
    when 'system.credential_reset_completed' then return analytics_private.check_system__credential_reset_completed(p);
    when 'system.error_occurred' then return analytics_private.check_system__error_occurred(p);
    when 'system.login_failed' then return analytics_private.check_system__login_failed(p);
    when 'system.login_succeeded' then return analytics_private.check_system__login_succeeded(p);
    when 'system.logout_completed' then return analytics_private.check_system__logout_completed(p);
    when 'system.mfa_enrolled' then return analytics_private.check_system__mfa_enrolled(p);
    when 'system.offline_sync_completed' then return analytics_private.check_system__offline_sync_completed(p);
    when 'system.screen_loaded' then return analytics_private.check_system__screen_loaded(p);
    when 'system.sign_in_completed' then return analytics_private.check_system__sign_in_completed(p);
    when 'system.signup_completed' then return analytics_private.check_system__signup_completed(p);
    else return 'unknown_event';
  end case;
end
$fn$;
comment on function analytics_private.payload_problem(text, jsonb) is 'Dispatch by event id; unknown ids never reach here.';
revoke all on function analytics_private.payload_problem(text, jsonb) from public, anon, authenticated;

create or replace function analytics_private.track_events(events jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  claims jsonb;
  caller_uid uuid;
  caller_tier text;
  caller_site uuid;
  caller_network uuid;
  caller_rank integer;
  batch_reason text;
  hmac_key bytea;
  actor bytea;
  entries jsonb[] := '{}';
  ok_pos integer[] := '{}';
  ok_key uuid[] := '{}';
  ok_event text[] := '{}';
  ok_time timestamptz[] := '{}';
  ok_plan text[] := '{}';
  ok_payload jsonb[] := '{}';
  stored_pos integer[];
  bad_event text[] := '{}';
  bad_reason text[] := '{}';
  bad_field text[] := '{}';
  item jsonb;
  position integer := -1;
  v_reason text;
  v_field text;
  event_name text;
  event_tier text;
  event_status text;
  event_rank integer;
  event_is_system boolean;
  happened timestamptz;
  client_key uuid;
  problem text;
  bad_network boolean := false;
  known_event text;
  known_field text;
begin
  -- Batch-level errors (README, Ingestion), raised before any element is looked at. PostgREST
  -- answers 400 for SQLSTATE 22023 and, for PTnnn, the HTTP status nnn: 413 for an oversized batch.
  if events is null or jsonb_typeof(events) is distinct from 'array' then
    raise exception using errcode = '22023', message = 'batch_not_an_array',
      detail = format('track_events expects a JSON array of events, got %s', coalesce(jsonb_typeof(events), 'null')),
      hint = 'send [{event_id, occurred_at, idempotency_key, payload, plan_version}, ...]';
  end if;
  -- O(1): a jsonb array stores its length in its header.
  if jsonb_array_length(events) > 500 then
    raise exception using errcode = 'PT413', message = 'batch_too_large',
      detail = format('the batch has %s events, the limit is %s', jsonb_array_length(events), 500),
      hint = format('split it into batches of at most %s events', 500);
  end if;

  -- Claims: a missing or malformed claim makes every event a rejection with a reason below,
  -- never an error (a sub that is not a uuid used to fail the call with 22P02).
  begin
    claims := coalesce((select auth.jwt()), '{}'::jsonb);
  exception when invalid_text_representation then
    claims := '{}'::jsonb;
  end;
  begin
    caller_uid := (select auth.uid());
  exception when invalid_text_representation then
    caller_uid := null;
  end;
  caller_tier := claims #>> '{app_metadata,tier}';
  begin
    caller_site := (claims #>> '{app_metadata,site_id}')::uuid;
  exception when invalid_text_representation then
    caller_site := null;
  end;
  begin
    caller_network := (claims #>> '{app_metadata,network_id}')::uuid;
  exception when invalid_text_representation then
    bad_network := true;  -- absent is fine (no network); present but not a uuid is refused
  end;
  select t.rank into caller_rank from analytics.tiers as t where t.name = caller_tier and not t.is_system;

  if caller_site is null then
    batch_reason := 'missing_site';
  elsif caller_rank is null then
    batch_reason := 'unknown_caller_tier';
  elsif caller_uid is null then
    batch_reason := 'missing_actor';
  elsif bad_network then
    batch_reason := 'bad_network_claim';
  else
    select s.value into hmac_key from analytics_private.secrets as s where s.name = 'actor_hmac_key';
    actor := extensions.hmac(convert_to(caller_uid::text, 'UTF8'), hmac_key, 'sha256');
  end if;

  for item in select e.value from jsonb_array_elements(events) with ordinality as e (value, n) order by e.n loop
    position := position + 1;
    v_reason := batch_reason;
    v_field := null;
    event_name := null;
    happened := null;
    client_key := null;

    if v_reason is null and jsonb_typeof(item) is distinct from 'object' then
      v_reason := 'not_an_object';
    end if;
    if v_reason is null then
      select k into v_field from jsonb_object_keys(item) as k
        where not (k = any (array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[])) order by k limit 1;
      if v_field is not null then
        v_reason := 'unknown_envelope_field';
      end if;
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'event_id') is distinct from 'string' then
        v_reason := 'missing_event_id';
      else
        event_name := item ->> 'event_id';
        select et.tier, et.status, t.rank, t.is_system
          into event_tier, event_status, event_rank, event_is_system
          from analytics.event_types as et join analytics.tiers as t on t.name = et.tier
          where et.id = event_name;
        if not found then
          v_reason := 'unknown_event';
        elsif event_status <> 'active' then
          v_reason := 'deprecated_event';
        elsif not event_is_system and event_rank > caller_rank then
          v_reason := 'tier_not_allowed';
        end if;
      end if;
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'idempotency_key') is distinct from 'string'
         or (item ->> 'idempotency_key') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
        v_reason := 'bad_idempotency_key';
      else
        client_key := (item ->> 'idempotency_key')::uuid;
      end if;
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'occurred_at') is distinct from 'string'
         or (item ->> 'occurred_at') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$'
         or not analytics_private.is_timestamp(item ->> 'occurred_at') then
        v_reason := 'bad_timestamp';
      else
        happened := (item ->> 'occurred_at')::timestamptz;
        if happened > now() + interval '5 minutes' then
          v_reason := 'timestamp_in_future';
        elsif happened < now() - interval '7 days' then
          v_reason := 'timestamp_too_old';
        end if;
      end if;
    end if;
    if v_reason is null and item ? 'plan_version' and (
         jsonb_typeof(item -> 'plan_version') is distinct from 'string'
         or (item ->> 'plan_version') !~ '^[A-Za-z0-9._-]{1,64}$') then
      v_reason := 'bad_plan_version';
    end if;
    if v_reason is null then
      if jsonb_typeof(item -> 'payload') is distinct from 'object' then
        v_reason := 'payload_not_object';
      elsif octet_length((item -> 'payload')::text) > 4096 then
        v_reason := 'payload_too_large';
      else
        problem := analytics_private.payload_problem(event_name, item -> 'payload');
        if problem is not null then
          v_reason := split_part(problem, ':', 1);
          v_field := nullif(split_part(problem, ':', 2), '');
        end if;
      end if;
    end if;

    if v_reason is null then
      -- valid: stored after the loop, in one statement, so concurrent batches take key locks in the same order
      ok_pos := ok_pos || position;
      ok_key := ok_key || client_key;
      ok_event := ok_event || event_name;
      ok_time := ok_time || happened;
      ok_plan := ok_plan || (item ->> 'plan_version');
      ok_payload := ok_payload || (item -> 'payload');
      entries := array_append(entries, null::jsonb);
      continue;
    end if;

    -- Counters keep only names the taxonomy knows (the event id, a property of that event), else
    -- '<unknown>': never a name the caller chose (an unknown key can spell out a person).
    select et.id, case when (et.payload_schema -> 'properties') ? v_field then v_field end
      into known_event, known_field
      from analytics.event_types as et where et.id = event_name;
    bad_event := bad_event || coalesce(known_event, '<unknown>');
    bad_reason := bad_reason || v_reason;
    bad_field := bad_field || case when v_field is null then '' else coalesce(known_field, '<unknown>') end;
    entries := entries || jsonb_strip_nulls(
      jsonb_build_object('index', position, 'status', 'rejected', 'reason', v_reason, 'field', v_field));
  end loop;

  -- The first occurrence of each new key wins; keys are inserted in key order (no deadlock between retries).
  with candidates as (
    select c.pos, c.k, c.t from unnest(ok_pos, ok_key, ok_time) as c (pos, k, t)
  ), firsts as (
    select distinct on (k) pos, k, t from candidates order by k, pos
  ), inserted as (
    insert into analytics_private.event_keys (site_id, idempotency_key, occurred_at)
    select caller_site, f.k, f.t from firsts as f order by f.k
    on conflict do nothing
    returning idempotency_key
  )
  select coalesce(array_agg(f.pos), '{}') into stored_pos
    from firsts as f join inserted as i on i.idempotency_key = f.k;

  insert into analytics_private.events
    (event_id, site_id, network_id, actor_hash, actor_tier, occurred_at, idempotency_key, plan_version, payload)
  select v.e, caller_site, caller_network, actor, caller_tier, v.t, v.k, v.pv, v.p
    from unnest(ok_pos, ok_event, ok_key, ok_time, ok_plan, ok_payload) as v (pos, e, k, t, pv, p)
    where v.pos = any (stored_pos)
    order by v.k;

  for i in 1 .. coalesce(array_length(ok_pos, 1), 0) loop
    entries[ok_pos[i] + 1] := jsonb_build_object(
      'index', ok_pos[i], 'status', case when ok_pos[i] = any (stored_pos) then 'accepted' else 'duplicate' end,
      'reason', null);
  end loop;

  -- Rejections are counted per day, site, event, reason and field, upserted in a fixed order.
  insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected)
  select (now() at time zone 'UTC')::date, caller_site, b.e, b.r, b.f, count(*)
    from unnest(bad_event, bad_reason, bad_field) as b (e, r, f)
    group by b.e, b.r, b.f
    order by b.e, b.r, b.f
  on conflict on constraint rejections_counter_key
    do update set rejected = r.rejected + excluded.rejected, last_seen = now();

  return to_jsonb(entries);
end
$fn$;
comment on function analytics_private.track_events(jsonb) is 'The privileged part of track_events: trusts only the JWT for site, tier and actor.';
revoke all on function analytics_private.track_events(jsonb) from public, anon, authenticated;
grant execute on function analytics_private.track_events(jsonb) to authenticated, service_role;

create or replace function analytics.track_events(events jsonb)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $fn$
  select analytics_private.track_events(events);
$fn$;
comment on function analytics.track_events(jsonb) is 'Send a batch of events: [{event_id, occurred_at, idempotency_key, payload, plan_version}]. Returns [{index, status, reason, field}] in input order.';
revoke all on function analytics.track_events(jsonb) from public, anon, authenticated;
grant execute on function analytics.track_events(jsonb) to authenticated, service_role;

create or replace function analytics.plan_version()
returns text
language sql
immutable
security invoker
set search_path = ''
as $fn$
  select '77952c962888'::text;
$fn$;
comment on function analytics.plan_version() is 'The tracking plan version the database accepts.';
revoke all on function analytics.plan_version() from public, anon, authenticated;
grant execute on function analytics.plan_version() to anon, authenticated, service_role;

-- rejection counters keep only names the taxonomy knows
with scrubbed as (
  delete from analytics_private.rejections as r
  where (r.event_id <> '<unknown>'
         and not exists (select from analytics.event_types as et where et.id = r.event_id))
     or (r.field not in ('', '<unknown>')
         and not exists (select from analytics.event_types as et
                         where et.id = r.event_id and (et.payload_schema -> 'properties') ? r.field))
  returning r.day, r.site_id, r.event_id, r.reason, r.field, r.rejected, r.last_seen
), renamed as (
  select s.day, s.site_id, coalesce(et.id, '<unknown>') as event_id, s.reason,
         case when s.field = '' then ''
              when (et.payload_schema -> 'properties') ? s.field then s.field
              else '<unknown>' end as field,
         s.rejected, s.last_seen
  from scrubbed as s left join analytics.event_types as et on et.id = s.event_id
)
insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected, last_seen)
select n.day, n.site_id, n.event_id, n.reason, n.field, sum(n.rejected), max(n.last_seen)
  from renamed as n
  group by n.day, n.site_id, n.event_id, n.reason, n.field
  order by n.day, n.site_id, n.event_id, n.reason, n.field
on conflict on constraint rejections_counter_key
  do update set rejected = r.rejected + excluded.rejected, last_seen = greatest(r.last_seen, excluded.last_seen);

comment on table analytics_private.kpi_watermarks is 'Per KPI: the lowest ingest_xid its rollups have not read yet.';

alter table analytics_private.kpi_watermarks enable row level security;
revoke all on analytics_private.kpi_watermarks from public, anon, authenticated;
grant all on analytics_private.kpi_watermarks to service_role;

drop policy if exists kpi_watermarks_service on analytics_private.kpi_watermarks;
create policy kpi_watermarks_service on analytics_private.kpi_watermarks for all to service_role
  using (true) with check (true);

create table if not exists analytics_private.kpi_event_sets (
  set_name text not null,
  event_id text not null references analytics.event_types (id),
  constraint kpi_event_sets_pkey primary key (set_name, event_id)
);
comment on table analytics_private.kpi_event_sets is 'The events each KPI selection reads (wildcards expanded); a refresh joins it.';
alter table analytics_private.kpi_event_sets enable row level security;
revoke all on analytics_private.kpi_event_sets from public, anon, authenticated;
grant all on analytics_private.kpi_event_sets to service_role;

drop policy if exists kpi_event_sets_service on analytics_private.kpi_event_sets;
create policy kpi_event_sets_service on analytics_private.kpi_event_sets for all to service_role
  using (true) with check (true);

create or replace function analytics_private.kpi_caller_site()
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return ((select auth.jwt()) #>> '{app_metadata,site_id}')::uuid;
exception when invalid_text_representation then
  return null;
end
$fn$;
comment on function analytics_private.kpi_caller_site() is 'The caller''s site from the JWT (null when absent or malformed).';
revoke all on function analytics_private.kpi_caller_site() from public, anon, authenticated;
grant execute on function analytics_private.kpi_caller_site() to service_role;

create or replace function analytics_private.kpi_caller_network()
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
begin
  return ((select auth.jwt()) #>> '{app_metadata,network_id}')::uuid;
exception when invalid_text_representation then
  return null;
end
$fn$;
comment on function analytics_private.kpi_caller_network() is 'The caller''s network from the JWT (null when absent or malformed).';
revoke all on function analytics_private.kpi_caller_network() from public, anon, authenticated;
grant execute on function analytics_private.kpi_caller_network() to service_role;

create or replace function analytics_private.kpi_caller_reads_network()
returns boolean
language sql
stable
security invoker
set search_path = ''
as $fn$
  select coalesce(
    current_setting('role', true) = 'service_role' or session_user = 'service_role'
    or ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['network']::text[]),
    false);
$fn$;
comment on function analytics_private.kpi_caller_reads_network() is 'Network views are for the network tier and service_role, for their own network.';
revoke all on function analytics_private.kpi_caller_reads_network() from public, anon, authenticated;
grant execute on function analytics_private.kpi_caller_reads_network() to service_role;

create or replace function analytics_private.kpi_actors_but_one(sites uuid[], actors bytea[])
returns bigint
language sql
immutable
security invoker
set search_path = ''
as $fn$
  with p as (
    select distinct u.site_id, u.actor_hash
    from unnest(sites, actors) as u (site_id, actor_hash)
    where u.actor_hash is not null
  ), a as (
    select p.actor_hash, count(*) as n_sites, min(p.site_id::text) as one_site
    from p
    group by p.actor_hash
  )
  select count(*) - coalesce((select max(e.n) from (select count(*) as n from a
                                                    where a.n_sites = 1 group by a.one_site) as e), 0)
  from a;
$fn$;
comment on function analytics_private.kpi_actors_but_one(uuid[], bytea[]) is 'Distinct actors of (site, actor) pairs left after removing the site that holds the most actors seen at no other site: what any one site''s caller cannot know.';
revoke all on function analytics_private.kpi_actors_but_one(uuid[], bytea[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_actors_but_one(uuid[], bytea[]) to service_role;

create or replace function analytics_private.kpi_funnel_depth(steps smallint[], times timestamptz[], keys uuid[], anchor integer, n_steps integer, win interval, mode text)
returns smallint
language plpgsql
immutable
security invoker
set search_path = ''
as $fn$
-- One actor's funnel events at one site, one entry per (event, step it matches), sorted by
-- (occurred_at, event key, step); an event matching several steps has several entries, which
-- share its time and key. Every step is met by a different event:
--   ordered: step j + 1 by an event strictly later than the one that met step j;
--   strict:  as ordered, and that event lies at the first instant after step j's event at which
--            any funnel event happened (another funnel event in between ends the attempt);
--   any:     steps 2 .. d by different events, none of them the step-1 event, in any order at or
--            after the step-1 event (a matching: an event meets one step only).
-- All within win of the step-1 event (entry anchor).
declare
  depth integer := 1;
  start timestamptz := times[anchor];
  stop timestamptz := times[anchor] + win;
  last timestamptz := times[anchor];
  len integer := coalesce(array_length(steps, 1), 0);
  i integer;
  j integer;
  t timestamptz;
  found boolean;
  mask integer;
  masks integer[] := '{}';
  counts integer[] := '{}';
  d integer;
  sub integer;
  s integer;
  hits integer;
begin
  if mode = 'any' then
    -- the distinct events in the window other than the step-1 event: which of steps 2 .. n each
    -- meets (bit s - 2), counted per distinct set
    i := 1;
    while i <= len loop
      mask := 0;
      j := i;
      while j <= len and times[j] = times[i] and keys[j] = keys[i] loop
        if steps[j] >= 2 then
          mask := mask | (1 << (steps[j] - 2));
        end if;
        j := j + 1;
      end loop;
      if mask <> 0 and times[i] >= start and times[i] <= stop
         and not (keys[i] = keys[anchor] and times[i] = start) then
        found := false;
        for s in 1 .. coalesce(array_length(masks, 1), 0) loop
          if masks[s] = mask then
            counts[s] := counts[s] + 1;
            found := true;
          end if;
        end loop;
        if not found then
          masks := masks || mask;
          counts := counts || 1;
        end if;
      end if;
      i := j;
    end loop;
    -- depth d when steps 2 .. d can each be given a different event: Hall's condition, every set
    -- of those steps is met by at least as many events (sets without step d were checked before)
    for d in 2 .. n_steps loop
      for sub in 0 .. (1 << (d - 2)) - 1 loop
        s := sub | (1 << (d - 2));
        hits := 0;
        for i in 1 .. coalesce(array_length(masks, 1), 0) loop
          if masks[i] & s <> 0 then
            hits := hits + counts[i];
          end if;
        end loop;
        if hits < bit_count(s::bit(32)) then
          return depth;
        end if;
      end loop;
      depth := d;
    end loop;
    return depth;
  end if;
  i := anchor + 1;
  while i <= len and depth < n_steps loop
    t := times[i];
    exit when t > stop;
    if t <= last then
      i := i + 1;
      continue;
    end if;
    -- the funnel events of instant t: does one of them meet the next step?
    found := false;
    while i <= len and times[i] = t loop
      if steps[i] = depth + 1 then
        found := true;
      end if;
      i := i + 1;
    end loop;
    if found then
      depth := depth + 1;
      last := t;
    elsif mode = 'strict' then
      exit;
    end if;
  end loop;
  return depth;
end
$fn$;
comment on function analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text) is 'How deep one funnel attempt gets (see the KPI semantics).';
revoke all on function analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text) from public, anon, authenticated;
grant execute on function analytics_private.kpi_funnel_depth(smallint[], timestamptz[], uuid[], integer, integer, interval, text) to service_role;

-- KPI active_clinic_members
insert into analytics_private.kpi_event_sets (set_name, event_id) values
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
  ('active_clinic_members', 'practitioner.trial_started'),
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
  ('active_network_members', 'practitioner.trial_started'),
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
  ('active_practitioners', 'practitioner.trial_started'),
  ('api_latency_ms', 'system.api_request_completed'),
  ('api_request_count', 'system.api_request_completed'),
  ('api_server_error_count', 'system.api_request_completed'),
  ('clinic_collaborators', 'clinic.caseload_handed_off'),
  ('clinic_collaborators', 'clinic.protocol_shared'),
  ('clinic_collaborators', 'clinic.review_completed'),
  ('clinic_collaborators', 'clinic.review_requested'),
  ('clinic_team_onboarding.step1', 'clinic.plan_upgraded'),
  ('clinic_team_onboarding.step2', 'clinic.member_invited'),
  ('clinic_team_onboarding.step3', 'clinic.protocol_shared'),
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
  ('consumer_daily_actives', 'consumer.wearable_connected'),
  ('consumer_feature_users', 'consumer.feature_used'),
  ('consumer_feature_users_by_feature', 'consumer.feature_used'),
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
  ('daily_active_actors', 'practitioner.trial_started'),
  ('error_count', 'system.error_occurred'),
  ('errors_by_code', 'system.error_occurred'),
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
  ('monthly_active_actors', 'practitioner.trial_started'),
  ('monthly_signup_retention.cohort', 'system.signup_completed'),
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
  ('monthly_signup_retention.returning', 'practitioner.trial_started'),
  ('network_analytics_viewers', 'network.benchmark_compared'),
  ('network_analytics_viewers', 'network.dashboard_viewed'),
  ('protocol_loggers', 'practitioner.protocol_logged'),
  ('protocol_logging_retention.cohort', 'practitioner.trial_started'),
  ('protocol_logging_retention.returning', 'practitioner.protocol_logged'),
  ('protocol_sessions_logged', 'practitioner.protocol_logged'),
  ('screen_load_ms', 'system.screen_loaded'),
  ('trial_activation_to_conversion.step1', 'practitioner.trial_started'),
  ('trial_activation_to_conversion.step2', 'practitioner.protocol_created'),
  ('trial_activation_to_conversion.step3', 'practitioner.protocol_logged'),
  ('trial_activation_to_conversion.step4', 'practitioner.trial_converted'),
  ('upgrade_funnel_consumer_to_clinic.step1', 'consumer.feature_used'),
  ('upgrade_funnel_consumer_to_clinic.step2', 'practitioner.trial_started'),
  ('upgrade_funnel_consumer_to_clinic.step3', 'practitioner.protocol_logged'),
  ('upgrade_funnel_consumer_to_clinic.step4', 'clinic.plan_upgraded'),
  ('upgrade_prompt_to_trial.step1', 'consumer.upgrade_prompt_viewed'),
  ('upgrade_prompt_to_trial.step2', 'practitioner.trial_started'),
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
  ('weekly_active_actors', 'practitioner.trial_started'),
  ('weekly_signup_retention.cohort', 'system.signup_completed'),
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
  ('weekly_signup_retention.returning', 'practitioner.trial_started')
on conflict (set_name, event_id) do nothing;

-- KPI active_clinic_members
insert into analytics_private.kpi_watermarks (kpi) values
  ('active_clinic_members')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_active_clinic_members_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_clinic_members_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_active_clinic_members_facts is 'KPI active_clinic_members: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_active_clinic_members_facts enable row level security;
revoke all on analytics_private.kpi_active_clinic_members_facts from public, anon, authenticated;
grant all on analytics_private.kpi_active_clinic_members_facts to service_role;

create index if not exists kpi_active_clinic_members_facts_xid_idx on analytics_private.kpi_active_clinic_members_facts (ingest_xid);

create index if not exists kpi_active_clinic_members_facts_net_idx on analytics_private.kpi_active_clinic_members_facts (network_id, period);

create table if not exists analytics_private.kpi_active_clinic_members (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_clinic_members_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_active_clinic_members is 'Clinic-plan actors with any product event in the week.';
alter table analytics_private.kpi_active_clinic_members enable row level security;
revoke all on analytics_private.kpi_active_clinic_members from public, anon, authenticated;
grant all on analytics_private.kpi_active_clinic_members to service_role;

create index if not exists kpi_active_clinic_members_xid_idx on analytics_private.kpi_active_clinic_members (ingest_xid);

create table if not exists analytics_private.kpi_active_clinic_members_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_clinic_members_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_active_clinic_members_net is 'KPI active_clinic_members: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_clinic_members_net enable row level security;
revoke all on analytics_private.kpi_active_clinic_members_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_clinic_members_net to service_role;

drop policy if exists kpi_active_clinic_members_facts_service on analytics_private.kpi_active_clinic_members_facts;
create policy kpi_active_clinic_members_facts_service on analytics_private.kpi_active_clinic_members_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_clinic_members_service on analytics_private.kpi_active_clinic_members;
create policy kpi_active_clinic_members_service on analytics_private.kpi_active_clinic_members for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_clinic_members_net_service on analytics_private.kpi_active_clinic_members_net;
create policy kpi_active_clinic_members_net_service on analytics_private.kpi_active_clinic_members_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_clinic_members()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_clinic_members', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_clinic_members', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_clinic_members' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_clinic_members';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_active_clinic_members_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_clinic_members')
      and e.actor_tier = any (array['clinic']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_active_clinic_members as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_active_clinic_members_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_clinic_members';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_clinic_members_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_active_clinic_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_active_clinic_members_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_active_clinic_members_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_active_clinic_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_active_clinic_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_clinic_members_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_active_clinic_members() is 'Folds new events into KPI active_clinic_members; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_active_clinic_members() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_active_clinic_members() to service_role;

create or replace function analytics_private.kpi_active_clinic_members_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_active_clinic_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_active_clinic_members_for_caller() is 'KPI active_clinic_members for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_active_clinic_members_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_clinic_members_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_active_clinic_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_active_clinic_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_active_clinic_members_between(date, date) is 'KPI active_clinic_members for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_active_clinic_members_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_clinic_members_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_active_clinic_members_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_active_clinic_members_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_active_clinic_members_cells() is 'KPI active_clinic_members across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_active_clinic_members_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_active_clinic_members_cells() to authenticated, service_role;

create or replace view analytics.kpi_active_clinic_members with (security_invoker = true) as
  select * from analytics_private.kpi_active_clinic_members_for_caller();
comment on view analytics.kpi_active_clinic_members is 'KPI active_clinic_members: Clinic-plan actors with any product event in the week.';
revoke all on analytics.kpi_active_clinic_members from public, anon, authenticated;
grant select on analytics.kpi_active_clinic_members to authenticated, service_role;

create or replace function analytics.kpi_active_clinic_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_clinic_members_between("from", "to");
$fn$;
comment on function analytics.kpi_active_clinic_members_between(date, date) is 'KPI active_clinic_members for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_active_clinic_members_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_clinic_members_between(date, date) to authenticated, service_role;

create or replace view analytics.network_active_clinic_members with (security_invoker = true) as
  select * from analytics_private.network_active_clinic_members_cells();
comment on view analytics.network_active_clinic_members is 'KPI active_clinic_members across the caller''s network; small cells hidden.';
revoke all on analytics.network_active_clinic_members from public, anon, authenticated;
grant select on analytics.network_active_clinic_members to authenticated, service_role;

-- KPI active_network_members
insert into analytics_private.kpi_watermarks (kpi) values
  ('active_network_members')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_active_network_members_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_network_members_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_active_network_members_facts is 'KPI active_network_members: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_active_network_members_facts enable row level security;
revoke all on analytics_private.kpi_active_network_members_facts from public, anon, authenticated;
grant all on analytics_private.kpi_active_network_members_facts to service_role;

create index if not exists kpi_active_network_members_facts_xid_idx on analytics_private.kpi_active_network_members_facts (ingest_xid);

create index if not exists kpi_active_network_members_facts_net_idx on analytics_private.kpi_active_network_members_facts (network_id, period);

create table if not exists analytics_private.kpi_active_network_members (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_network_members_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_active_network_members is 'Network-plan actors with any product event in the month.';
alter table analytics_private.kpi_active_network_members enable row level security;
revoke all on analytics_private.kpi_active_network_members from public, anon, authenticated;
grant all on analytics_private.kpi_active_network_members to service_role;

create index if not exists kpi_active_network_members_xid_idx on analytics_private.kpi_active_network_members (ingest_xid);

create table if not exists analytics_private.kpi_active_network_members_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_network_members_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_active_network_members_net is 'KPI active_network_members: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_network_members_net enable row level security;
revoke all on analytics_private.kpi_active_network_members_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_network_members_net to service_role;

drop policy if exists kpi_active_network_members_facts_service on analytics_private.kpi_active_network_members_facts;
create policy kpi_active_network_members_facts_service on analytics_private.kpi_active_network_members_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_network_members_service on analytics_private.kpi_active_network_members;
create policy kpi_active_network_members_service on analytics_private.kpi_active_network_members for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_network_members_net_service on analytics_private.kpi_active_network_members_net;
create policy kpi_active_network_members_net_service on analytics_private.kpi_active_network_members_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_network_members()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_network_members', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_network_members', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_network_members' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_network_members';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_active_network_members_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_network_members')
      and e.actor_tier = any (array['network']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_active_network_members as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_active_network_members_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_network_members';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_network_members_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_active_network_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_active_network_members_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_active_network_members_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_active_network_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_active_network_members_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_network_members_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_active_network_members() is 'Folds new events into KPI active_network_members; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_active_network_members() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_active_network_members() to service_role;

create or replace function analytics_private.kpi_active_network_members_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_active_network_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_active_network_members_for_caller() is 'KPI active_network_members for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_active_network_members_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_network_members_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_active_network_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_active_network_members as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_active_network_members_between(date, date) is 'KPI active_network_members for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_active_network_members_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_network_members_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_active_network_members_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_active_network_members_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_active_network_members_cells() is 'KPI active_network_members across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_active_network_members_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_active_network_members_cells() to authenticated, service_role;

create or replace view analytics.kpi_active_network_members with (security_invoker = true) as
  select * from analytics_private.kpi_active_network_members_for_caller();
comment on view analytics.kpi_active_network_members is 'KPI active_network_members: Network-plan actors with any product event in the month.';
revoke all on analytics.kpi_active_network_members from public, anon, authenticated;
grant select on analytics.kpi_active_network_members to authenticated, service_role;

create or replace function analytics.kpi_active_network_members_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_network_members_between("from", "to");
$fn$;
comment on function analytics.kpi_active_network_members_between(date, date) is 'KPI active_network_members for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_active_network_members_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_network_members_between(date, date) to authenticated, service_role;

create or replace view analytics.network_active_network_members with (security_invoker = true) as
  select * from analytics_private.network_active_network_members_cells();
comment on view analytics.network_active_network_members is 'KPI active_network_members across the caller''s network; small cells hidden.';
revoke all on analytics.network_active_network_members from public, anon, authenticated;
grant select on analytics.network_active_network_members to authenticated, service_role;

-- KPI active_practitioners
insert into analytics_private.kpi_watermarks (kpi) values
  ('active_practitioners')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_active_practitioners_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_practitioners_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_active_practitioners_facts is 'KPI active_practitioners: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_active_practitioners_facts enable row level security;
revoke all on analytics_private.kpi_active_practitioners_facts from public, anon, authenticated;
grant all on analytics_private.kpi_active_practitioners_facts to service_role;

create index if not exists kpi_active_practitioners_facts_xid_idx on analytics_private.kpi_active_practitioners_facts (ingest_xid);

create index if not exists kpi_active_practitioners_facts_net_idx on analytics_private.kpi_active_practitioners_facts (network_id, period);

create table if not exists analytics_private.kpi_active_practitioners (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_practitioners_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_active_practitioners is 'Pro-plan actors with any practitioner event in the week.';
alter table analytics_private.kpi_active_practitioners enable row level security;
revoke all on analytics_private.kpi_active_practitioners from public, anon, authenticated;
grant all on analytics_private.kpi_active_practitioners to service_role;

create index if not exists kpi_active_practitioners_xid_idx on analytics_private.kpi_active_practitioners (ingest_xid);

create table if not exists analytics_private.kpi_active_practitioners_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_practitioners_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_active_practitioners_net is 'KPI active_practitioners: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_practitioners_net enable row level security;
revoke all on analytics_private.kpi_active_practitioners_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_practitioners_net to service_role;

drop policy if exists kpi_active_practitioners_facts_service on analytics_private.kpi_active_practitioners_facts;
create policy kpi_active_practitioners_facts_service on analytics_private.kpi_active_practitioners_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_practitioners_service on analytics_private.kpi_active_practitioners;
create policy kpi_active_practitioners_service on analytics_private.kpi_active_practitioners for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_practitioners_net_service on analytics_private.kpi_active_practitioners_net;
create policy kpi_active_practitioners_net_service on analytics_private.kpi_active_practitioners_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_practitioners()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_practitioners', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_practitioners', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_practitioners' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_practitioners';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_active_practitioners_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_practitioners')
      and e.actor_tier = any (array['practitioner']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_active_practitioners as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_active_practitioners_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_practitioners';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_practitioners_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_active_practitioners_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_active_practitioners_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_active_practitioners_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_practitioners_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_active_practitioners() is 'Folds new events into KPI active_practitioners; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_active_practitioners() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_active_practitioners() to service_role;

create or replace function analytics_private.kpi_active_practitioners_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_active_practitioners as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_active_practitioners_for_caller() is 'KPI active_practitioners for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_active_practitioners_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_practitioners_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_active_practitioners_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_active_practitioners as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_active_practitioners_between(date, date) is 'KPI active_practitioners for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_active_practitioners_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_practitioners_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_active_practitioners_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_active_practitioners_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_active_practitioners_cells() is 'KPI active_practitioners across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_active_practitioners_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_active_practitioners_cells() to authenticated, service_role;

create or replace view analytics.kpi_active_practitioners with (security_invoker = true) as
  select * from analytics_private.kpi_active_practitioners_for_caller();
comment on view analytics.kpi_active_practitioners is 'KPI active_practitioners: Pro-plan actors with any practitioner event in the week.';
revoke all on analytics.kpi_active_practitioners from public, anon, authenticated;
grant select on analytics.kpi_active_practitioners to authenticated, service_role;

create or replace function analytics.kpi_active_practitioners_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_practitioners_between("from", "to");
$fn$;
comment on function analytics.kpi_active_practitioners_between(date, date) is 'KPI active_practitioners for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_active_practitioners_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_practitioners_between(date, date) to authenticated, service_role;

create or replace view analytics.network_active_practitioners with (security_invoker = true) as
  select * from analytics_private.network_active_practitioners_cells();
comment on view analytics.network_active_practitioners is 'KPI active_practitioners across the caller''s network; small cells hidden.';
revoke all on analytics.network_active_practitioners from public, anon, authenticated;
grant select on analytics.network_active_practitioners to authenticated, service_role;

-- KPI api_latency_ms
insert into analytics_private.kpi_watermarks (kpi) values
  ('api_latency_ms')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_api_latency_ms_values (
  site_id uuid not null,
  period date not null,
  endpoint text,
  actor_hash bytea not null,
  event_key uuid not null,
  occurred_at timestamptz not null,
  measure double precision not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_latency_ms_values_key unique (site_id, event_key, occurred_at)
);
comment on table analytics_private.kpi_api_latency_ms_values is 'KPI api_latency_ms: one measured value per event.';
alter table analytics_private.kpi_api_latency_ms_values enable row level security;
revoke all on analytics_private.kpi_api_latency_ms_values from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_values to service_role;

create index if not exists kpi_api_latency_ms_values_xid_idx on analytics_private.kpi_api_latency_ms_values (ingest_xid);

create index if not exists kpi_api_latency_ms_values_cell_idx on analytics_private.kpi_api_latency_ms_values (site_id, period, endpoint);

create index if not exists kpi_api_latency_ms_values_net_idx on analytics_private.kpi_api_latency_ms_values (network_id, period, endpoint);

create table if not exists analytics_private.kpi_api_latency_ms (
  site_id uuid not null,
  period date not null,
  endpoint text,
  n bigint,
  p50 double precision,
  p95 double precision,
  p99 double precision,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_latency_ms_key unique nulls not distinct (site_id, period, endpoint)
);
comment on table analytics_private.kpi_api_latency_ms is 'Median, 95th and 99th percentile API request duration in milliseconds per day, by endpoint.';
alter table analytics_private.kpi_api_latency_ms enable row level security;
revoke all on analytics_private.kpi_api_latency_ms from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms to service_role;

create index if not exists kpi_api_latency_ms_xid_idx on analytics_private.kpi_api_latency_ms (ingest_xid);

create table if not exists analytics_private.kpi_api_latency_ms_net (
  network_id uuid not null,
  period date not null,
  endpoint text,
  n bigint not null,
  p50 double precision,
  p95 double precision,
  p99 double precision,
  sites bigint not null,
  actors bigint not null,
  p50_hidden boolean not null default true,
  p95_hidden boolean not null default true,
  p99_hidden boolean not null default true,
  hidden boolean not null default true,
  constraint kpi_api_latency_ms_net_key unique nulls not distinct (network_id, period, endpoint)
);
comment on table analytics_private.kpi_api_latency_ms_net is 'KPI api_latency_ms: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_latency_ms_net enable row level security;
revoke all on analytics_private.kpi_api_latency_ms_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_latency_ms_net to service_role;

drop policy if exists kpi_api_latency_ms_values_service on analytics_private.kpi_api_latency_ms_values;
create policy kpi_api_latency_ms_values_service on analytics_private.kpi_api_latency_ms_values for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_latency_ms_service on analytics_private.kpi_api_latency_ms;
create policy kpi_api_latency_ms_service on analytics_private.kpi_api_latency_ms for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_latency_ms_net_service on analytics_private.kpi_api_latency_ms_net;
create policy kpi_api_latency_ms_net_service on analytics_private.kpi_api_latency_ms_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_api_latency_ms()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.api_latency_ms', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.api_latency_ms', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_latency_ms';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_api_latency_ms_values (site_id, period, endpoint, actor_hash, event_key, occurred_at, measure, network_id)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, (e.payload ->> 'endpoint'), e.actor_hash, e.idempotency_key, e.occurred_at, (e.payload ->> 'duration_ms')::double precision, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms')
    and jsonb_typeof(e.payload -> 'duration_ms') = 'number'
  on conflict do nothing;
  insert into analytics_private.kpi_api_latency_ms as r (site_id, period, endpoint, n, p50, p95, p99)
  select f.site_id, f.period, f.endpoint, count(*), (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct t.site_id, t.period, t.endpoint
        from analytics_private.kpi_api_latency_ms_values as t where t.ingest_xid = pg_current_xact_id()) as a
    on f.site_id = a.site_id and f.period = a.period and f.endpoint is not distinct from a.endpoint
  group by 1, 2, 3
  on conflict (site_id, period, endpoint) do update
    set n = excluded.n, p50 = excluded.p50, p95 = excluded.p95, p99 = excluded.p99, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_latency_ms';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_latency_ms_net as nc
  using (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.endpoint is not distinct from t.endpoint;
  insert into analytics_private.kpi_api_latency_ms_net (network_id, period, endpoint, n, p50, p95, p99, sites, actors)
select f.network_id, f.period, f.endpoint, count(*) as n, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.endpoint is not distinct from t.endpoint
  group by 1, 2, 3;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_api_latency_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint is not distinct from c.endpoint),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint is not distinct from c.endpoint),
    p99_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p99),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p99)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p99),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p99))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint is not distinct from c.endpoint)
  from (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.endpoint is not distinct from t.endpoint;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_api_latency_ms_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_api_latency_ms() is 'Folds new events into KPI api_latency_ms; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_api_latency_ms() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_api_latency_ms() to service_role;

create or replace function analytics_private.kpi_api_latency_ms_for_caller()
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.endpoint, r.n, r.p50, r.p95, r.p99
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_api_latency_ms_for_caller() is 'KPI api_latency_ms for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_api_latency_ms_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.endpoint, r.n, r.p50, r.p95, r.p99
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_api_latency_ms_between(date, date) is 'KPI api_latency_ms for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_api_latency_ms_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_api_latency_ms_cells()
returns table (period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.endpoint, case when r.suppressed then null else r.n end as n, case when r.suppressed or r.p50_hidden then null else r.p50 end as p50, case when r.suppressed or r.p95_hidden then null else r.p95 end as p95, case when r.suppressed or r.p99_hidden then null else r.p99 end as p99, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_latency_ms_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_api_latency_ms_cells() is 'KPI api_latency_ms across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_api_latency_ms_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_api_latency_ms_cells() to authenticated, service_role;

create or replace view analytics.kpi_api_latency_ms with (security_invoker = true) as
  select * from analytics_private.kpi_api_latency_ms_for_caller();
comment on view analytics.kpi_api_latency_ms is 'KPI api_latency_ms: Median, 95th and 99th percentile API request duration in milliseconds per day, by endpoint.';
revoke all on analytics.kpi_api_latency_ms from public, anon, authenticated;
grant select on analytics.kpi_api_latency_ms to authenticated, service_role;

create or replace function analytics.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_latency_ms_between("from", "to");
$fn$;
comment on function analytics.kpi_api_latency_ms_between(date, date) is 'KPI api_latency_ms for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_api_latency_ms_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_latency_ms_between(date, date) to authenticated, service_role;

create or replace view analytics.network_api_latency_ms with (security_invoker = true) as
  select * from analytics_private.network_api_latency_ms_cells();
comment on view analytics.network_api_latency_ms is 'KPI api_latency_ms across the caller''s network; small cells hidden.';
revoke all on analytics.network_api_latency_ms from public, anon, authenticated;
grant select on analytics.network_api_latency_ms to authenticated, service_role;

-- KPI api_request_count
insert into analytics_private.kpi_watermarks (kpi) values
  ('api_request_count')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_api_request_count_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_request_count_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_api_request_count_facts is 'KPI api_request_count: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_api_request_count_facts enable row level security;
revoke all on analytics_private.kpi_api_request_count_facts from public, anon, authenticated;
grant all on analytics_private.kpi_api_request_count_facts to service_role;

create index if not exists kpi_api_request_count_facts_xid_idx on analytics_private.kpi_api_request_count_facts (ingest_xid);

create index if not exists kpi_api_request_count_facts_net_idx on analytics_private.kpi_api_request_count_facts (network_id, period);

create table if not exists analytics_private.kpi_api_request_count (
  site_id uuid not null,
  period date not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_request_count_key unique nulls not distinct (site_id, period, network_id)
);
comment on table analytics_private.kpi_api_request_count is 'API requests completed per day.';
alter table analytics_private.kpi_api_request_count enable row level security;
revoke all on analytics_private.kpi_api_request_count from public, anon, authenticated;
grant all on analytics_private.kpi_api_request_count to service_role;

create index if not exists kpi_api_request_count_xid_idx on analytics_private.kpi_api_request_count (ingest_xid);

create index if not exists kpi_api_request_count_rollup_net_idx on analytics_private.kpi_api_request_count (network_id, period);

create table if not exists analytics_private.kpi_api_request_count_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_api_request_count_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_api_request_count_net is 'KPI api_request_count: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_request_count_net enable row level security;
revoke all on analytics_private.kpi_api_request_count_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_request_count_net to service_role;

drop policy if exists kpi_api_request_count_facts_service on analytics_private.kpi_api_request_count_facts;
create policy kpi_api_request_count_facts_service on analytics_private.kpi_api_request_count_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_request_count_service on analytics_private.kpi_api_request_count;
create policy kpi_api_request_count_service on analytics_private.kpi_api_request_count for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_request_count_net_service on analytics_private.kpi_api_request_count_net;
create policy kpi_api_request_count_net_service on analytics_private.kpi_api_request_count_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_api_request_count()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.api_latency_ms', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.api_request_count', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'api_request_count' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_request_count';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_api_request_count_facts (site_id, period, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_request_count')
  on conflict do nothing;
  insert into analytics_private.kpi_api_request_count as r (site_id, period, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_request_count')
  group by 1, 2, 3
  on conflict (site_id, period, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_request_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_request_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_api_request_count_net (network_id, period, value, sites, actors)
select v.network_id, v.period, v.value, p.sites, p.actors
  from (select f.network_id, f.period, sum(f.value)::bigint as value
        from analytics_private.kpi_api_request_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as v
  join (select f.network_id, f.period, count(distinct f.site_id) as sites,
               count(distinct f.actor_hash) as actors
        from analytics_private.kpi_api_request_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as p
    on v.network_id = p.network_id and v.period = p.period;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_api_latency_ms_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_api_request_count() is 'Folds new events into KPI api_request_count; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_api_request_count() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_api_request_count() to service_role;

create or replace function analytics_private.kpi_api_request_count_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_request_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2;
$fn$;
comment on function analytics_private.kpi_api_request_count_for_caller() is 'KPI api_request_count for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_api_request_count_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_request_count_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_api_request_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_request_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2;
$fn$;
comment on function analytics_private.kpi_api_request_count_between(date, date) is 'KPI api_request_count for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_api_request_count_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_request_count_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_api_request_count_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_request_count_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_api_request_count_cells() is 'KPI api_request_count across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_api_request_count_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_api_request_count_cells() to authenticated, service_role;

create or replace view analytics.kpi_api_request_count with (security_invoker = true) as
  select * from analytics_private.kpi_api_request_count_for_caller();
comment on view analytics.kpi_api_request_count is 'KPI api_request_count: API requests completed per day.';
revoke all on analytics.kpi_api_request_count from public, anon, authenticated;
grant select on analytics.kpi_api_request_count to authenticated, service_role;

create or replace function analytics.kpi_api_request_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_request_count_between("from", "to");
$fn$;
comment on function analytics.kpi_api_request_count_between(date, date) is 'KPI api_request_count for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_api_request_count_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_request_count_between(date, date) to authenticated, service_role;

create or replace view analytics.network_api_request_count with (security_invoker = true) as
  select * from analytics_private.network_api_request_count_cells();
comment on view analytics.network_api_request_count is 'KPI api_request_count across the caller''s network; small cells hidden.';
revoke all on analytics.network_api_request_count from public, anon, authenticated;
grant select on analytics.network_api_request_count to authenticated, service_role;

-- KPI api_server_error_count
insert into analytics_private.kpi_watermarks (kpi) values
  ('api_server_error_count')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_api_server_error_count_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_server_error_count_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_api_server_error_count_facts is 'KPI api_server_error_count: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_api_server_error_count_facts enable row level security;
revoke all on analytics_private.kpi_api_server_error_count_facts from public, anon, authenticated;
grant all on analytics_private.kpi_api_server_error_count_facts to service_role;

create index if not exists kpi_api_server_error_count_facts_xid_idx on analytics_private.kpi_api_server_error_count_facts (ingest_xid);

create index if not exists kpi_api_server_error_count_facts_net_idx on analytics_private.kpi_api_server_error_count_facts (network_id, period);

create table if not exists analytics_private.kpi_api_server_error_count (
  site_id uuid not null,
  period date not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_api_server_error_count_key unique nulls not distinct (site_id, period, network_id)
);
comment on table analytics_private.kpi_api_server_error_count is 'API requests per day that ended with a 5xx status.';
alter table analytics_private.kpi_api_server_error_count enable row level security;
revoke all on analytics_private.kpi_api_server_error_count from public, anon, authenticated;
grant all on analytics_private.kpi_api_server_error_count to service_role;

create index if not exists kpi_api_server_error_count_xid_idx on analytics_private.kpi_api_server_error_count (ingest_xid);

create index if not exists kpi_api_server_error_count_rollup_net_idx on analytics_private.kpi_api_server_error_count (network_id, period);

create table if not exists analytics_private.kpi_api_server_error_count_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_api_server_error_count_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_api_server_error_count_net is 'KPI api_server_error_count: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_api_server_error_count_net enable row level security;
revoke all on analytics_private.kpi_api_server_error_count_net from public, anon, authenticated;
grant all on analytics_private.kpi_api_server_error_count_net to service_role;

drop policy if exists kpi_api_server_error_count_facts_service on analytics_private.kpi_api_server_error_count_facts;
create policy kpi_api_server_error_count_facts_service on analytics_private.kpi_api_server_error_count_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_server_error_count_service on analytics_private.kpi_api_server_error_count;
create policy kpi_api_server_error_count_service on analytics_private.kpi_api_server_error_count for all to service_role
  using (true) with check (true);

drop policy if exists kpi_api_server_error_count_net_service on analytics_private.kpi_api_server_error_count_net;
create policy kpi_api_server_error_count_net_service on analytics_private.kpi_api_server_error_count_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_api_server_error_count()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.api_server_error_count', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.api_server_error_count', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'api_server_error_count' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'api_server_error_count';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_api_server_error_count_facts (site_id, period, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_server_error_count')
      and (e.payload ->> 'status_class') = any (array['server_error']::text[])
  on conflict do nothing;
  insert into analytics_private.kpi_api_server_error_count as r (site_id, period, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_server_error_count')
      and (e.payload ->> 'status_class') = any (array['server_error']::text[])
  group by 1, 2, 3
  on conflict (site_id, period, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_server_error_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_server_error_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_api_server_error_count_net (network_id, period, value, sites, actors)
select v.network_id, v.period, v.value, p.sites, p.actors
  from (select f.network_id, f.period, sum(f.value)::bigint as value
        from analytics_private.kpi_api_server_error_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as v
  join (select f.network_id, f.period, count(distinct f.site_id) as sites,
               count(distinct f.actor_hash) as actors
        from analytics_private.kpi_api_server_error_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as p
    on v.network_id = p.network_id and v.period = p.period;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_api_server_error_count_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_api_server_error_count() is 'Folds new events into KPI api_server_error_count; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_api_server_error_count() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_api_server_error_count() to service_role;

create or replace function analytics_private.kpi_api_server_error_count_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_server_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2;
$fn$;
comment on function analytics_private.kpi_api_server_error_count_for_caller() is 'KPI api_server_error_count for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_api_server_error_count_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_server_error_count_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_api_server_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_api_server_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2;
$fn$;
comment on function analytics_private.kpi_api_server_error_count_between(date, date) is 'KPI api_server_error_count for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_api_server_error_count_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_server_error_count_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_api_server_error_count_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_server_error_count_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_api_server_error_count_cells() is 'KPI api_server_error_count across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_api_server_error_count_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_api_server_error_count_cells() to authenticated, service_role;

create or replace view analytics.kpi_api_server_error_count with (security_invoker = true) as
  select * from analytics_private.kpi_api_server_error_count_for_caller();
comment on view analytics.kpi_api_server_error_count is 'KPI api_server_error_count: API requests per day that ended with a 5xx status.';
revoke all on analytics.kpi_api_server_error_count from public, anon, authenticated;
grant select on analytics.kpi_api_server_error_count to authenticated, service_role;

create or replace function analytics.kpi_api_server_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_server_error_count_between("from", "to");
$fn$;
comment on function analytics.kpi_api_server_error_count_between(date, date) is 'KPI api_server_error_count for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_api_server_error_count_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_server_error_count_between(date, date) to authenticated, service_role;

create or replace view analytics.network_api_server_error_count with (security_invoker = true) as
  select * from analytics_private.network_api_server_error_count_cells();
comment on view analytics.network_api_server_error_count is 'KPI api_server_error_count across the caller''s network; small cells hidden.';
revoke all on analytics.network_api_server_error_count from public, anon, authenticated;
grant select on analytics.network_api_server_error_count to authenticated, service_role;

-- KPI clinic_collaborators
insert into analytics_private.kpi_watermarks (kpi) values
  ('clinic_collaborators')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_clinic_collaborators_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_collaborators_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_clinic_collaborators_facts is 'KPI clinic_collaborators: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_clinic_collaborators_facts enable row level security;
revoke all on analytics_private.kpi_clinic_collaborators_facts from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_collaborators_facts to service_role;

create index if not exists kpi_clinic_collaborators_facts_xid_idx on analytics_private.kpi_clinic_collaborators_facts (ingest_xid);

create index if not exists kpi_clinic_collaborators_facts_net_idx on analytics_private.kpi_clinic_collaborators_facts (network_id, period);

create table if not exists analytics_private.kpi_clinic_collaborators (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_collaborators_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_clinic_collaborators is 'Clinic-plan actors who shared a protocol, handed off a caseload or took part in a review in the week.';
alter table analytics_private.kpi_clinic_collaborators enable row level security;
revoke all on analytics_private.kpi_clinic_collaborators from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_collaborators to service_role;

create index if not exists kpi_clinic_collaborators_xid_idx on analytics_private.kpi_clinic_collaborators (ingest_xid);

create table if not exists analytics_private.kpi_clinic_collaborators_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_clinic_collaborators_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_clinic_collaborators_net is 'KPI clinic_collaborators: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_clinic_collaborators_net enable row level security;
revoke all on analytics_private.kpi_clinic_collaborators_net from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_collaborators_net to service_role;

drop policy if exists kpi_clinic_collaborators_facts_service on analytics_private.kpi_clinic_collaborators_facts;
create policy kpi_clinic_collaborators_facts_service on analytics_private.kpi_clinic_collaborators_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_collaborators_service on analytics_private.kpi_clinic_collaborators;
create policy kpi_clinic_collaborators_service on analytics_private.kpi_clinic_collaborators for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_collaborators_net_service on analytics_private.kpi_clinic_collaborators_net;
create policy kpi_clinic_collaborators_net_service on analytics_private.kpi_clinic_collaborators_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_clinic_collaborators()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.clinic_collaborators', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.clinic_collaborators', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_collaborators' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'clinic_collaborators';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_clinic_collaborators_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_collaborators')
      and e.actor_tier = any (array['clinic']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_clinic_collaborators as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_clinic_collaborators_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'clinic_collaborators';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_clinic_collaborators_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_collaborators_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_clinic_collaborators_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_clinic_collaborators_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_collaborators_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_collaborators_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_clinic_collaborators_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_clinic_collaborators() is 'Folds new events into KPI clinic_collaborators; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_clinic_collaborators() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_clinic_collaborators() to service_role;

create or replace function analytics_private.kpi_clinic_collaborators_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_clinic_collaborators as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_clinic_collaborators_for_caller() is 'KPI clinic_collaborators for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_clinic_collaborators_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_collaborators_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_clinic_collaborators_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_clinic_collaborators as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_clinic_collaborators_between(date, date) is 'KPI clinic_collaborators for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_clinic_collaborators_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_collaborators_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_clinic_collaborators_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_clinic_collaborators_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_clinic_collaborators_cells() is 'KPI clinic_collaborators across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_clinic_collaborators_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_clinic_collaborators_cells() to authenticated, service_role;

create or replace view analytics.kpi_clinic_collaborators with (security_invoker = true) as
  select * from analytics_private.kpi_clinic_collaborators_for_caller();
comment on view analytics.kpi_clinic_collaborators is 'KPI clinic_collaborators: Clinic-plan actors who shared a protocol, handed off a caseload or took part in a review in the week.';
revoke all on analytics.kpi_clinic_collaborators from public, anon, authenticated;
grant select on analytics.kpi_clinic_collaborators to authenticated, service_role;

create or replace function analytics.kpi_clinic_collaborators_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_clinic_collaborators_between("from", "to");
$fn$;
comment on function analytics.kpi_clinic_collaborators_between(date, date) is 'KPI clinic_collaborators for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_clinic_collaborators_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_collaborators_between(date, date) to authenticated, service_role;

create or replace view analytics.network_clinic_collaborators with (security_invoker = true) as
  select * from analytics_private.network_clinic_collaborators_cells();
comment on view analytics.network_clinic_collaborators is 'KPI clinic_collaborators across the caller''s network; small cells hidden.';
revoke all on analytics.network_clinic_collaborators from public, anon, authenticated;
grant select on analytics.network_clinic_collaborators to authenticated, service_role;

-- KPI clinic_team_onboarding
insert into analytics_private.kpi_watermarks (kpi) values
  ('clinic_team_onboarding')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_clinic_team_onboarding_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding_steps is 'KPI clinic_team_onboarding: every event that matches a step, per actor.';
alter table analytics_private.kpi_clinic_team_onboarding_steps enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_steps from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_steps to service_role;

create index if not exists kpi_clinic_team_onboarding_steps_actor_idx on analytics_private.kpi_clinic_team_onboarding_steps (site_id, actor_hash);

create index if not exists kpi_clinic_team_onboarding_steps_xid_idx on analytics_private.kpi_clinic_team_onboarding_steps (ingest_xid);

create table if not exists analytics_private.kpi_clinic_team_onboarding_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_clinic_team_onboarding_actors is 'KPI clinic_team_onboarding: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_clinic_team_onboarding_actors enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_actors from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_actors to service_role;

create index if not exists kpi_clinic_team_onboarding_actors_xid_idx on analytics_private.kpi_clinic_team_onboarding_actors (ingest_xid);

create index if not exists kpi_clinic_team_onboarding_actors_net_idx on analytics_private.kpi_clinic_team_onboarding_actors (network_id, period);

create table if not exists analytics_private.kpi_clinic_team_onboarding (
  site_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_clinic_team_onboarding_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding is 'Actors who move their site onto the clinic plan and then, within 14 days, invite a colleague and share a protocol with the team.';
alter table analytics_private.kpi_clinic_team_onboarding enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding to service_role;

create table if not exists analytics_private.kpi_clinic_team_onboarding_net (
  network_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_clinic_team_onboarding_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_clinic_team_onboarding_net is 'KPI clinic_team_onboarding: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_clinic_team_onboarding_net enable row level security;
revoke all on analytics_private.kpi_clinic_team_onboarding_net from public, anon, authenticated;
grant all on analytics_private.kpi_clinic_team_onboarding_net to service_role;

drop policy if exists kpi_clinic_team_onboarding_steps_service on analytics_private.kpi_clinic_team_onboarding_steps;
create policy kpi_clinic_team_onboarding_steps_service on analytics_private.kpi_clinic_team_onboarding_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_team_onboarding_actors_service on analytics_private.kpi_clinic_team_onboarding_actors;
create policy kpi_clinic_team_onboarding_actors_service on analytics_private.kpi_clinic_team_onboarding_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_team_onboarding_service on analytics_private.kpi_clinic_team_onboarding;
create policy kpi_clinic_team_onboarding_service on analytics_private.kpi_clinic_team_onboarding for all to service_role
  using (true) with check (true);

drop policy if exists kpi_clinic_team_onboarding_net_service on analytics_private.kpi_clinic_team_onboarding_net;
create policy kpi_clinic_team_onboarding_net_service on analytics_private.kpi_clinic_team_onboarding_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_clinic_team_onboarding()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.clinic_team_onboarding', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_team_onboarding' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'clinic_team_onboarding';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_clinic_team_onboarding_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step1')
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step2')
union all
select e.site_id, e.actor_hash, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_team_onboarding.step3')
  on conflict do nothing;
  insert into analytics_private.kpi_clinic_team_onboarding_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 3, interval '14 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_clinic_team_onboarding_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_clinic_team_onboarding_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_clinic_team_onboarding as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_clinic_team_onboarding_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 3) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'clinic_team_onboarding';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_clinic_team_onboarding_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_clinic_team_onboarding_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_clinic_team_onboarding_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 3) as g (step)
  group by 1, 2, 3;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_clinic_team_onboarding_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  loop
    fs_total := 0;
    for fs_step in 2 .. 3 loop
      update analytics_private.kpi_clinic_team_onboarding_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_clinic_team_onboarding_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_clinic_team_onboarding_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_clinic_team_onboarding_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_clinic_team_onboarding_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_clinic_team_onboarding_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_clinic_team_onboarding_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_clinic_team_onboarding_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_clinic_team_onboarding_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 3
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
  end loop;
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_clinic_team_onboarding() is 'Folds new events into KPI clinic_team_onboarding; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_clinic_team_onboarding() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_clinic_team_onboarding() to service_role;

create or replace function analytics_private.kpi_clinic_team_onboarding_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['upgraded_to_clinic', 'invited_colleague', 'shared_protocol']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_clinic_team_onboarding as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_clinic_team_onboarding_for_caller() is 'KPI clinic_team_onboarding for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_clinic_team_onboarding_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_team_onboarding_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_clinic_team_onboarding_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['upgraded_to_clinic', 'invited_colleague', 'shared_protocol']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_clinic_team_onboarding as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_clinic_team_onboarding_between(date, date) is 'KPI clinic_team_onboarding for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_clinic_team_onboarding_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_team_onboarding_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_clinic_team_onboarding_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['upgraded_to_clinic', 'invited_colleague', 'shared_protocol']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_clinic_team_onboarding_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_clinic_team_onboarding_cells() is 'KPI clinic_team_onboarding across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_clinic_team_onboarding_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_clinic_team_onboarding_cells() to authenticated, service_role;

create or replace view analytics.kpi_clinic_team_onboarding with (security_invoker = true) as
  select * from analytics_private.kpi_clinic_team_onboarding_for_caller();
comment on view analytics.kpi_clinic_team_onboarding is 'KPI clinic_team_onboarding: Actors who move their site onto the clinic plan and then, within 14 days, invite a colleague and share a protocol with the team.';
revoke all on analytics.kpi_clinic_team_onboarding from public, anon, authenticated;
grant select on analytics.kpi_clinic_team_onboarding to authenticated, service_role;

create or replace function analytics.kpi_clinic_team_onboarding_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_clinic_team_onboarding_between("from", "to");
$fn$;
comment on function analytics.kpi_clinic_team_onboarding_between(date, date) is 'KPI clinic_team_onboarding for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_clinic_team_onboarding_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_team_onboarding_between(date, date) to authenticated, service_role;

create or replace view analytics.network_clinic_team_onboarding with (security_invoker = true) as
  select * from analytics_private.network_clinic_team_onboarding_cells();
comment on view analytics.network_clinic_team_onboarding is 'KPI clinic_team_onboarding across the caller''s network; small cells hidden.';
revoke all on analytics.network_clinic_team_onboarding from public, anon, authenticated;
grant select on analytics.network_clinic_team_onboarding to authenticated, service_role;

-- KPI consumer_daily_actives
insert into analytics_private.kpi_watermarks (kpi) values
  ('consumer_daily_actives')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_consumer_daily_actives_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_daily_actives_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_consumer_daily_actives_facts is 'KPI consumer_daily_actives: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_consumer_daily_actives_facts enable row level security;
revoke all on analytics_private.kpi_consumer_daily_actives_facts from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_daily_actives_facts to service_role;

create index if not exists kpi_consumer_daily_actives_facts_xid_idx on analytics_private.kpi_consumer_daily_actives_facts (ingest_xid);

create index if not exists kpi_consumer_daily_actives_facts_net_idx on analytics_private.kpi_consumer_daily_actives_facts (network_id, period);

create table if not exists analytics_private.kpi_consumer_daily_actives (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_daily_actives_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_consumer_daily_actives is 'Free-plan actors with any consumer event in the day.';
alter table analytics_private.kpi_consumer_daily_actives enable row level security;
revoke all on analytics_private.kpi_consumer_daily_actives from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_daily_actives to service_role;

create index if not exists kpi_consumer_daily_actives_xid_idx on analytics_private.kpi_consumer_daily_actives (ingest_xid);

create table if not exists analytics_private.kpi_consumer_daily_actives_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_consumer_daily_actives_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_consumer_daily_actives_net is 'KPI consumer_daily_actives: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_consumer_daily_actives_net enable row level security;
revoke all on analytics_private.kpi_consumer_daily_actives_net from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_daily_actives_net to service_role;

drop policy if exists kpi_consumer_daily_actives_facts_service on analytics_private.kpi_consumer_daily_actives_facts;
create policy kpi_consumer_daily_actives_facts_service on analytics_private.kpi_consumer_daily_actives_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_daily_actives_service on analytics_private.kpi_consumer_daily_actives;
create policy kpi_consumer_daily_actives_service on analytics_private.kpi_consumer_daily_actives for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_daily_actives_net_service on analytics_private.kpi_consumer_daily_actives_net;
create policy kpi_consumer_daily_actives_net_service on analytics_private.kpi_consumer_daily_actives_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_consumer_daily_actives()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.consumer_daily_actives', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.consumer_daily_actives', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_daily_actives' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'consumer_daily_actives';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_consumer_daily_actives_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_daily_actives')
      and e.actor_tier = any (array['consumer']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_consumer_daily_actives as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_consumer_daily_actives_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consumer_daily_actives';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consumer_daily_actives_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_daily_actives_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_consumer_daily_actives_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_consumer_daily_actives_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_daily_actives_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_daily_actives_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_consumer_daily_actives_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_consumer_daily_actives() is 'Folds new events into KPI consumer_daily_actives; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_consumer_daily_actives() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_consumer_daily_actives() to service_role;

create or replace function analytics_private.kpi_consumer_daily_actives_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_daily_actives as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_consumer_daily_actives_for_caller() is 'KPI consumer_daily_actives for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_consumer_daily_actives_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_daily_actives_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_consumer_daily_actives_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_daily_actives as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_consumer_daily_actives_between(date, date) is 'KPI consumer_daily_actives for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_consumer_daily_actives_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_daily_actives_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_consumer_daily_actives_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_consumer_daily_actives_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_consumer_daily_actives_cells() is 'KPI consumer_daily_actives across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_consumer_daily_actives_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_consumer_daily_actives_cells() to authenticated, service_role;

create or replace view analytics.kpi_consumer_daily_actives with (security_invoker = true) as
  select * from analytics_private.kpi_consumer_daily_actives_for_caller();
comment on view analytics.kpi_consumer_daily_actives is 'KPI consumer_daily_actives: Free-plan actors with any consumer event in the day.';
revoke all on analytics.kpi_consumer_daily_actives from public, anon, authenticated;
grant select on analytics.kpi_consumer_daily_actives to authenticated, service_role;

create or replace function analytics.kpi_consumer_daily_actives_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_daily_actives_between("from", "to");
$fn$;
comment on function analytics.kpi_consumer_daily_actives_between(date, date) is 'KPI consumer_daily_actives for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_consumer_daily_actives_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_daily_actives_between(date, date) to authenticated, service_role;

create or replace view analytics.network_consumer_daily_actives with (security_invoker = true) as
  select * from analytics_private.network_consumer_daily_actives_cells();
comment on view analytics.network_consumer_daily_actives is 'KPI consumer_daily_actives across the caller''s network; small cells hidden.';
revoke all on analytics.network_consumer_daily_actives from public, anon, authenticated;
grant select on analytics.network_consumer_daily_actives to authenticated, service_role;

-- KPI consumer_feature_users
insert into analytics_private.kpi_watermarks (kpi) values
  ('consumer_feature_users')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_consumer_feature_users_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_consumer_feature_users_facts is 'KPI consumer_feature_users: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_consumer_feature_users_facts enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_facts from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_facts to service_role;

create index if not exists kpi_consumer_feature_users_facts_xid_idx on analytics_private.kpi_consumer_feature_users_facts (ingest_xid);

create index if not exists kpi_consumer_feature_users_facts_net_idx on analytics_private.kpi_consumer_feature_users_facts (network_id, period);

create table if not exists analytics_private.kpi_consumer_feature_users (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_consumer_feature_users is 'Free-plan actors who used at least one free feature surface in the day.';
alter table analytics_private.kpi_consumer_feature_users enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users to service_role;

create index if not exists kpi_consumer_feature_users_xid_idx on analytics_private.kpi_consumer_feature_users (ingest_xid);

create table if not exists analytics_private.kpi_consumer_feature_users_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_consumer_feature_users_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_consumer_feature_users_net is 'KPI consumer_feature_users: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_consumer_feature_users_net enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_net from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_net to service_role;

drop policy if exists kpi_consumer_feature_users_facts_service on analytics_private.kpi_consumer_feature_users_facts;
create policy kpi_consumer_feature_users_facts_service on analytics_private.kpi_consumer_feature_users_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_service on analytics_private.kpi_consumer_feature_users;
create policy kpi_consumer_feature_users_service on analytics_private.kpi_consumer_feature_users for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_net_service on analytics_private.kpi_consumer_feature_users_net;
create policy kpi_consumer_feature_users_net_service on analytics_private.kpi_consumer_feature_users_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_consumer_feature_users()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.consumer_feature_users', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.consumer_feature_users', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'consumer_feature_users';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_consumer_feature_users_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users')
      and e.actor_tier = any (array['consumer']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_consumer_feature_users as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_consumer_feature_users_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consumer_feature_users';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consumer_feature_users_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_feature_users_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_consumer_feature_users_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_consumer_feature_users_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_feature_users_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_consumer_feature_users_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_consumer_feature_users_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_consumer_feature_users() is 'Folds new events into KPI consumer_feature_users; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_consumer_feature_users() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_consumer_feature_users() to service_role;

create or replace function analytics_private.kpi_consumer_feature_users_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_feature_users as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_for_caller() is 'KPI consumer_feature_users for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_consumer_feature_users_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_consumer_feature_users_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_consumer_feature_users as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_between(date, date) is 'KPI consumer_feature_users for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_consumer_feature_users_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_consumer_feature_users_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_consumer_feature_users_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_consumer_feature_users_cells() is 'KPI consumer_feature_users across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_consumer_feature_users_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_consumer_feature_users_cells() to authenticated, service_role;

create or replace view analytics.kpi_consumer_feature_users with (security_invoker = true) as
  select * from analytics_private.kpi_consumer_feature_users_for_caller();
comment on view analytics.kpi_consumer_feature_users is 'KPI consumer_feature_users: Free-plan actors who used at least one free feature surface in the day.';
revoke all on analytics.kpi_consumer_feature_users from public, anon, authenticated;
grant select on analytics.kpi_consumer_feature_users to authenticated, service_role;

create or replace function analytics.kpi_consumer_feature_users_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_feature_users_between("from", "to");
$fn$;
comment on function analytics.kpi_consumer_feature_users_between(date, date) is 'KPI consumer_feature_users for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_consumer_feature_users_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_users_between(date, date) to authenticated, service_role;

create or replace view analytics.network_consumer_feature_users with (security_invoker = true) as
  select * from analytics_private.network_consumer_feature_users_cells();
comment on view analytics.network_consumer_feature_users is 'KPI consumer_feature_users across the caller''s network; small cells hidden.';
revoke all on analytics.network_consumer_feature_users from public, anon, authenticated;
grant select on analytics.network_consumer_feature_users to authenticated, service_role;

-- KPI consumer_feature_users_by_feature
insert into analytics_private.kpi_watermarks (kpi) values
  ('consumer_feature_users_by_feature')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_consumer_feature_users_by_feature_facts (
  site_id uuid not null,
  period date not null,
  feature text,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_by_feature_facts_key unique nulls not distinct (site_id, period, feature, actor_hash, network_id)
);
comment on table analytics_private.kpi_consumer_feature_users_by_feature_facts is 'KPI consumer_feature_users_by_feature: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_consumer_feature_users_by_feature_facts enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_by_feature_facts from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_by_feature_facts to service_role;

create index if not exists kpi_consumer_feature_users_by_feature_facts_xid_idx on analytics_private.kpi_consumer_feature_users_by_feature_facts (ingest_xid);

create index if not exists kpi_consumer_feature_users_by_feature_facts_net_idx on analytics_private.kpi_consumer_feature_users_by_feature_facts (network_id, period, feature);

create table if not exists analytics_private.kpi_consumer_feature_users_by_feature (
  site_id uuid not null,
  period date not null,
  feature text,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_consumer_feature_users_by_feature_key unique nulls not distinct (site_id, period, feature)
);
comment on table analytics_private.kpi_consumer_feature_users_by_feature is 'Free-plan actors per day who used each free feature surface (one actor may count under several).';
alter table analytics_private.kpi_consumer_feature_users_by_feature enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_by_feature from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_by_feature to service_role;

create index if not exists kpi_consumer_feature_users_by_feature_xid_idx on analytics_private.kpi_consumer_feature_users_by_feature (ingest_xid);

create table if not exists analytics_private.kpi_consumer_feature_users_by_feature_net (
  network_id uuid not null,
  period date not null,
  feature text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_consumer_feature_users_by_feature_net_key unique nulls not distinct (network_id, period, feature)
);
comment on table analytics_private.kpi_consumer_feature_users_by_feature_net is 'KPI consumer_feature_users_by_feature: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_consumer_feature_users_by_feature_net enable row level security;
revoke all on analytics_private.kpi_consumer_feature_users_by_feature_net from public, anon, authenticated;
grant all on analytics_private.kpi_consumer_feature_users_by_feature_net to service_role;

drop policy if exists kpi_consumer_feature_users_by_feature_facts_service on analytics_private.kpi_consumer_feature_users_by_feature_facts;
create policy kpi_consumer_feature_users_by_feature_facts_service on analytics_private.kpi_consumer_feature_users_by_feature_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_by_feature_service on analytics_private.kpi_consumer_feature_users_by_feature;
create policy kpi_consumer_feature_users_by_feature_service on analytics_private.kpi_consumer_feature_users_by_feature for all to service_role
  using (true) with check (true);

drop policy if exists kpi_consumer_feature_users_by_feature_net_service on analytics_private.kpi_consumer_feature_users_by_feature_net;
create policy kpi_consumer_feature_users_by_feature_net_service on analytics_private.kpi_consumer_feature_users_by_feature_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_consumer_feature_users_by_feature()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.consumer_feature_users', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.consumer_feature_users_by_feature', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users_by_feature' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'consumer_feature_users_by_feature';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_consumer_feature_users_by_feature_facts (site_id, period, feature, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, (e.payload ->> 'feature'), e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users_by_feature')
      and e.actor_tier = any (array['consumer']::text[])
    on conflict do nothing
    returning site_id, period, feature, actor_hash
  )
  insert into analytics_private.kpi_consumer_feature_users_by_feature as r (site_id, period, feature, value)
  select fresh.site_id, fresh.period, fresh.feature, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_consumer_feature_users_by_feature_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.feature is not distinct from fresh.feature)
  group by 1, 2, 3
  on conflict (site_id, period, feature) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consumer_feature_users_by_feature';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consumer_feature_users_by_feature_net as nc
  using (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.feature is not distinct from t.feature;
  insert into analytics_private.kpi_consumer_feature_users_by_feature_net (network_id, period, feature, value, sites, actors)
select f.network_id, f.period, f.feature, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_consumer_feature_users_by_feature_facts as f
  join (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.feature is not distinct from t.feature
  group by 1, 2, 3;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_consumer_feature_users_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_consumer_feature_users_by_feature() is 'Folds new events into KPI consumer_feature_users_by_feature; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_consumer_feature_users_by_feature() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_consumer_feature_users_by_feature() to service_role;

create or replace function analytics_private.kpi_consumer_feature_users_by_feature_for_caller()
returns table (site_id uuid, period date, feature text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.feature, r.value
  from analytics_private.kpi_consumer_feature_users_by_feature as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_by_feature_for_caller() is 'KPI consumer_feature_users_by_feature for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_consumer_feature_users_by_feature_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_by_feature_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_consumer_feature_users_by_feature_between("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.feature, r.value
  from analytics_private.kpi_consumer_feature_users_by_feature as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_by_feature_between(date, date) is 'KPI consumer_feature_users_by_feature for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_consumer_feature_users_by_feature_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_by_feature_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_consumer_feature_users_by_feature_cells()
returns table (period date, feature text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.feature, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_consumer_feature_users_by_feature_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_consumer_feature_users_by_feature_cells() is 'KPI consumer_feature_users_by_feature across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_consumer_feature_users_by_feature_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_consumer_feature_users_by_feature_cells() to authenticated, service_role;

create or replace view analytics.kpi_consumer_feature_users_by_feature with (security_invoker = true) as
  select * from analytics_private.kpi_consumer_feature_users_by_feature_for_caller();
comment on view analytics.kpi_consumer_feature_users_by_feature is 'KPI consumer_feature_users_by_feature: Free-plan actors per day who used each free feature surface (one actor may count under several).';
revoke all on analytics.kpi_consumer_feature_users_by_feature from public, anon, authenticated;
grant select on analytics.kpi_consumer_feature_users_by_feature to authenticated, service_role;

create or replace function analytics.kpi_consumer_feature_users_by_feature_between("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_feature_users_by_feature_between("from", "to");
$fn$;
comment on function analytics.kpi_consumer_feature_users_by_feature_between(date, date) is 'KPI consumer_feature_users_by_feature for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_consumer_feature_users_by_feature_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_users_by_feature_between(date, date) to authenticated, service_role;

create or replace view analytics.network_consumer_feature_users_by_feature with (security_invoker = true) as
  select * from analytics_private.network_consumer_feature_users_by_feature_cells();
comment on view analytics.network_consumer_feature_users_by_feature is 'KPI consumer_feature_users_by_feature across the caller''s network; small cells hidden.';
revoke all on analytics.network_consumer_feature_users_by_feature from public, anon, authenticated;
grant select on analytics.network_consumer_feature_users_by_feature to authenticated, service_role;

-- KPI daily_active_actors
insert into analytics_private.kpi_watermarks (kpi) values
  ('daily_active_actors')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_daily_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_daily_active_actors_facts_key unique nulls not distinct (site_id, period, tier, actor_hash, network_id)
);
comment on table analytics_private.kpi_daily_active_actors_facts is 'KPI daily_active_actors: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_daily_active_actors_facts enable row level security;
revoke all on analytics_private.kpi_daily_active_actors_facts from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_facts to service_role;

create index if not exists kpi_daily_active_actors_facts_xid_idx on analytics_private.kpi_daily_active_actors_facts (ingest_xid);

create index if not exists kpi_daily_active_actors_facts_net_idx on analytics_private.kpi_daily_active_actors_facts (network_id, period, tier);

create table if not exists analytics_private.kpi_daily_active_actors (
  site_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_daily_active_actors_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_daily_active_actors is 'Distinct actors with at least one product event in the day, by the caller''s tier (DAU).';
alter table analytics_private.kpi_daily_active_actors enable row level security;
revoke all on analytics_private.kpi_daily_active_actors from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors to service_role;

create index if not exists kpi_daily_active_actors_xid_idx on analytics_private.kpi_daily_active_actors (ingest_xid);

create table if not exists analytics_private.kpi_daily_active_actors_net (
  network_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_daily_active_actors_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_daily_active_actors_net is 'KPI daily_active_actors: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_daily_active_actors_net enable row level security;
revoke all on analytics_private.kpi_daily_active_actors_net from public, anon, authenticated;
grant all on analytics_private.kpi_daily_active_actors_net to service_role;

drop policy if exists kpi_daily_active_actors_facts_service on analytics_private.kpi_daily_active_actors_facts;
create policy kpi_daily_active_actors_facts_service on analytics_private.kpi_daily_active_actors_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_daily_active_actors_service on analytics_private.kpi_daily_active_actors;
create policy kpi_daily_active_actors_service on analytics_private.kpi_daily_active_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_daily_active_actors_net_service on analytics_private.kpi_daily_active_actors_net;
create policy kpi_daily_active_actors_net_service on analytics_private.kpi_daily_active_actors_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_daily_active_actors()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.daily_active_actors', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.daily_active_actors', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'daily_active_actors';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_daily_active_actors_facts (site_id, period, tier, actor_hash, network_id)
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_tier, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors')
    on conflict do nothing
    returning site_id, period, tier, actor_hash
  )
  insert into analytics_private.kpi_daily_active_actors as r (site_id, period, tier, value)
  select fresh.site_id, fresh.period, fresh.tier, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_daily_active_actors_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier is not distinct from fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'daily_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_daily_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier is not distinct from t.tier;
  insert into analytics_private.kpi_daily_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_daily_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier is not distinct from t.tier
  group by 1, 2, 3;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_daily_active_actors_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_daily_active_actors() is 'Folds new events into KPI daily_active_actors; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_daily_active_actors() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_daily_active_actors() to service_role;

create or replace function analytics_private.kpi_daily_active_actors_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_daily_active_actors_for_caller() is 'KPI daily_active_actors for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_daily_active_actors_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_daily_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_daily_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_daily_active_actors_between(date, date) is 'KPI daily_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_daily_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_daily_active_actors_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_daily_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_daily_active_actors_cells() is 'KPI daily_active_actors across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_daily_active_actors_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_daily_active_actors_cells() to authenticated, service_role;

create or replace view analytics.kpi_daily_active_actors with (security_invoker = true) as
  select * from analytics_private.kpi_daily_active_actors_for_caller();
comment on view analytics.kpi_daily_active_actors is 'KPI daily_active_actors: Distinct actors with at least one product event in the day, by the caller''s tier (DAU).';
revoke all on analytics.kpi_daily_active_actors from public, anon, authenticated;
grant select on analytics.kpi_daily_active_actors to authenticated, service_role;

create or replace function analytics.kpi_daily_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_daily_active_actors_between("from", "to");
$fn$;
comment on function analytics.kpi_daily_active_actors_between(date, date) is 'KPI daily_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_daily_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_daily_active_actors_between(date, date) to authenticated, service_role;

create or replace view analytics.network_daily_active_actors with (security_invoker = true) as
  select * from analytics_private.network_daily_active_actors_cells();
comment on view analytics.network_daily_active_actors is 'KPI daily_active_actors across the caller''s network; small cells hidden.';
revoke all on analytics.network_daily_active_actors from public, anon, authenticated;
grant select on analytics.network_daily_active_actors to authenticated, service_role;

-- KPI error_count
insert into analytics_private.kpi_watermarks (kpi) values
  ('error_count')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_error_count_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_error_count_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_error_count_facts is 'KPI error_count: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_error_count_facts enable row level security;
revoke all on analytics_private.kpi_error_count_facts from public, anon, authenticated;
grant all on analytics_private.kpi_error_count_facts to service_role;

create index if not exists kpi_error_count_facts_xid_idx on analytics_private.kpi_error_count_facts (ingest_xid);

create index if not exists kpi_error_count_facts_net_idx on analytics_private.kpi_error_count_facts (network_id, period);

create table if not exists analytics_private.kpi_error_count (
  site_id uuid not null,
  period date not null,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_error_count_key unique nulls not distinct (site_id, period, network_id)
);
comment on table analytics_private.kpi_error_count is 'All errors shown to callers per day.';
alter table analytics_private.kpi_error_count enable row level security;
revoke all on analytics_private.kpi_error_count from public, anon, authenticated;
grant all on analytics_private.kpi_error_count to service_role;

create index if not exists kpi_error_count_xid_idx on analytics_private.kpi_error_count (ingest_xid);

create index if not exists kpi_error_count_rollup_net_idx on analytics_private.kpi_error_count (network_id, period);

create table if not exists analytics_private.kpi_error_count_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_error_count_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_error_count_net is 'KPI error_count: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_error_count_net enable row level security;
revoke all on analytics_private.kpi_error_count_net from public, anon, authenticated;
grant all on analytics_private.kpi_error_count_net to service_role;

drop policy if exists kpi_error_count_facts_service on analytics_private.kpi_error_count_facts;
create policy kpi_error_count_facts_service on analytics_private.kpi_error_count_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_error_count_service on analytics_private.kpi_error_count;
create policy kpi_error_count_service on analytics_private.kpi_error_count for all to service_role
  using (true) with check (true);

drop policy if exists kpi_error_count_net_service on analytics_private.kpi_error_count_net;
create policy kpi_error_count_net_service on analytics_private.kpi_error_count_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_error_count()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.error_count', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.error_count', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'error_count' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'error_count';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_error_count_facts (site_id, period, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'error_count')
  on conflict do nothing;
  insert into analytics_private.kpi_error_count as r (site_id, period, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'error_count')
  group by 1, 2, 3
  on conflict (site_id, period, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'error_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_error_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_error_count_net (network_id, period, value, sites, actors)
select v.network_id, v.period, v.value, p.sites, p.actors
  from (select f.network_id, f.period, sum(f.value)::bigint as value
        from analytics_private.kpi_error_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as v
  join (select f.network_id, f.period, count(distinct f.site_id) as sites,
               count(distinct f.actor_hash) as actors
        from analytics_private.kpi_error_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as p
    on v.network_id = p.network_id and v.period = p.period;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_error_count_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_error_count() is 'Folds new events into KPI error_count; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_error_count() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_error_count() to service_role;

create or replace function analytics_private.kpi_error_count_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2;
$fn$;
comment on function analytics_private.kpi_error_count_for_caller() is 'KPI error_count for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_error_count_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_error_count_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, sum(r.value)::bigint
  from analytics_private.kpi_error_count as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2;
$fn$;
comment on function analytics_private.kpi_error_count_between(date, date) is 'KPI error_count for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_error_count_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_error_count_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_error_count_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_error_count_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_error_count_cells() is 'KPI error_count across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_error_count_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_error_count_cells() to authenticated, service_role;

create or replace view analytics.kpi_error_count with (security_invoker = true) as
  select * from analytics_private.kpi_error_count_for_caller();
comment on view analytics.kpi_error_count is 'KPI error_count: All errors shown to callers per day.';
revoke all on analytics.kpi_error_count from public, anon, authenticated;
grant select on analytics.kpi_error_count to authenticated, service_role;

create or replace function analytics.kpi_error_count_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_error_count_between("from", "to");
$fn$;
comment on function analytics.kpi_error_count_between(date, date) is 'KPI error_count for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_error_count_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_error_count_between(date, date) to authenticated, service_role;

create or replace view analytics.network_error_count with (security_invoker = true) as
  select * from analytics_private.network_error_count_cells();
comment on view analytics.network_error_count is 'KPI error_count across the caller''s network; small cells hidden.';
revoke all on analytics.network_error_count from public, anon, authenticated;
grant select on analytics.network_error_count to authenticated, service_role;

-- KPI errors_by_code
insert into analytics_private.kpi_watermarks (kpi) values
  ('errors_by_code')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_errors_by_code_facts (
  site_id uuid not null,
  period date not null,
  error_code text,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_errors_by_code_facts_key unique nulls not distinct (site_id, period, error_code, actor_hash, network_id)
);
comment on table analytics_private.kpi_errors_by_code_facts is 'KPI errors_by_code: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_errors_by_code_facts enable row level security;
revoke all on analytics_private.kpi_errors_by_code_facts from public, anon, authenticated;
grant all on analytics_private.kpi_errors_by_code_facts to service_role;

create index if not exists kpi_errors_by_code_facts_xid_idx on analytics_private.kpi_errors_by_code_facts (ingest_xid);

create index if not exists kpi_errors_by_code_facts_net_idx on analytics_private.kpi_errors_by_code_facts (network_id, period, error_code);

create table if not exists analytics_private.kpi_errors_by_code (
  site_id uuid not null,
  period date not null,
  error_code text,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_errors_by_code_key unique nulls not distinct (site_id, period, error_code, network_id)
);
comment on table analytics_private.kpi_errors_by_code is 'Errors shown to callers per day, by error code.';
alter table analytics_private.kpi_errors_by_code enable row level security;
revoke all on analytics_private.kpi_errors_by_code from public, anon, authenticated;
grant all on analytics_private.kpi_errors_by_code to service_role;

create index if not exists kpi_errors_by_code_xid_idx on analytics_private.kpi_errors_by_code (ingest_xid);

create index if not exists kpi_errors_by_code_rollup_net_idx on analytics_private.kpi_errors_by_code (network_id, period, error_code);

create table if not exists analytics_private.kpi_errors_by_code_net (
  network_id uuid not null,
  period date not null,
  error_code text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_errors_by_code_net_key unique nulls not distinct (network_id, period, error_code)
);
comment on table analytics_private.kpi_errors_by_code_net is 'KPI errors_by_code: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_errors_by_code_net enable row level security;
revoke all on analytics_private.kpi_errors_by_code_net from public, anon, authenticated;
grant all on analytics_private.kpi_errors_by_code_net to service_role;

drop policy if exists kpi_errors_by_code_facts_service on analytics_private.kpi_errors_by_code_facts;
create policy kpi_errors_by_code_facts_service on analytics_private.kpi_errors_by_code_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_errors_by_code_service on analytics_private.kpi_errors_by_code;
create policy kpi_errors_by_code_service on analytics_private.kpi_errors_by_code for all to service_role
  using (true) with check (true);

drop policy if exists kpi_errors_by_code_net_service on analytics_private.kpi_errors_by_code_net;
create policy kpi_errors_by_code_net_service on analytics_private.kpi_errors_by_code_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_errors_by_code()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.error_count', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.errors_by_code', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'errors_by_code' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'errors_by_code';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_errors_by_code_facts (site_id, period, error_code, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, (e.payload ->> 'error_code'), e.actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')
  on conflict do nothing;
  insert into analytics_private.kpi_errors_by_code as r (site_id, period, error_code, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, (e.payload ->> 'error_code'), e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')
  group by 1, 2, 3, 4
  on conflict (site_id, period, error_code, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'errors_by_code';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_errors_by_code_net as nc
  using (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.error_code is not distinct from t.error_code;
  insert into analytics_private.kpi_errors_by_code_net (network_id, period, error_code, value, sites, actors)
select v.network_id, v.period, v.error_code, v.value, p.sites, p.actors
  from (select f.network_id, f.period, f.error_code, sum(f.value)::bigint as value
        from analytics_private.kpi_errors_by_code as f
        join (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.error_code is not distinct from t.error_code
        group by 1, 2, 3) as v
  join (select f.network_id, f.period, f.error_code, count(distinct f.site_id) as sites,
               count(distinct f.actor_hash) as actors
        from analytics_private.kpi_errors_by_code_facts as f
        join (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.error_code is not distinct from t.error_code
        group by 1, 2, 3) as p
    on v.network_id = p.network_id and v.period = p.period and v.error_code is not distinct from p.error_code;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_error_count_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_errors_by_code() is 'Folds new events into KPI errors_by_code; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_errors_by_code() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_errors_by_code() to service_role;

create or replace function analytics_private.kpi_errors_by_code_for_caller()
returns table (site_id uuid, period date, error_code text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.error_code, sum(r.value)::bigint
  from analytics_private.kpi_errors_by_code as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2, 3;
$fn$;
comment on function analytics_private.kpi_errors_by_code_for_caller() is 'KPI errors_by_code for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_errors_by_code_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_errors_by_code_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_errors_by_code_between("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.error_code, sum(r.value)::bigint
  from analytics_private.kpi_errors_by_code as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3;
$fn$;
comment on function analytics_private.kpi_errors_by_code_between(date, date) is 'KPI errors_by_code for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_errors_by_code_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_errors_by_code_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_errors_by_code_cells()
returns table (period date, error_code text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.error_code, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_errors_by_code_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_errors_by_code_cells() is 'KPI errors_by_code across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_errors_by_code_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_errors_by_code_cells() to authenticated, service_role;

create or replace view analytics.kpi_errors_by_code with (security_invoker = true) as
  select * from analytics_private.kpi_errors_by_code_for_caller();
comment on view analytics.kpi_errors_by_code is 'KPI errors_by_code: Errors shown to callers per day, by error code.';
revoke all on analytics.kpi_errors_by_code from public, anon, authenticated;
grant select on analytics.kpi_errors_by_code to authenticated, service_role;

create or replace function analytics.kpi_errors_by_code_between("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_errors_by_code_between("from", "to");
$fn$;
comment on function analytics.kpi_errors_by_code_between(date, date) is 'KPI errors_by_code for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_errors_by_code_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_errors_by_code_between(date, date) to authenticated, service_role;

create or replace view analytics.network_errors_by_code with (security_invoker = true) as
  select * from analytics_private.network_errors_by_code_cells();
comment on view analytics.network_errors_by_code is 'KPI errors_by_code across the caller''s network; small cells hidden.';
revoke all on analytics.network_errors_by_code from public, anon, authenticated;
grant select on analytics.network_errors_by_code to authenticated, service_role;

-- KPI monthly_active_actors
insert into analytics_private.kpi_watermarks (kpi) values
  ('monthly_active_actors')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_monthly_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_active_actors_facts_key unique nulls not distinct (site_id, period, tier, actor_hash, network_id)
);
comment on table analytics_private.kpi_monthly_active_actors_facts is 'KPI monthly_active_actors: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_monthly_active_actors_facts enable row level security;
revoke all on analytics_private.kpi_monthly_active_actors_facts from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_active_actors_facts to service_role;

create index if not exists kpi_monthly_active_actors_facts_xid_idx on analytics_private.kpi_monthly_active_actors_facts (ingest_xid);

create index if not exists kpi_monthly_active_actors_facts_net_idx on analytics_private.kpi_monthly_active_actors_facts (network_id, period, tier);

create table if not exists analytics_private.kpi_monthly_active_actors (
  site_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_active_actors_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_monthly_active_actors is 'Distinct actors with at least one product event in the calendar month, by tier (MAU).';
alter table analytics_private.kpi_monthly_active_actors enable row level security;
revoke all on analytics_private.kpi_monthly_active_actors from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_active_actors to service_role;

create index if not exists kpi_monthly_active_actors_xid_idx on analytics_private.kpi_monthly_active_actors (ingest_xid);

create table if not exists analytics_private.kpi_monthly_active_actors_net (
  network_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_monthly_active_actors_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_monthly_active_actors_net is 'KPI monthly_active_actors: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_monthly_active_actors_net enable row level security;
revoke all on analytics_private.kpi_monthly_active_actors_net from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_active_actors_net to service_role;

drop policy if exists kpi_monthly_active_actors_facts_service on analytics_private.kpi_monthly_active_actors_facts;
create policy kpi_monthly_active_actors_facts_service on analytics_private.kpi_monthly_active_actors_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_active_actors_service on analytics_private.kpi_monthly_active_actors;
create policy kpi_monthly_active_actors_service on analytics_private.kpi_monthly_active_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_active_actors_net_service on analytics_private.kpi_monthly_active_actors_net;
create policy kpi_monthly_active_actors_net_service on analytics_private.kpi_monthly_active_actors_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_monthly_active_actors()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.monthly_active_actors', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.monthly_active_actors', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'monthly_active_actors';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_monthly_active_actors_facts (site_id, period, tier, actor_hash, network_id)
    select distinct e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date, e.actor_tier, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_active_actors')
    on conflict do nothing
    returning site_id, period, tier, actor_hash
  )
  insert into analytics_private.kpi_monthly_active_actors as r (site_id, period, tier, value)
  select fresh.site_id, fresh.period, fresh.tier, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_monthly_active_actors_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier is not distinct from fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'monthly_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_monthly_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier is not distinct from t.tier;
  insert into analytics_private.kpi_monthly_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_monthly_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier is not distinct from t.tier
  group by 1, 2, 3;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_monthly_active_actors_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_monthly_active_actors() is 'Folds new events into KPI monthly_active_actors; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_monthly_active_actors() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_monthly_active_actors() to service_role;

create or replace function analytics_private.kpi_monthly_active_actors_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_monthly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_monthly_active_actors_for_caller() is 'KPI monthly_active_actors for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_monthly_active_actors_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_active_actors_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_monthly_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_monthly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_monthly_active_actors_between(date, date) is 'KPI monthly_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_monthly_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_active_actors_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_monthly_active_actors_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period and (m.period + interval '1 month')::date - 1 and b.tier is not distinct from m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_monthly_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_monthly_active_actors_cells() is 'KPI monthly_active_actors across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_monthly_active_actors_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_monthly_active_actors_cells() to authenticated, service_role;

create or replace view analytics.kpi_monthly_active_actors with (security_invoker = true) as
  select * from analytics_private.kpi_monthly_active_actors_for_caller();
comment on view analytics.kpi_monthly_active_actors is 'KPI monthly_active_actors: Distinct actors with at least one product event in the calendar month, by tier (MAU).';
revoke all on analytics.kpi_monthly_active_actors from public, anon, authenticated;
grant select on analytics.kpi_monthly_active_actors to authenticated, service_role;

create or replace function analytics.kpi_monthly_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_monthly_active_actors_between("from", "to");
$fn$;
comment on function analytics.kpi_monthly_active_actors_between(date, date) is 'KPI monthly_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_monthly_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_monthly_active_actors_between(date, date) to authenticated, service_role;

create or replace view analytics.network_monthly_active_actors with (security_invoker = true) as
  select * from analytics_private.network_monthly_active_actors_cells();
comment on view analytics.network_monthly_active_actors is 'KPI monthly_active_actors across the caller''s network; small cells hidden.';
revoke all on analytics.network_monthly_active_actors from public, anon, authenticated;
grant select on analytics.network_monthly_active_actors to authenticated, service_role;

-- KPI monthly_signup_retention
insert into analytics_private.kpi_watermarks (kpi) values
  ('monthly_signup_retention')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_monthly_signup_retention_cohorts (
  site_id uuid not null,
  actor_hash bytea not null,
  cohort date not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_signup_retention_cohorts_key primary key (site_id, actor_hash)
);
comment on table analytics_private.kpi_monthly_signup_retention_cohorts is 'KPI monthly_signup_retention: each actor''s cohort, the month of its first cohort event at the site.';
alter table analytics_private.kpi_monthly_signup_retention_cohorts enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention_cohorts from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention_cohorts to service_role;

create index if not exists kpi_monthly_signup_retention_cohorts_xid_idx on analytics_private.kpi_monthly_signup_retention_cohorts (ingest_xid);

create index if not exists kpi_monthly_signup_retention_cohorts_net_idx on analytics_private.kpi_monthly_signup_retention_cohorts (network_id, cohort);

create table if not exists analytics_private.kpi_monthly_signup_retention_active (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_signup_retention_active_key primary key (site_id, actor_hash, period)
);
comment on table analytics_private.kpi_monthly_signup_retention_active is 'KPI monthly_signup_retention: the months in which each actor had a returning event.';
alter table analytics_private.kpi_monthly_signup_retention_active enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention_active from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention_active to service_role;

create index if not exists kpi_monthly_signup_retention_active_xid_idx on analytics_private.kpi_monthly_signup_retention_active (ingest_xid);

create table if not exists analytics_private.kpi_monthly_signup_retention (
  site_id uuid not null,
  period date not null,
  period_number smallint,
  cohort_actors bigint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_monthly_signup_retention_key unique nulls not distinct (site_id, period, period_number)
);
comment on table analytics_private.kpi_monthly_signup_retention is 'Of the actors who signed up in a month, the share with any product event in each of the following 12 months.';
alter table analytics_private.kpi_monthly_signup_retention enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention to service_role;

create table if not exists analytics_private.kpi_monthly_signup_retention_net (
  network_id uuid not null,
  period date not null,
  period_number smallint,
  cohort_actors bigint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_monthly_signup_retention_net_key unique nulls not distinct (network_id, period, period_number)
);
comment on table analytics_private.kpi_monthly_signup_retention_net is 'KPI monthly_signup_retention: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_monthly_signup_retention_net enable row level security;
revoke all on analytics_private.kpi_monthly_signup_retention_net from public, anon, authenticated;
grant all on analytics_private.kpi_monthly_signup_retention_net to service_role;

drop policy if exists kpi_monthly_signup_retention_cohorts_service on analytics_private.kpi_monthly_signup_retention_cohorts;
create policy kpi_monthly_signup_retention_cohorts_service on analytics_private.kpi_monthly_signup_retention_cohorts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_signup_retention_active_service on analytics_private.kpi_monthly_signup_retention_active;
create policy kpi_monthly_signup_retention_active_service on analytics_private.kpi_monthly_signup_retention_active for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_signup_retention_service on analytics_private.kpi_monthly_signup_retention;
create policy kpi_monthly_signup_retention_service on analytics_private.kpi_monthly_signup_retention for all to service_role
  using (true) with check (true);

drop policy if exists kpi_monthly_signup_retention_net_service on analytics_private.kpi_monthly_signup_retention_net;
create policy kpi_monthly_signup_retention_net_service on analytics_private.kpi_monthly_signup_retention_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_monthly_signup_retention()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  moved_sites uuid[];
  moved_cohorts date[];
  moved_networks uuid[];
begin
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.monthly_signup_retention', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_signup_retention' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'monthly_signup_retention';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  -- A late, earlier cohort event moves an actor to an earlier cohort: remember the cohort it leaves.
  select coalesce(array_agg(c.site_id), '{}'), coalesce(array_agg(c.cohort), '{}'), coalesce(array_agg(c.network_id), '{}')
    into moved_sites, moved_cohorts, moved_networks
  from analytics_private.kpi_monthly_signup_retention_cohorts as c
  join (select e.site_id, e.actor_hash, min(date_trunc('month', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_monthly_signup_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, e.actor_hash, min(date_trunc('month', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.cohort')
  group by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_monthly_signup_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, e.actor_hash, date_trunc('month', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_signup_retention.returning')
  on conflict do nothing;
  delete from analytics_private.kpi_monthly_signup_retention as r
  using unnest(moved_sites, moved_cohorts) as m (site_id, cohort)
  where r.site_id = m.site_id and r.period = m.cohort;
  -- Recount every cohort that gained members or activity in this transaction, or lost a member.
  insert into analytics_private.kpi_monthly_signup_retention as r (site_id, period, period_number, cohort_actors, value)
  select d.site_id, d.cohort, g.j::smallint, count(c.actor_hash), count(a.actor_hash)
  from (select x.site_id, x.cohort from analytics_private.kpi_monthly_signup_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
        union
        select x.site_id, x.cohort from analytics_private.kpi_monthly_signup_retention_active as y
        join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id()
        union
        select m.site_id, m.cohort from unnest(moved_sites, moved_cohorts) as m (site_id, cohort)) as d
  join analytics_private.kpi_monthly_signup_retention_cohorts as c on c.site_id = d.site_id and c.cohort = d.cohort
  cross join generate_series(0, 12) as g (j)
  left join analytics_private.kpi_monthly_signup_retention_active as a
    on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + make_interval(months => g.j))::date
  group by 1, 2, 3
  on conflict (site_id, period, period_number) do update
    set cohort_actors = excluded.cohort_actors, value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'monthly_signup_retention';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_monthly_signup_retention_net as nc
  using (select x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_monthly_signup_retention_active as y
        join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_monthly_signup_retention_net (network_id, period, period_number, cohort_actors, value, sites, actors)
select c.network_id, c.cohort as period, g.j::smallint as period_number,
         count(distinct c.actor_hash) as cohort_actors, count(distinct a.actor_hash) as value,
         count(distinct a.site_id) as sites, count(distinct a.actor_hash) as actors
  from analytics_private.kpi_monthly_signup_retention_cohorts as c
  join (select x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_monthly_signup_retention_active as y
        join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
  cross join generate_series(0, 12) as g (j)
  left join analytics_private.kpi_monthly_signup_retention_active as a
    on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + make_interval(months => g.j))::date
  group by 1, 2, 3;
  -- Which periods of each touched network cohort the view hides: those with fewer than 5 sites or
  -- actors retained, or with some but fewer than 5 actors or sites not retained (cohort size minus
  -- retained is published by difference; none is no one's value). A cohort
  -- hiding any period keeps the others only when its members are 5 actors and 5 sites after
  -- removing any one site (a hidden period lies between 0 and the published cohort size); otherwise
  -- the whole cohort is hidden.
  update analytics_private.kpi_monthly_signup_retention_net as nc set hidden = (nc.sites < 5 or nc.actors < 5)
  from (select x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_monthly_signup_retention_active as y
        join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.hidden is distinct from (nc.sites < 5 or nc.actors < 5);
  update analytics_private.kpi_monthly_signup_retention_net as nc set hidden = true
  from (select c.network_id, c.cohort as period, g.j::smallint as period_number,
               count(distinct c.actor_hash) filter (where a.actor_hash is null) as actors,
               count(distinct c.site_id) filter (where a.actor_hash is null) as sites
        from analytics_private.kpi_monthly_signup_retention_cohorts as c
        join (select x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_monthly_signup_retention_active as y
        join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        cross join generate_series(0, 12) as g (j)
        left join analytics_private.kpi_monthly_signup_retention_active as a
          on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + make_interval(months => g.j))::date
        group by 1, 2, 3) as gone
  where nc.network_id = gone.network_id and nc.period = gone.period and nc.period_number = gone.period_number
    and gone.actors > 0 and (gone.actors < 5 or gone.sites < 5);
  update analytics_private.kpi_monthly_signup_retention_net as nc set hidden = true
  from (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_monthly_signup_retention_cohorts as c
        join (select x.network_id, x.cohort as period
        from analytics_private.kpi_monthly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_monthly_signup_retention_active as y
        join analytics_private.kpi_monthly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
  where nc.network_id = coh.network_id and nc.period = coh.period and not nc.hidden
    and (coh.but_one < 5 or coh.sites <= 5)
    and exists (select 1 from analytics_private.kpi_monthly_signup_retention_net as h
                where h.network_id = nc.network_id and h.period = nc.period and h.hidden);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_monthly_signup_retention() is 'Folds new events into KPI monthly_signup_retention; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_monthly_signup_retention() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_monthly_signup_retention() to service_role;

create or replace function analytics_private.kpi_monthly_signup_retention_for_caller()
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_monthly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_monthly_signup_retention_for_caller() is 'KPI monthly_signup_retention for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_monthly_signup_retention_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_signup_retention_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_monthly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_monthly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_monthly_signup_retention_between(date, date) is 'KPI monthly_signup_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_monthly_signup_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_signup_retention_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_monthly_signup_retention_cells()
returns table (period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.period_number, case when r.suppressed then null else r.cohort_actors end as cohort_actors, case when r.suppressed then null else r.value end as retained, round(case when r.suppressed then null else r.value end::numeric / nullif(case when r.suppressed then null else r.cohort_actors end, 0), 6) as rate, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_monthly_signup_retention_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_monthly_signup_retention_cells() is 'KPI monthly_signup_retention across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_monthly_signup_retention_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_monthly_signup_retention_cells() to authenticated, service_role;

create or replace view analytics.kpi_monthly_signup_retention with (security_invoker = true) as
  select * from analytics_private.kpi_monthly_signup_retention_for_caller();
comment on view analytics.kpi_monthly_signup_retention is 'KPI monthly_signup_retention: Of the actors who signed up in a month, the share with any product event in each of the following 12 months.';
revoke all on analytics.kpi_monthly_signup_retention from public, anon, authenticated;
grant select on analytics.kpi_monthly_signup_retention to authenticated, service_role;

create or replace function analytics.kpi_monthly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_monthly_signup_retention_between("from", "to");
$fn$;
comment on function analytics.kpi_monthly_signup_retention_between(date, date) is 'KPI monthly_signup_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_monthly_signup_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_monthly_signup_retention_between(date, date) to authenticated, service_role;

create or replace view analytics.network_monthly_signup_retention with (security_invoker = true) as
  select * from analytics_private.network_monthly_signup_retention_cells();
comment on view analytics.network_monthly_signup_retention is 'KPI monthly_signup_retention across the caller''s network; small cells hidden.';
revoke all on analytics.network_monthly_signup_retention from public, anon, authenticated;
grant select on analytics.network_monthly_signup_retention to authenticated, service_role;

-- KPI network_analytics_viewers
insert into analytics_private.kpi_watermarks (kpi) values
  ('network_analytics_viewers')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_network_analytics_viewers_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_network_analytics_viewers_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_network_analytics_viewers_facts is 'KPI network_analytics_viewers: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_network_analytics_viewers_facts enable row level security;
revoke all on analytics_private.kpi_network_analytics_viewers_facts from public, anon, authenticated;
grant all on analytics_private.kpi_network_analytics_viewers_facts to service_role;

create index if not exists kpi_network_analytics_viewers_facts_xid_idx on analytics_private.kpi_network_analytics_viewers_facts (ingest_xid);

create index if not exists kpi_network_analytics_viewers_facts_net_idx on analytics_private.kpi_network_analytics_viewers_facts (network_id, period);

create table if not exists analytics_private.kpi_network_analytics_viewers (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_network_analytics_viewers_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_network_analytics_viewers is 'Network-plan actors who opened a network dashboard or compared a benchmark in the month.';
alter table analytics_private.kpi_network_analytics_viewers enable row level security;
revoke all on analytics_private.kpi_network_analytics_viewers from public, anon, authenticated;
grant all on analytics_private.kpi_network_analytics_viewers to service_role;

create index if not exists kpi_network_analytics_viewers_xid_idx on analytics_private.kpi_network_analytics_viewers (ingest_xid);

create table if not exists analytics_private.kpi_network_analytics_viewers_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_network_analytics_viewers_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_network_analytics_viewers_net is 'KPI network_analytics_viewers: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_network_analytics_viewers_net enable row level security;
revoke all on analytics_private.kpi_network_analytics_viewers_net from public, anon, authenticated;
grant all on analytics_private.kpi_network_analytics_viewers_net to service_role;

drop policy if exists kpi_network_analytics_viewers_facts_service on analytics_private.kpi_network_analytics_viewers_facts;
create policy kpi_network_analytics_viewers_facts_service on analytics_private.kpi_network_analytics_viewers_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_network_analytics_viewers_service on analytics_private.kpi_network_analytics_viewers;
create policy kpi_network_analytics_viewers_service on analytics_private.kpi_network_analytics_viewers for all to service_role
  using (true) with check (true);

drop policy if exists kpi_network_analytics_viewers_net_service on analytics_private.kpi_network_analytics_viewers_net;
create policy kpi_network_analytics_viewers_net_service on analytics_private.kpi_network_analytics_viewers_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_network_analytics_viewers()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.network_analytics_viewers', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.network_analytics_viewers', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'network_analytics_viewers' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'network_analytics_viewers';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_network_analytics_viewers_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'network_analytics_viewers')
      and e.actor_tier = any (array['network']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_network_analytics_viewers as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_network_analytics_viewers_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'network_analytics_viewers';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_network_analytics_viewers_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_network_analytics_viewers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_network_analytics_viewers_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_network_analytics_viewers_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_network_analytics_viewers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_network_analytics_viewers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_network_analytics_viewers_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_network_analytics_viewers() is 'Folds new events into KPI network_analytics_viewers; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_network_analytics_viewers() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_network_analytics_viewers() to service_role;

create or replace function analytics_private.kpi_network_analytics_viewers_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_network_analytics_viewers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_network_analytics_viewers_for_caller() is 'KPI network_analytics_viewers for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_network_analytics_viewers_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_network_analytics_viewers_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_network_analytics_viewers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_network_analytics_viewers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_network_analytics_viewers_between(date, date) is 'KPI network_analytics_viewers for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_network_analytics_viewers_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_network_analytics_viewers_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_network_analytics_viewers_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_network_analytics_viewers_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_network_analytics_viewers_cells() is 'KPI network_analytics_viewers across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_network_analytics_viewers_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_network_analytics_viewers_cells() to authenticated, service_role;

create or replace view analytics.kpi_network_analytics_viewers with (security_invoker = true) as
  select * from analytics_private.kpi_network_analytics_viewers_for_caller();
comment on view analytics.kpi_network_analytics_viewers is 'KPI network_analytics_viewers: Network-plan actors who opened a network dashboard or compared a benchmark in the month.';
revoke all on analytics.kpi_network_analytics_viewers from public, anon, authenticated;
grant select on analytics.kpi_network_analytics_viewers to authenticated, service_role;

create or replace function analytics.kpi_network_analytics_viewers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_network_analytics_viewers_between("from", "to");
$fn$;
comment on function analytics.kpi_network_analytics_viewers_between(date, date) is 'KPI network_analytics_viewers for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_network_analytics_viewers_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_network_analytics_viewers_between(date, date) to authenticated, service_role;

create or replace view analytics.network_network_analytics_viewers with (security_invoker = true) as
  select * from analytics_private.network_network_analytics_viewers_cells();
comment on view analytics.network_network_analytics_viewers is 'KPI network_analytics_viewers across the caller''s network; small cells hidden.';
revoke all on analytics.network_network_analytics_viewers from public, anon, authenticated;
grant select on analytics.network_network_analytics_viewers to authenticated, service_role;

-- KPI protocol_loggers
insert into analytics_private.kpi_watermarks (kpi) values
  ('protocol_loggers')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_protocol_loggers_facts (
  site_id uuid not null,
  period date not null,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_loggers_facts_key unique nulls not distinct (site_id, period, actor_hash, network_id)
);
comment on table analytics_private.kpi_protocol_loggers_facts is 'KPI protocol_loggers: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_protocol_loggers_facts enable row level security;
revoke all on analytics_private.kpi_protocol_loggers_facts from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_loggers_facts to service_role;

create index if not exists kpi_protocol_loggers_facts_xid_idx on analytics_private.kpi_protocol_loggers_facts (ingest_xid);

create index if not exists kpi_protocol_loggers_facts_net_idx on analytics_private.kpi_protocol_loggers_facts (network_id, period);

create table if not exists analytics_private.kpi_protocol_loggers (
  site_id uuid not null,
  period date not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_loggers_key unique nulls not distinct (site_id, period)
);
comment on table analytics_private.kpi_protocol_loggers is 'Pro-plan actors who logged at least one protocol session in the week.';
alter table analytics_private.kpi_protocol_loggers enable row level security;
revoke all on analytics_private.kpi_protocol_loggers from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_loggers to service_role;

create index if not exists kpi_protocol_loggers_xid_idx on analytics_private.kpi_protocol_loggers (ingest_xid);

create table if not exists analytics_private.kpi_protocol_loggers_net (
  network_id uuid not null,
  period date not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_protocol_loggers_net_key unique nulls not distinct (network_id, period)
);
comment on table analytics_private.kpi_protocol_loggers_net is 'KPI protocol_loggers: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_protocol_loggers_net enable row level security;
revoke all on analytics_private.kpi_protocol_loggers_net from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_loggers_net to service_role;

drop policy if exists kpi_protocol_loggers_facts_service on analytics_private.kpi_protocol_loggers_facts;
create policy kpi_protocol_loggers_facts_service on analytics_private.kpi_protocol_loggers_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_loggers_service on analytics_private.kpi_protocol_loggers;
create policy kpi_protocol_loggers_service on analytics_private.kpi_protocol_loggers for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_loggers_net_service on analytics_private.kpi_protocol_loggers_net;
create policy kpi_protocol_loggers_net_service on analytics_private.kpi_protocol_loggers_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_protocol_loggers()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.protocol_loggers', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.protocol_loggers', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_loggers' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'protocol_loggers';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_protocol_loggers_facts (site_id, period, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_loggers')
      and e.actor_tier = any (array['practitioner']::text[])
    on conflict do nothing
    returning site_id, period, actor_hash
  )
  insert into analytics_private.kpi_protocol_loggers as r (site_id, period, value)
  select fresh.site_id, fresh.period, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_protocol_loggers_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash)
  group by 1, 2
  on conflict (site_id, period) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'protocol_loggers';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_protocol_loggers_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_protocol_loggers_net (network_id, period, value, sites, actors)
select f.network_id, f.period, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_protocol_loggers_facts as f
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
  group by 1, 2;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period
        from analytics_private.kpi_protocol_loggers_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_protocol_loggers_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_protocol_loggers() is 'Folds new events into KPI protocol_loggers; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_protocol_loggers() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_protocol_loggers() to service_role;

create or replace function analytics_private.kpi_protocol_loggers_for_caller()
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_protocol_loggers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_protocol_loggers_for_caller() is 'KPI protocol_loggers for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_protocol_loggers_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_loggers_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_protocol_loggers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.value
  from analytics_private.kpi_protocol_loggers as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_protocol_loggers_between(date, date) is 'KPI protocol_loggers for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_protocol_loggers_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_loggers_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_protocol_loggers_cells()
returns table (period date, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_protocol_loggers_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_protocol_loggers_cells() is 'KPI protocol_loggers across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_protocol_loggers_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_protocol_loggers_cells() to authenticated, service_role;

create or replace view analytics.kpi_protocol_loggers with (security_invoker = true) as
  select * from analytics_private.kpi_protocol_loggers_for_caller();
comment on view analytics.kpi_protocol_loggers is 'KPI protocol_loggers: Pro-plan actors who logged at least one protocol session in the week.';
revoke all on analytics.kpi_protocol_loggers from public, anon, authenticated;
grant select on analytics.kpi_protocol_loggers to authenticated, service_role;

create or replace function analytics.kpi_protocol_loggers_between("from" date, "to" date)
returns table (site_id uuid, period date, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_loggers_between("from", "to");
$fn$;
comment on function analytics.kpi_protocol_loggers_between(date, date) is 'KPI protocol_loggers for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_protocol_loggers_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_loggers_between(date, date) to authenticated, service_role;

create or replace view analytics.network_protocol_loggers with (security_invoker = true) as
  select * from analytics_private.network_protocol_loggers_cells();
comment on view analytics.network_protocol_loggers is 'KPI protocol_loggers across the caller''s network; small cells hidden.';
revoke all on analytics.network_protocol_loggers from public, anon, authenticated;
grant select on analytics.network_protocol_loggers to authenticated, service_role;

-- KPI protocol_logging_retention
insert into analytics_private.kpi_watermarks (kpi) values
  ('protocol_logging_retention')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_protocol_logging_retention_cohorts (
  site_id uuid not null,
  actor_hash bytea not null,
  cohort date not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_logging_retention_cohorts_key primary key (site_id, actor_hash)
);
comment on table analytics_private.kpi_protocol_logging_retention_cohorts is 'KPI protocol_logging_retention: each actor''s cohort, the week of its first cohort event at the site.';
alter table analytics_private.kpi_protocol_logging_retention_cohorts enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention_cohorts from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention_cohorts to service_role;

create index if not exists kpi_protocol_logging_retention_cohorts_xid_idx on analytics_private.kpi_protocol_logging_retention_cohorts (ingest_xid);

create index if not exists kpi_protocol_logging_retention_cohorts_net_idx on analytics_private.kpi_protocol_logging_retention_cohorts (network_id, cohort);

create table if not exists analytics_private.kpi_protocol_logging_retention_active (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_logging_retention_active_key primary key (site_id, actor_hash, period)
);
comment on table analytics_private.kpi_protocol_logging_retention_active is 'KPI protocol_logging_retention: the weeks in which each actor had a returning event.';
alter table analytics_private.kpi_protocol_logging_retention_active enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention_active from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention_active to service_role;

create index if not exists kpi_protocol_logging_retention_active_xid_idx on analytics_private.kpi_protocol_logging_retention_active (ingest_xid);

create table if not exists analytics_private.kpi_protocol_logging_retention (
  site_id uuid not null,
  period date not null,
  period_number smallint,
  cohort_actors bigint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_logging_retention_key unique nulls not distinct (site_id, period, period_number)
);
comment on table analytics_private.kpi_protocol_logging_retention is 'Of the actors who started a pro trial in a week, the share who log a protocol session in each of the following 8 weeks.';
alter table analytics_private.kpi_protocol_logging_retention enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention to service_role;

create table if not exists analytics_private.kpi_protocol_logging_retention_net (
  network_id uuid not null,
  period date not null,
  period_number smallint,
  cohort_actors bigint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_protocol_logging_retention_net_key unique nulls not distinct (network_id, period, period_number)
);
comment on table analytics_private.kpi_protocol_logging_retention_net is 'KPI protocol_logging_retention: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_protocol_logging_retention_net enable row level security;
revoke all on analytics_private.kpi_protocol_logging_retention_net from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_logging_retention_net to service_role;

drop policy if exists kpi_protocol_logging_retention_cohorts_service on analytics_private.kpi_protocol_logging_retention_cohorts;
create policy kpi_protocol_logging_retention_cohorts_service on analytics_private.kpi_protocol_logging_retention_cohorts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_logging_retention_active_service on analytics_private.kpi_protocol_logging_retention_active;
create policy kpi_protocol_logging_retention_active_service on analytics_private.kpi_protocol_logging_retention_active for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_logging_retention_service on analytics_private.kpi_protocol_logging_retention;
create policy kpi_protocol_logging_retention_service on analytics_private.kpi_protocol_logging_retention for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_logging_retention_net_service on analytics_private.kpi_protocol_logging_retention_net;
create policy kpi_protocol_logging_retention_net_service on analytics_private.kpi_protocol_logging_retention_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_protocol_logging_retention()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  moved_sites uuid[];
  moved_cohorts date[];
  moved_networks uuid[];
begin
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.protocol_logging_retention', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_logging_retention' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'protocol_logging_retention';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  -- A late, earlier cohort event moves an actor to an earlier cohort: remember the cohort it leaves.
  select coalesce(array_agg(c.site_id), '{}'), coalesce(array_agg(c.cohort), '{}'), coalesce(array_agg(c.network_id), '{}')
    into moved_sites, moved_cohorts, moved_networks
  from analytics_private.kpi_protocol_logging_retention_cohorts as c
  join (select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_protocol_logging_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.cohort')
  group by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_protocol_logging_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, e.actor_hash, date_trunc('week', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_logging_retention.returning')
  on conflict do nothing;
  delete from analytics_private.kpi_protocol_logging_retention as r
  using unnest(moved_sites, moved_cohorts) as m (site_id, cohort)
  where r.site_id = m.site_id and r.period = m.cohort;
  -- Recount every cohort that gained members or activity in this transaction, or lost a member.
  insert into analytics_private.kpi_protocol_logging_retention as r (site_id, period, period_number, cohort_actors, value)
  select d.site_id, d.cohort, g.j::smallint, count(c.actor_hash), count(a.actor_hash)
  from (select x.site_id, x.cohort from analytics_private.kpi_protocol_logging_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
        union
        select x.site_id, x.cohort from analytics_private.kpi_protocol_logging_retention_active as y
        join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id()
        union
        select m.site_id, m.cohort from unnest(moved_sites, moved_cohorts) as m (site_id, cohort)) as d
  join analytics_private.kpi_protocol_logging_retention_cohorts as c on c.site_id = d.site_id and c.cohort = d.cohort
  cross join generate_series(0, 8) as g (j)
  left join analytics_private.kpi_protocol_logging_retention_active as a
    on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
  group by 1, 2, 3
  on conflict (site_id, period, period_number) do update
    set cohort_actors = excluded.cohort_actors, value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'protocol_logging_retention';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_protocol_logging_retention_net as nc
  using (select x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_protocol_logging_retention_active as y
        join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_protocol_logging_retention_net (network_id, period, period_number, cohort_actors, value, sites, actors)
select c.network_id, c.cohort as period, g.j::smallint as period_number,
         count(distinct c.actor_hash) as cohort_actors, count(distinct a.actor_hash) as value,
         count(distinct a.site_id) as sites, count(distinct a.actor_hash) as actors
  from analytics_private.kpi_protocol_logging_retention_cohorts as c
  join (select x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_protocol_logging_retention_active as y
        join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
  cross join generate_series(0, 8) as g (j)
  left join analytics_private.kpi_protocol_logging_retention_active as a
    on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
  group by 1, 2, 3;
  -- Which periods of each touched network cohort the view hides: those with fewer than 5 sites or
  -- actors retained, or with some but fewer than 5 actors or sites not retained (cohort size minus
  -- retained is published by difference; none is no one's value). A cohort
  -- hiding any period keeps the others only when its members are 5 actors and 5 sites after
  -- removing any one site (a hidden period lies between 0 and the published cohort size); otherwise
  -- the whole cohort is hidden.
  update analytics_private.kpi_protocol_logging_retention_net as nc set hidden = (nc.sites < 5 or nc.actors < 5)
  from (select x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_protocol_logging_retention_active as y
        join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.hidden is distinct from (nc.sites < 5 or nc.actors < 5);
  update analytics_private.kpi_protocol_logging_retention_net as nc set hidden = true
  from (select c.network_id, c.cohort as period, g.j::smallint as period_number,
               count(distinct c.actor_hash) filter (where a.actor_hash is null) as actors,
               count(distinct c.site_id) filter (where a.actor_hash is null) as sites
        from analytics_private.kpi_protocol_logging_retention_cohorts as c
        join (select x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_protocol_logging_retention_active as y
        join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        cross join generate_series(0, 8) as g (j)
        left join analytics_private.kpi_protocol_logging_retention_active as a
          on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
        group by 1, 2, 3) as gone
  where nc.network_id = gone.network_id and nc.period = gone.period and nc.period_number = gone.period_number
    and gone.actors > 0 and (gone.actors < 5 or gone.sites < 5);
  update analytics_private.kpi_protocol_logging_retention_net as nc set hidden = true
  from (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_protocol_logging_retention_cohorts as c
        join (select x.network_id, x.cohort as period
        from analytics_private.kpi_protocol_logging_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_protocol_logging_retention_active as y
        join analytics_private.kpi_protocol_logging_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
  where nc.network_id = coh.network_id and nc.period = coh.period and not nc.hidden
    and (coh.but_one < 5 or coh.sites <= 5)
    and exists (select 1 from analytics_private.kpi_protocol_logging_retention_net as h
                where h.network_id = nc.network_id and h.period = nc.period and h.hidden);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_protocol_logging_retention() is 'Folds new events into KPI protocol_logging_retention; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_protocol_logging_retention() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_protocol_logging_retention() to service_role;

create or replace function analytics_private.kpi_protocol_logging_retention_for_caller()
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_protocol_logging_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_protocol_logging_retention_for_caller() is 'KPI protocol_logging_retention for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_protocol_logging_retention_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_logging_retention_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_protocol_logging_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_protocol_logging_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_protocol_logging_retention_between(date, date) is 'KPI protocol_logging_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_protocol_logging_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_logging_retention_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_protocol_logging_retention_cells()
returns table (period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.period_number, case when r.suppressed then null else r.cohort_actors end as cohort_actors, case when r.suppressed then null else r.value end as retained, round(case when r.suppressed then null else r.value end::numeric / nullif(case when r.suppressed then null else r.cohort_actors end, 0), 6) as rate, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_protocol_logging_retention_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_protocol_logging_retention_cells() is 'KPI protocol_logging_retention across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_protocol_logging_retention_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_protocol_logging_retention_cells() to authenticated, service_role;

create or replace view analytics.kpi_protocol_logging_retention with (security_invoker = true) as
  select * from analytics_private.kpi_protocol_logging_retention_for_caller();
comment on view analytics.kpi_protocol_logging_retention is 'KPI protocol_logging_retention: Of the actors who started a pro trial in a week, the share who log a protocol session in each of the following 8 weeks.';
revoke all on analytics.kpi_protocol_logging_retention from public, anon, authenticated;
grant select on analytics.kpi_protocol_logging_retention to authenticated, service_role;

create or replace function analytics.kpi_protocol_logging_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_logging_retention_between("from", "to");
$fn$;
comment on function analytics.kpi_protocol_logging_retention_between(date, date) is 'KPI protocol_logging_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_protocol_logging_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_retention_between(date, date) to authenticated, service_role;

create or replace view analytics.network_protocol_logging_retention with (security_invoker = true) as
  select * from analytics_private.network_protocol_logging_retention_cells();
comment on view analytics.network_protocol_logging_retention is 'KPI protocol_logging_retention across the caller''s network; small cells hidden.';
revoke all on analytics.network_protocol_logging_retention from public, anon, authenticated;
grant select on analytics.network_protocol_logging_retention to authenticated, service_role;

-- KPI protocol_sessions_logged
insert into analytics_private.kpi_watermarks (kpi) values
  ('protocol_sessions_logged')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_protocol_sessions_logged_facts (
  site_id uuid not null,
  period date not null,
  logging_mode text,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_sessions_logged_facts_key unique nulls not distinct (site_id, period, logging_mode, actor_hash, network_id)
);
comment on table analytics_private.kpi_protocol_sessions_logged_facts is 'KPI protocol_sessions_logged: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_protocol_sessions_logged_facts enable row level security;
revoke all on analytics_private.kpi_protocol_sessions_logged_facts from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_sessions_logged_facts to service_role;

create index if not exists kpi_protocol_sessions_logged_facts_xid_idx on analytics_private.kpi_protocol_sessions_logged_facts (ingest_xid);

create index if not exists kpi_protocol_sessions_logged_facts_net_idx on analytics_private.kpi_protocol_sessions_logged_facts (network_id, period, logging_mode);

create table if not exists analytics_private.kpi_protocol_sessions_logged (
  site_id uuid not null,
  period date not null,
  logging_mode text,
  network_id uuid,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_protocol_sessions_logged_key unique nulls not distinct (site_id, period, logging_mode, network_id)
);
comment on table analytics_private.kpi_protocol_sessions_logged is 'Protocol sessions logged per day, by logging mode (live, after the session, bulk import).';
alter table analytics_private.kpi_protocol_sessions_logged enable row level security;
revoke all on analytics_private.kpi_protocol_sessions_logged from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_sessions_logged to service_role;

create index if not exists kpi_protocol_sessions_logged_xid_idx on analytics_private.kpi_protocol_sessions_logged (ingest_xid);

create index if not exists kpi_protocol_sessions_logged_rollup_net_idx on analytics_private.kpi_protocol_sessions_logged (network_id, period, logging_mode);

create table if not exists analytics_private.kpi_protocol_sessions_logged_net (
  network_id uuid not null,
  period date not null,
  logging_mode text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_protocol_sessions_logged_net_key unique nulls not distinct (network_id, period, logging_mode)
);
comment on table analytics_private.kpi_protocol_sessions_logged_net is 'KPI protocol_sessions_logged: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_protocol_sessions_logged_net enable row level security;
revoke all on analytics_private.kpi_protocol_sessions_logged_net from public, anon, authenticated;
grant all on analytics_private.kpi_protocol_sessions_logged_net to service_role;

drop policy if exists kpi_protocol_sessions_logged_facts_service on analytics_private.kpi_protocol_sessions_logged_facts;
create policy kpi_protocol_sessions_logged_facts_service on analytics_private.kpi_protocol_sessions_logged_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_sessions_logged_service on analytics_private.kpi_protocol_sessions_logged;
create policy kpi_protocol_sessions_logged_service on analytics_private.kpi_protocol_sessions_logged for all to service_role
  using (true) with check (true);

drop policy if exists kpi_protocol_sessions_logged_net_service on analytics_private.kpi_protocol_sessions_logged_net;
create policy kpi_protocol_sessions_logged_net_service on analytics_private.kpi_protocol_sessions_logged_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_protocol_sessions_logged()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.protocol_sessions_logged', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.protocol_sessions_logged', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_sessions_logged' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'protocol_sessions_logged';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_protocol_sessions_logged_facts (site_id, period, logging_mode, actor_hash, network_id)
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, (e.payload ->> 'logging_mode'), e.actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')
  on conflict do nothing;
  insert into analytics_private.kpi_protocol_sessions_logged as r (site_id, period, logging_mode, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, (e.payload ->> 'logging_mode'), e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')
  group by 1, 2, 3, 4
  on conflict (site_id, period, logging_mode, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'protocol_sessions_logged';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_protocol_sessions_logged_net as nc
  using (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.logging_mode is not distinct from t.logging_mode;
  insert into analytics_private.kpi_protocol_sessions_logged_net (network_id, period, logging_mode, value, sites, actors)
select v.network_id, v.period, v.logging_mode, v.value, p.sites, p.actors
  from (select f.network_id, f.period, f.logging_mode, sum(f.value)::bigint as value
        from analytics_private.kpi_protocol_sessions_logged as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode is not distinct from t.logging_mode
        group by 1, 2, 3) as v
  join (select f.network_id, f.period, f.logging_mode, count(distinct f.site_id) as sites,
               count(distinct f.actor_hash) as actors
        from analytics_private.kpi_protocol_sessions_logged_facts as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode is not distinct from t.logging_mode
        group by 1, 2, 3) as p
    on v.network_id = p.network_id and v.period = p.period and v.logging_mode is not distinct from p.logging_mode;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_protocol_sessions_logged_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_protocol_sessions_logged() is 'Folds new events into KPI protocol_sessions_logged; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_protocol_sessions_logged() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_protocol_sessions_logged() to service_role;

create or replace function analytics_private.kpi_protocol_sessions_logged_for_caller()
returns table (site_id uuid, period date, logging_mode text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_protocol_sessions_logged as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2, 3;
$fn$;
comment on function analytics_private.kpi_protocol_sessions_logged_for_caller() is 'KPI protocol_sessions_logged for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_protocol_sessions_logged_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_sessions_logged_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_protocol_sessions_logged_between("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_protocol_sessions_logged as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3;
$fn$;
comment on function analytics_private.kpi_protocol_sessions_logged_between(date, date) is 'KPI protocol_sessions_logged for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_protocol_sessions_logged_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_sessions_logged_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_protocol_sessions_logged_cells()
returns table (period date, logging_mode text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.logging_mode, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_protocol_sessions_logged_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_protocol_sessions_logged_cells() is 'KPI protocol_sessions_logged across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_protocol_sessions_logged_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_protocol_sessions_logged_cells() to authenticated, service_role;

create or replace view analytics.kpi_protocol_sessions_logged with (security_invoker = true) as
  select * from analytics_private.kpi_protocol_sessions_logged_for_caller();
comment on view analytics.kpi_protocol_sessions_logged is 'KPI protocol_sessions_logged: Protocol sessions logged per day, by logging mode (live, after the session, bulk import).';
revoke all on analytics.kpi_protocol_sessions_logged from public, anon, authenticated;
grant select on analytics.kpi_protocol_sessions_logged to authenticated, service_role;

create or replace function analytics.kpi_protocol_sessions_logged_between("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_sessions_logged_between("from", "to");
$fn$;
comment on function analytics.kpi_protocol_sessions_logged_between(date, date) is 'KPI protocol_sessions_logged for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_protocol_sessions_logged_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_sessions_logged_between(date, date) to authenticated, service_role;

create or replace view analytics.network_protocol_sessions_logged with (security_invoker = true) as
  select * from analytics_private.network_protocol_sessions_logged_cells();
comment on view analytics.network_protocol_sessions_logged is 'KPI protocol_sessions_logged across the caller''s network; small cells hidden.';
revoke all on analytics.network_protocol_sessions_logged from public, anon, authenticated;
grant select on analytics.network_protocol_sessions_logged to authenticated, service_role;

-- KPI screen_load_ms
insert into analytics_private.kpi_watermarks (kpi) values
  ('screen_load_ms')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_screen_load_ms_values (
  site_id uuid not null,
  period date not null,
  screen text,
  platform text,
  actor_hash bytea not null,
  event_key uuid not null,
  occurred_at timestamptz not null,
  measure double precision not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_screen_load_ms_values_key unique (site_id, event_key, occurred_at)
);
comment on table analytics_private.kpi_screen_load_ms_values is 'KPI screen_load_ms: one measured value per event.';
alter table analytics_private.kpi_screen_load_ms_values enable row level security;
revoke all on analytics_private.kpi_screen_load_ms_values from public, anon, authenticated;
grant all on analytics_private.kpi_screen_load_ms_values to service_role;

create index if not exists kpi_screen_load_ms_values_xid_idx on analytics_private.kpi_screen_load_ms_values (ingest_xid);

create index if not exists kpi_screen_load_ms_values_cell_idx on analytics_private.kpi_screen_load_ms_values (site_id, period, screen, platform);

create index if not exists kpi_screen_load_ms_values_net_idx on analytics_private.kpi_screen_load_ms_values (network_id, period, screen, platform);

create table if not exists analytics_private.kpi_screen_load_ms (
  site_id uuid not null,
  period date not null,
  screen text,
  platform text,
  n bigint,
  p50 double precision,
  p95 double precision,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_screen_load_ms_key unique nulls not distinct (site_id, period, screen, platform)
);
comment on table analytics_private.kpi_screen_load_ms is 'Median and 95th percentile time to interactive per day, by screen and client platform.';
alter table analytics_private.kpi_screen_load_ms enable row level security;
revoke all on analytics_private.kpi_screen_load_ms from public, anon, authenticated;
grant all on analytics_private.kpi_screen_load_ms to service_role;

create index if not exists kpi_screen_load_ms_xid_idx on analytics_private.kpi_screen_load_ms (ingest_xid);

create table if not exists analytics_private.kpi_screen_load_ms_net (
  network_id uuid not null,
  period date not null,
  screen text,
  platform text,
  n bigint not null,
  p50 double precision,
  p95 double precision,
  sites bigint not null,
  actors bigint not null,
  p50_hidden boolean not null default true,
  p95_hidden boolean not null default true,
  hidden boolean not null default true,
  constraint kpi_screen_load_ms_net_key unique nulls not distinct (network_id, period, screen, platform)
);
comment on table analytics_private.kpi_screen_load_ms_net is 'KPI screen_load_ms: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_screen_load_ms_net enable row level security;
revoke all on analytics_private.kpi_screen_load_ms_net from public, anon, authenticated;
grant all on analytics_private.kpi_screen_load_ms_net to service_role;

drop policy if exists kpi_screen_load_ms_values_service on analytics_private.kpi_screen_load_ms_values;
create policy kpi_screen_load_ms_values_service on analytics_private.kpi_screen_load_ms_values for all to service_role
  using (true) with check (true);

drop policy if exists kpi_screen_load_ms_service on analytics_private.kpi_screen_load_ms;
create policy kpi_screen_load_ms_service on analytics_private.kpi_screen_load_ms for all to service_role
  using (true) with check (true);

drop policy if exists kpi_screen_load_ms_net_service on analytics_private.kpi_screen_load_ms_net;
create policy kpi_screen_load_ms_net_service on analytics_private.kpi_screen_load_ms_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_screen_load_ms()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.screen_load_ms', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.screen_load_ms', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'screen_load_ms' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'screen_load_ms';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_screen_load_ms_values (site_id, period, screen, platform, actor_hash, event_key, occurred_at, measure, network_id)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, (e.payload ->> 'screen'), (e.payload ->> 'platform'), e.actor_hash, e.idempotency_key, e.occurred_at, (e.payload ->> 'load_ms')::double precision, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'screen_load_ms')
    and jsonb_typeof(e.payload -> 'load_ms') = 'number'
  on conflict do nothing;
  insert into analytics_private.kpi_screen_load_ms as r (site_id, period, screen, platform, n, p50, p95)
  select f.site_id, f.period, f.screen, f.platform, count(*), (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95
  from analytics_private.kpi_screen_load_ms_values as f
  join (select distinct t.site_id, t.period, t.screen, t.platform
        from analytics_private.kpi_screen_load_ms_values as t where t.ingest_xid = pg_current_xact_id()) as a
    on f.site_id = a.site_id and f.period = a.period and f.screen is not distinct from a.screen and f.platform is not distinct from a.platform
  group by 1, 2, 3, 4
  on conflict (site_id, period, screen, platform) do update
    set n = excluded.n, p50 = excluded.p50, p95 = excluded.p95, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'screen_load_ms';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_screen_load_ms_net as nc
  using (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.screen is not distinct from t.screen and nc.platform is not distinct from t.platform;
  insert into analytics_private.kpi_screen_load_ms_net (network_id, period, screen, platform, n, p50, p95, sites, actors)
select f.network_id, f.period, f.screen, f.platform, count(*) as n, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_screen_load_ms_values as f
  join (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.screen is not distinct from t.screen and f.platform is not distinct from t.platform
  group by 1, 2, 3, 4;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_screen_load_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_screen_load_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.screen is not distinct from c.screen and v.platform is not distinct from c.platform),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_screen_load_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.screen is not distinct from c.screen and v.platform is not distinct from c.platform)
  from (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.screen is not distinct from t.screen and c.platform is not distinct from t.platform;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_screen_load_ms_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_screen_load_ms() is 'Folds new events into KPI screen_load_ms; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_screen_load_ms() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_screen_load_ms() to service_role;

create or replace function analytics_private.kpi_screen_load_ms_for_caller()
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.screen, r.platform, r.n, r.p50, r.p95
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_screen_load_ms_for_caller() is 'KPI screen_load_ms for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_screen_load_ms_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_screen_load_ms_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_screen_load_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.screen, r.platform, r.n, r.p50, r.p95
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_screen_load_ms_between(date, date) is 'KPI screen_load_ms for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_screen_load_ms_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_screen_load_ms_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_screen_load_ms_cells()
returns table (period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.screen, r.platform, case when r.suppressed then null else r.n end as n, case when r.suppressed or r.p50_hidden then null else r.p50 end as p50, case when r.suppressed or r.p95_hidden then null else r.p95 end as p95, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_screen_load_ms_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_screen_load_ms_cells() is 'KPI screen_load_ms across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_screen_load_ms_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_screen_load_ms_cells() to authenticated, service_role;

create or replace view analytics.kpi_screen_load_ms with (security_invoker = true) as
  select * from analytics_private.kpi_screen_load_ms_for_caller();
comment on view analytics.kpi_screen_load_ms is 'KPI screen_load_ms: Median and 95th percentile time to interactive per day, by screen and client platform.';
revoke all on analytics.kpi_screen_load_ms from public, anon, authenticated;
grant select on analytics.kpi_screen_load_ms to authenticated, service_role;

create or replace function analytics.kpi_screen_load_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_screen_load_ms_between("from", "to");
$fn$;
comment on function analytics.kpi_screen_load_ms_between(date, date) is 'KPI screen_load_ms for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_screen_load_ms_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_screen_load_ms_between(date, date) to authenticated, service_role;

create or replace view analytics.network_screen_load_ms with (security_invoker = true) as
  select * from analytics_private.network_screen_load_ms_cells();
comment on view analytics.network_screen_load_ms is 'KPI screen_load_ms across the caller''s network; small cells hidden.';
revoke all on analytics.network_screen_load_ms from public, anon, authenticated;
grant select on analytics.network_screen_load_ms to authenticated, service_role;

-- KPI trial_activation_to_conversion
insert into analytics_private.kpi_watermarks (kpi) values
  ('trial_activation_to_conversion')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_trial_activation_to_conversion_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_steps is 'KPI trial_activation_to_conversion: every event that matches a step, per actor.';
alter table analytics_private.kpi_trial_activation_to_conversion_steps enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_steps from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_steps to service_role;

create index if not exists kpi_trial_activation_to_conversion_steps_actor_idx on analytics_private.kpi_trial_activation_to_conversion_steps (site_id, actor_hash);

create index if not exists kpi_trial_activation_to_conversion_steps_xid_idx on analytics_private.kpi_trial_activation_to_conversion_steps (ingest_xid);

create table if not exists analytics_private.kpi_trial_activation_to_conversion_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_actors is 'KPI trial_activation_to_conversion: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_trial_activation_to_conversion_actors enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_actors from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_actors to service_role;

create index if not exists kpi_trial_activation_to_conversion_actors_xid_idx on analytics_private.kpi_trial_activation_to_conversion_actors (ingest_xid);

create index if not exists kpi_trial_activation_to_conversion_actors_net_idx on analytics_private.kpi_trial_activation_to_conversion_actors (network_id, period);

create table if not exists analytics_private.kpi_trial_activation_to_conversion (
  site_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_trial_activation_to_conversion_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion is 'Pro trials that are activated (protocol created, then a session logged) and convert to a paid subscription within 30 days of the trial start.';
alter table analytics_private.kpi_trial_activation_to_conversion enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion to service_role;

create table if not exists analytics_private.kpi_trial_activation_to_conversion_net (
  network_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_trial_activation_to_conversion_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_trial_activation_to_conversion_net is 'KPI trial_activation_to_conversion: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_trial_activation_to_conversion_net enable row level security;
revoke all on analytics_private.kpi_trial_activation_to_conversion_net from public, anon, authenticated;
grant all on analytics_private.kpi_trial_activation_to_conversion_net to service_role;

drop policy if exists kpi_trial_activation_to_conversion_steps_service on analytics_private.kpi_trial_activation_to_conversion_steps;
create policy kpi_trial_activation_to_conversion_steps_service on analytics_private.kpi_trial_activation_to_conversion_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_trial_activation_to_conversion_actors_service on analytics_private.kpi_trial_activation_to_conversion_actors;
create policy kpi_trial_activation_to_conversion_actors_service on analytics_private.kpi_trial_activation_to_conversion_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_trial_activation_to_conversion_service on analytics_private.kpi_trial_activation_to_conversion;
create policy kpi_trial_activation_to_conversion_service on analytics_private.kpi_trial_activation_to_conversion for all to service_role
  using (true) with check (true);

drop policy if exists kpi_trial_activation_to_conversion_net_service on analytics_private.kpi_trial_activation_to_conversion_net;
create policy kpi_trial_activation_to_conversion_net_service on analytics_private.kpi_trial_activation_to_conversion_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_trial_activation_to_conversion()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.trial_activation_to_conversion', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'trial_activation_to_conversion' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'trial_activation_to_conversion';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_trial_activation_to_conversion_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step1')
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step2')
union all
select e.site_id, e.actor_hash, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step3')
union all
select e.site_id, e.actor_hash, 4::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'trial_activation_to_conversion.step4')
  on conflict do nothing;
  insert into analytics_private.kpi_trial_activation_to_conversion_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 4, interval '30 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_trial_activation_to_conversion_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_trial_activation_to_conversion_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_trial_activation_to_conversion as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_trial_activation_to_conversion_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'trial_activation_to_conversion';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_trial_activation_to_conversion_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_trial_activation_to_conversion_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_trial_activation_to_conversion_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_trial_activation_to_conversion_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  loop
    fs_total := 0;
    for fs_step in 2 .. 4 loop
      update analytics_private.kpi_trial_activation_to_conversion_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_trial_activation_to_conversion_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_trial_activation_to_conversion_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_trial_activation_to_conversion_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_trial_activation_to_conversion_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_trial_activation_to_conversion_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_trial_activation_to_conversion_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_trial_activation_to_conversion_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_trial_activation_to_conversion_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 4
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
  end loop;
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_trial_activation_to_conversion() is 'Folds new events into KPI trial_activation_to_conversion; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_trial_activation_to_conversion() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_trial_activation_to_conversion() to service_role;

create or replace function analytics_private.kpi_trial_activation_to_conversion_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['started_trial', 'created_protocol', 'logged_protocol', 'converted']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_trial_activation_to_conversion as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_trial_activation_to_conversion_for_caller() is 'KPI trial_activation_to_conversion for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_trial_activation_to_conversion_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_trial_activation_to_conversion_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_trial_activation_to_conversion_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['started_trial', 'created_protocol', 'logged_protocol', 'converted']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_trial_activation_to_conversion as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_trial_activation_to_conversion_between(date, date) is 'KPI trial_activation_to_conversion for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_trial_activation_to_conversion_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_trial_activation_to_conversion_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_trial_activation_to_conversion_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['started_trial', 'created_protocol', 'logged_protocol', 'converted']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_trial_activation_to_conversion_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_trial_activation_to_conversion_cells() is 'KPI trial_activation_to_conversion across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_trial_activation_to_conversion_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_trial_activation_to_conversion_cells() to authenticated, service_role;

create or replace view analytics.kpi_trial_activation_to_conversion with (security_invoker = true) as
  select * from analytics_private.kpi_trial_activation_to_conversion_for_caller();
comment on view analytics.kpi_trial_activation_to_conversion is 'KPI trial_activation_to_conversion: Pro trials that are activated (protocol created, then a session logged) and convert to a paid subscription within 30 days of the trial start.';
revoke all on analytics.kpi_trial_activation_to_conversion from public, anon, authenticated;
grant select on analytics.kpi_trial_activation_to_conversion to authenticated, service_role;

create or replace function analytics.kpi_trial_activation_to_conversion_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_trial_activation_to_conversion_between("from", "to");
$fn$;
comment on function analytics.kpi_trial_activation_to_conversion_between(date, date) is 'KPI trial_activation_to_conversion for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_trial_activation_to_conversion_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_trial_activation_to_conversion_between(date, date) to authenticated, service_role;

create or replace view analytics.network_trial_activation_to_conversion with (security_invoker = true) as
  select * from analytics_private.network_trial_activation_to_conversion_cells();
comment on view analytics.network_trial_activation_to_conversion is 'KPI trial_activation_to_conversion across the caller''s network; small cells hidden.';
revoke all on analytics.network_trial_activation_to_conversion from public, anon, authenticated;
grant select on analytics.network_trial_activation_to_conversion to authenticated, service_role;

-- KPI upgrade_funnel_consumer_to_clinic
insert into analytics_private.kpi_watermarks (kpi) values
  ('upgrade_funnel_consumer_to_clinic')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps is 'KPI upgrade_funnel_consumer_to_clinic: every event that matches a step, per actor.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps to service_role;

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_steps_actor_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (site_id, actor_hash);

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_steps_xid_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (ingest_xid);

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors is 'KPI upgrade_funnel_consumer_to_clinic: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors to service_role;

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_actors_xid_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (ingest_xid);

create index if not exists kpi_upgrade_funnel_consumer_to_clinic_actors_net_idx on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors (network_id, period);

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic (
  site_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_funnel_consumer_to_clinic_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic is 'Free-plan actors who go on to start a pro trial, log a protocol session and move their site onto the clinic plan within 30 days.';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic to service_role;

create table if not exists analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net (
  network_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_upgrade_funnel_consumer_to_clinic_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net is 'KPI upgrade_funnel_consumer_to_clinic: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net enable row level security;
revoke all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net to service_role;

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_steps_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
create policy kpi_upgrade_funnel_consumer_to_clinic_steps_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_actors_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
create policy kpi_upgrade_funnel_consumer_to_clinic_actors_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic;
create policy kpi_upgrade_funnel_consumer_to_clinic_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_funnel_consumer_to_clinic_net_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net;
create policy kpi_upgrade_funnel_consumer_to_clinic_net_service on analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.upgrade_funnel_consumer_to_clinic', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_funnel_consumer_to_clinic' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'upgrade_funnel_consumer_to_clinic';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step1')
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step2')
union all
select e.site_id, e.actor_hash, 3::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step3')
union all
select e.site_id, e.actor_hash, 4::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_funnel_consumer_to_clinic.step4')
  on conflict do nothing;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 4, interval '30 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'upgrade_funnel_consumer_to_clinic';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 4) as g (step)
  group by 1, 2, 3;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  loop
    fs_total := 0;
    for fs_step in 2 .. 4 loop
      update analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 4
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
  end loop;
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic() is 'Folds new events into KPI upgrade_funnel_consumer_to_clinic; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic() to service_role;

create or replace function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_for_caller() is 'KPI upgrade_funnel_consumer_to_clinic for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between(date, date) is 'KPI upgrade_funnel_consumer_to_clinic for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_upgrade_funnel_consumer_to_clinic_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['used_free_feature', 'started_trial', 'logged_protocol', 'upgraded_to_clinic']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_upgrade_funnel_consumer_to_clinic_cells() is 'KPI upgrade_funnel_consumer_to_clinic across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_upgrade_funnel_consumer_to_clinic_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_upgrade_funnel_consumer_to_clinic_cells() to authenticated, service_role;

create or replace view analytics.kpi_upgrade_funnel_consumer_to_clinic with (security_invoker = true) as
  select * from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_for_caller();
comment on view analytics.kpi_upgrade_funnel_consumer_to_clinic is 'KPI upgrade_funnel_consumer_to_clinic: Free-plan actors who go on to start a pro trial, log a protocol session and move their site onto the clinic plan within 30 days.';
revoke all on analytics.kpi_upgrade_funnel_consumer_to_clinic from public, anon, authenticated;
grant select on analytics.kpi_upgrade_funnel_consumer_to_clinic to authenticated, service_role;

create or replace function analytics.kpi_upgrade_funnel_consumer_to_clinic_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between("from", "to");
$fn$;
comment on function analytics.kpi_upgrade_funnel_consumer_to_clinic_between(date, date) is 'KPI upgrade_funnel_consumer_to_clinic for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_upgrade_funnel_consumer_to_clinic_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_funnel_consumer_to_clinic_between(date, date) to authenticated, service_role;

create or replace view analytics.network_upgrade_funnel_consumer_to_clinic with (security_invoker = true) as
  select * from analytics_private.network_upgrade_funnel_consumer_to_clinic_cells();
comment on view analytics.network_upgrade_funnel_consumer_to_clinic is 'KPI upgrade_funnel_consumer_to_clinic across the caller''s network; small cells hidden.';
revoke all on analytics.network_upgrade_funnel_consumer_to_clinic from public, anon, authenticated;
grant select on analytics.network_upgrade_funnel_consumer_to_clinic to authenticated, service_role;

-- KPI upgrade_prompt_to_trial
insert into analytics_private.kpi_watermarks (kpi) values
  ('upgrade_prompt_to_trial')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_steps (
  site_id uuid not null,
  actor_hash bytea not null,
  step smallint not null,
  occurred_at timestamptz not null,
  event_key uuid not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_steps_key unique (site_id, event_key, occurred_at, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_steps is 'KPI upgrade_prompt_to_trial: every event that matches a step, per actor.';
alter table analytics_private.kpi_upgrade_prompt_to_trial_steps enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_steps from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_steps to service_role;

create index if not exists kpi_upgrade_prompt_to_trial_steps_actor_idx on analytics_private.kpi_upgrade_prompt_to_trial_steps (site_id, actor_hash);

create index if not exists kpi_upgrade_prompt_to_trial_steps_xid_idx on analytics_private.kpi_upgrade_prompt_to_trial_steps (ingest_xid);

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_actors (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  network_id uuid,
  depth smallint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_actors_key unique nulls not distinct (site_id, actor_hash, period, network_id)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_actors is 'KPI upgrade_prompt_to_trial: per actor and entry cell, the deepest step reached.';
alter table analytics_private.kpi_upgrade_prompt_to_trial_actors enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_actors from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_actors to service_role;

create index if not exists kpi_upgrade_prompt_to_trial_actors_xid_idx on analytics_private.kpi_upgrade_prompt_to_trial_actors (ingest_xid);

create index if not exists kpi_upgrade_prompt_to_trial_actors_net_idx on analytics_private.kpi_upgrade_prompt_to_trial_actors (network_id, period);

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial (
  site_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_upgrade_prompt_to_trial_key unique nulls not distinct (site_id, period, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial is 'Free-plan actors shown a pro upgrade prompt who start a pro trial within 7 days.';
alter table analytics_private.kpi_upgrade_prompt_to_trial enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial to service_role;

create table if not exists analytics_private.kpi_upgrade_prompt_to_trial_net (
  network_id uuid not null,
  period date not null,
  step smallint,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_upgrade_prompt_to_trial_net_key unique nulls not distinct (network_id, period, step)
);
comment on table analytics_private.kpi_upgrade_prompt_to_trial_net is 'KPI upgrade_prompt_to_trial: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_upgrade_prompt_to_trial_net enable row level security;
revoke all on analytics_private.kpi_upgrade_prompt_to_trial_net from public, anon, authenticated;
grant all on analytics_private.kpi_upgrade_prompt_to_trial_net to service_role;

drop policy if exists kpi_upgrade_prompt_to_trial_steps_service on analytics_private.kpi_upgrade_prompt_to_trial_steps;
create policy kpi_upgrade_prompt_to_trial_steps_service on analytics_private.kpi_upgrade_prompt_to_trial_steps for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_prompt_to_trial_actors_service on analytics_private.kpi_upgrade_prompt_to_trial_actors;
create policy kpi_upgrade_prompt_to_trial_actors_service on analytics_private.kpi_upgrade_prompt_to_trial_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_prompt_to_trial_service on analytics_private.kpi_upgrade_prompt_to_trial;
create policy kpi_upgrade_prompt_to_trial_service on analytics_private.kpi_upgrade_prompt_to_trial for all to service_role
  using (true) with check (true);

drop policy if exists kpi_upgrade_prompt_to_trial_net_service on analytics_private.kpi_upgrade_prompt_to_trial_net;
create policy kpi_upgrade_prompt_to_trial_net_service on analytics_private.kpi_upgrade_prompt_to_trial_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_upgrade_prompt_to_trial()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  fs_step integer;
  fs_moved bigint;
  fs_total bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.upgrade_prompt_to_trial', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_prompt_to_trial' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'upgrade_prompt_to_trial';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  insert into analytics_private.kpi_upgrade_prompt_to_trial_steps (site_id, actor_hash, step, occurred_at, event_key, network_id)
select e.site_id, e.actor_hash, 1::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_prompt_to_trial.step1')
      and (e.payload ->> 'offered_tier') = any (array['practitioner']::text[])
union all
select e.site_id, e.actor_hash, 2::smallint, e.occurred_at, e.idempotency_key, e.network_id

  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'upgrade_prompt_to_trial.step2')
  on conflict do nothing;
  insert into analytics_private.kpi_upgrade_prompt_to_trial_actors as r (site_id, actor_hash, period, network_id, depth)
  select seq.site_id, seq.actor_hash, date_trunc('day', u.t at time zone 'UTC')::date, u.network_id,
         max(analytics_private.kpi_funnel_depth(seq.steps, seq.times, seq.keys, u.idx::integer, 2, interval '7 days', 'ordered'))
  from (select s.site_id, s.actor_hash,
               array_agg(s.step order by s.occurred_at, s.event_key, s.step) as steps,
               array_agg(s.occurred_at order by s.occurred_at, s.event_key, s.step) as times,
               array_agg(s.event_key order by s.occurred_at, s.event_key, s.step) as keys, array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id
        from analytics_private.kpi_upgrade_prompt_to_trial_steps as s
        where (s.site_id, s.actor_hash) in
              (select x.site_id, x.actor_hash from analytics_private.kpi_upgrade_prompt_to_trial_steps as x
               where x.ingest_xid = pg_current_xact_id())
        group by 1, 2) as seq
  cross join lateral unnest(seq.steps, seq.times, seq.network_id) with ordinality as u (step, t, network_id, idx)
  where u.step = 1
  group by 1, 2, 3, 4
  on conflict (site_id, actor_hash, period, network_id) do update
    set depth = excluded.depth, ingest_xid = pg_current_xact_id()
    where r.depth is distinct from excluded.depth;
  insert into analytics_private.kpi_upgrade_prompt_to_trial as r (site_id, period, step, value)
  select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)
  from analytics_private.kpi_upgrade_prompt_to_trial_actors as a
  join (select distinct x.site_id, x.period from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id()) as c
    on a.site_id = c.site_id and a.period = c.period
  cross join generate_series(1, 2) as g (step)
  group by 1, 2, 3
  on conflict (site_id, period, step) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'upgrade_prompt_to_trial';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_upgrade_prompt_to_trial_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_upgrade_prompt_to_trial_net (network_id, period, step, value, sites, actors)
select a.network_id, a.period, g.step::smallint as step,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as value,
         count(distinct a.site_id) filter (where a.depth >= g.step) as sites,
         count(distinct a.actor_hash) filter (where a.depth >= g.step) as actors
  from analytics_private.kpi_upgrade_prompt_to_trial_actors as a
  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on a.network_id = t.network_id and a.period = t.period
  cross join generate_series(1, 2) as g (step)
  group by 1, 2, 3;
  -- Which steps of each touched network entry cell (network, period, dimensions) the view hides.
  -- A step with fewer than 5 sites or actors (steps only shrink, so these are the last ones).
  -- Between two shown steps a < b the actors who stopped in [a, b) are published by difference: they
  -- must be none or 5 actors at 5 sites and, when steps between a and b are hidden (which they
  -- bound), 5 actors and 5 sites after removing any one site; so must the actors who
  -- reached the last shown step when a later one is hidden. Otherwise b (or the last shown step) is
  -- hidden too, until nothing changes.
  update analytics_private.kpi_upgrade_prompt_to_trial_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  loop
    fs_total := 0;
    for fs_step in 2 .. 2 loop
      update analytics_private.kpi_upgrade_prompt_to_trial_net as c set hidden = true
      from (select x.network_id, x.period, x.prev,
                   count(distinct m.actor_hash) as actors, count(distinct m.site_id) as sites,
                   analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
            from (select c2.network_id, c2.period, max(pv.step) as prev
                  from analytics_private.kpi_upgrade_prompt_to_trial_net as c2
                  join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                  join analytics_private.kpi_upgrade_prompt_to_trial_net as pv on pv.network_id = c2.network_id and pv.period = c2.period and pv.step < fs_step and not pv.hidden
                  where c2.step = fs_step and not c2.hidden
                  group by 1, 2) as x
            left join analytics_private.kpi_upgrade_prompt_to_trial_actors as m
              on m.network_id = x.network_id and m.period = x.period and m.depth >= x.prev
             and not exists (select 1 from analytics_private.kpi_upgrade_prompt_to_trial_actors as o
                             where o.network_id = m.network_id and o.period = m.period and o.actor_hash = m.actor_hash and o.depth >= fs_step)
            group by 1, 2, x.prev) as band
      where c.network_id = band.network_id and c.period = band.period and c.step = fs_step
        and case when band.prev = fs_step - 1
                   then band.actors > 0 and (band.actors < 5 or band.sites < 5)
                 else band.but_one < 5 or band.sites <= 5 end;
      get diagnostics fs_moved = row_count;
      fs_total := fs_total + fs_moved;
    end loop;
    update analytics_private.kpi_upgrade_prompt_to_trial_net as c set hidden = true
    from (select x.network_id, x.period, x.last, count(distinct m.site_id) as sites,
                 analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
          from (select c2.network_id, c2.period, max(c2.step) filter (where not c2.hidden) as last
                from analytics_private.kpi_upgrade_prompt_to_trial_net as c2
                join (select distinct x.network_id, x.period
        from analytics_private.kpi_upgrade_prompt_to_trial_actors as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on c2.network_id = t.network_id and c2.period = t.period
                group by 1, 2) as x
          join analytics_private.kpi_upgrade_prompt_to_trial_actors as m on m.network_id = x.network_id and m.period = x.period and m.depth >= x.last
          where x.last < 2
          group by 1, 2, x.last) as tail
    where c.network_id = tail.network_id and c.period = tail.period and c.step = tail.last
      and (tail.but_one < 5 or tail.sites <= 5);
    get diagnostics fs_moved = row_count;
    fs_total := fs_total + fs_moved;
    exit when fs_total = 0;
  end loop;
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_upgrade_prompt_to_trial() is 'Folds new events into KPI upgrade_prompt_to_trial; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_upgrade_prompt_to_trial() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_upgrade_prompt_to_trial() to service_role;

create or replace function analytics_private.kpi_upgrade_prompt_to_trial_for_caller()
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['saw_pro_prompt', 'started_trial']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_prompt_to_trial as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_upgrade_prompt_to_trial_for_caller() is 'KPI upgrade_prompt_to_trial for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_upgrade_prompt_to_trial_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_prompt_to_trial_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_upgrade_prompt_to_trial_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.step, (array['saw_pro_prompt', 'started_trial']::text[])[r.step] as step_name, r.value as actors, round(r.value::numeric / nullif(first_value(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as conversion, round(r.value::numeric / nullif(lag(r.value) over (partition by r.site_id, r.period order by r.step), 0), 6) as step_conversion
  from analytics_private.kpi_upgrade_prompt_to_trial as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_upgrade_prompt_to_trial_between(date, date) is 'KPI upgrade_prompt_to_trial for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_upgrade_prompt_to_trial_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_prompt_to_trial_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_upgrade_prompt_to_trial_cells()
returns table (period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.step, (array['saw_pro_prompt', 'started_trial']::text[])[r.step] as step_name, case when r.suppressed then null else r.value end as actors, round(case when r.suppressed then null else r.value end::numeric / nullif(first_value(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as conversion, round(case when r.suppressed then null else r.value end::numeric / nullif(lag(case when r.suppressed then null else r.value end) over (partition by r.period order by r.step), 0), 6) as step_conversion, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_upgrade_prompt_to_trial_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_upgrade_prompt_to_trial_cells() is 'KPI upgrade_prompt_to_trial across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_upgrade_prompt_to_trial_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_upgrade_prompt_to_trial_cells() to authenticated, service_role;

create or replace view analytics.kpi_upgrade_prompt_to_trial with (security_invoker = true) as
  select * from analytics_private.kpi_upgrade_prompt_to_trial_for_caller();
comment on view analytics.kpi_upgrade_prompt_to_trial is 'KPI upgrade_prompt_to_trial: Free-plan actors shown a pro upgrade prompt who start a pro trial within 7 days.';
revoke all on analytics.kpi_upgrade_prompt_to_trial from public, anon, authenticated;
grant select on analytics.kpi_upgrade_prompt_to_trial to authenticated, service_role;

create or replace function analytics.kpi_upgrade_prompt_to_trial_between("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_upgrade_prompt_to_trial_between("from", "to");
$fn$;
comment on function analytics.kpi_upgrade_prompt_to_trial_between(date, date) is 'KPI upgrade_prompt_to_trial for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_upgrade_prompt_to_trial_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_prompt_to_trial_between(date, date) to authenticated, service_role;

create or replace view analytics.network_upgrade_prompt_to_trial with (security_invoker = true) as
  select * from analytics_private.network_upgrade_prompt_to_trial_cells();
comment on view analytics.network_upgrade_prompt_to_trial is 'KPI upgrade_prompt_to_trial across the caller''s network; small cells hidden.';
revoke all on analytics.network_upgrade_prompt_to_trial from public, anon, authenticated;
grant select on analytics.network_upgrade_prompt_to_trial to authenticated, service_role;

-- KPI weekly_active_actors
insert into analytics_private.kpi_watermarks (kpi) values
  ('weekly_active_actors')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_weekly_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text,
  actor_hash bytea not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_active_actors_facts_key unique nulls not distinct (site_id, period, tier, actor_hash, network_id)
);
comment on table analytics_private.kpi_weekly_active_actors_facts is 'KPI weekly_active_actors: the distinct actors of each (site, period, dimensions) cell.';
alter table analytics_private.kpi_weekly_active_actors_facts enable row level security;
revoke all on analytics_private.kpi_weekly_active_actors_facts from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_actors_facts to service_role;

create index if not exists kpi_weekly_active_actors_facts_xid_idx on analytics_private.kpi_weekly_active_actors_facts (ingest_xid);

create index if not exists kpi_weekly_active_actors_facts_net_idx on analytics_private.kpi_weekly_active_actors_facts (network_id, period, tier);

create table if not exists analytics_private.kpi_weekly_active_actors (
  site_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_active_actors_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_weekly_active_actors is 'Distinct actors with at least one product event in the calendar week, by tier (WAU).';
alter table analytics_private.kpi_weekly_active_actors enable row level security;
revoke all on analytics_private.kpi_weekly_active_actors from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_actors to service_role;

create index if not exists kpi_weekly_active_actors_xid_idx on analytics_private.kpi_weekly_active_actors (ingest_xid);

create table if not exists analytics_private.kpi_weekly_active_actors_net (
  network_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_weekly_active_actors_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_weekly_active_actors_net is 'KPI weekly_active_actors: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_weekly_active_actors_net enable row level security;
revoke all on analytics_private.kpi_weekly_active_actors_net from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_active_actors_net to service_role;

drop policy if exists kpi_weekly_active_actors_facts_service on analytics_private.kpi_weekly_active_actors_facts;
create policy kpi_weekly_active_actors_facts_service on analytics_private.kpi_weekly_active_actors_facts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_active_actors_service on analytics_private.kpi_weekly_active_actors;
create policy kpi_weekly_active_actors_service on analytics_private.kpi_weekly_active_actors for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_active_actors_net_service on analytics_private.kpi_weekly_active_actors_net;
create policy kpi_weekly_active_actors_net_service on analytics_private.kpi_weekly_active_actors_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_weekly_active_actors()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.weekly_active_actors', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.weekly_active_actors', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_actors' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'weekly_active_actors';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  with fresh as (
    insert into analytics_private.kpi_weekly_active_actors_facts (site_id, period, tier, actor_hash, network_id)
    select distinct e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date, e.actor_tier, e.actor_hash, e.network_id
    from analytics_private.events as e
    where e.ingest_xid >= lo and e.ingest_xid < hi
      and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_active_actors')
    on conflict do nothing
    returning site_id, period, tier, actor_hash
  )
  insert into analytics_private.kpi_weekly_active_actors as r (site_id, period, tier, value)
  select fresh.site_id, fresh.period, fresh.tier, count(distinct fresh.actor_hash)
  from fresh
  where not exists (
    select 1 from analytics_private.kpi_weekly_active_actors_facts as o
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier is not distinct from fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier is not distinct from t.tier;
  insert into analytics_private.kpi_weekly_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_weekly_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier is not distinct from t.tier
  group by 1, 2, 3;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as y) as x;
  perform analytics_private.kpi_weekly_active_actors_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_weekly_active_actors() is 'Folds new events into KPI weekly_active_actors; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_weekly_active_actors() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_weekly_active_actors() to service_role;

create or replace function analytics_private.kpi_weekly_active_actors_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_weekly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_weekly_active_actors_for_caller() is 'KPI weekly_active_actors for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_weekly_active_actors_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_actors_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_weekly_active_actors as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_weekly_active_actors_between(date, date) is 'KPI weekly_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_weekly_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_actors_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_weekly_active_actors_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period and m.period + 6 and b.tier is not distinct from m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_weekly_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_weekly_active_actors_cells() is 'KPI weekly_active_actors across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_weekly_active_actors_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_weekly_active_actors_cells() to authenticated, service_role;

create or replace view analytics.kpi_weekly_active_actors with (security_invoker = true) as
  select * from analytics_private.kpi_weekly_active_actors_for_caller();
comment on view analytics.kpi_weekly_active_actors is 'KPI weekly_active_actors: Distinct actors with at least one product event in the calendar week, by tier (WAU).';
revoke all on analytics.kpi_weekly_active_actors from public, anon, authenticated;
grant select on analytics.kpi_weekly_active_actors to authenticated, service_role;

create or replace function analytics.kpi_weekly_active_actors_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_weekly_active_actors_between("from", "to");
$fn$;
comment on function analytics.kpi_weekly_active_actors_between(date, date) is 'KPI weekly_active_actors for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_weekly_active_actors_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_active_actors_between(date, date) to authenticated, service_role;

create or replace view analytics.network_weekly_active_actors with (security_invoker = true) as
  select * from analytics_private.network_weekly_active_actors_cells();
comment on view analytics.network_weekly_active_actors is 'KPI weekly_active_actors across the caller''s network; small cells hidden.';
revoke all on analytics.network_weekly_active_actors from public, anon, authenticated;
grant select on analytics.network_weekly_active_actors to authenticated, service_role;

-- KPI weekly_signup_retention
insert into analytics_private.kpi_watermarks (kpi) values
  ('weekly_signup_retention')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_weekly_signup_retention_cohorts (
  site_id uuid not null,
  actor_hash bytea not null,
  cohort date not null,
  network_id uuid,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_signup_retention_cohorts_key primary key (site_id, actor_hash)
);
comment on table analytics_private.kpi_weekly_signup_retention_cohorts is 'KPI weekly_signup_retention: each actor''s cohort, the week of its first cohort event at the site.';
alter table analytics_private.kpi_weekly_signup_retention_cohorts enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention_cohorts from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention_cohorts to service_role;

create index if not exists kpi_weekly_signup_retention_cohorts_xid_idx on analytics_private.kpi_weekly_signup_retention_cohorts (ingest_xid);

create index if not exists kpi_weekly_signup_retention_cohorts_net_idx on analytics_private.kpi_weekly_signup_retention_cohorts (network_id, cohort);

create table if not exists analytics_private.kpi_weekly_signup_retention_active (
  site_id uuid not null,
  actor_hash bytea not null,
  period date not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_signup_retention_active_key primary key (site_id, actor_hash, period)
);
comment on table analytics_private.kpi_weekly_signup_retention_active is 'KPI weekly_signup_retention: the weeks in which each actor had a returning event.';
alter table analytics_private.kpi_weekly_signup_retention_active enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention_active from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention_active to service_role;

create index if not exists kpi_weekly_signup_retention_active_xid_idx on analytics_private.kpi_weekly_signup_retention_active (ingest_xid);

create table if not exists analytics_private.kpi_weekly_signup_retention (
  site_id uuid not null,
  period date not null,
  period_number smallint,
  cohort_actors bigint not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_weekly_signup_retention_key unique nulls not distinct (site_id, period, period_number)
);
comment on table analytics_private.kpi_weekly_signup_retention is 'Of the actors who signed up in a week, the share with a consumer or practitioner event in each of the following 8 weeks.';
alter table analytics_private.kpi_weekly_signup_retention enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention to service_role;

create table if not exists analytics_private.kpi_weekly_signup_retention_net (
  network_id uuid not null,
  period date not null,
  period_number smallint,
  cohort_actors bigint not null,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_weekly_signup_retention_net_key unique nulls not distinct (network_id, period, period_number)
);
comment on table analytics_private.kpi_weekly_signup_retention_net is 'KPI weekly_signup_retention: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_weekly_signup_retention_net enable row level security;
revoke all on analytics_private.kpi_weekly_signup_retention_net from public, anon, authenticated;
grant all on analytics_private.kpi_weekly_signup_retention_net to service_role;

drop policy if exists kpi_weekly_signup_retention_cohorts_service on analytics_private.kpi_weekly_signup_retention_cohorts;
create policy kpi_weekly_signup_retention_cohorts_service on analytics_private.kpi_weekly_signup_retention_cohorts for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_signup_retention_active_service on analytics_private.kpi_weekly_signup_retention_active;
create policy kpi_weekly_signup_retention_active_service on analytics_private.kpi_weekly_signup_retention_active for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_signup_retention_service on analytics_private.kpi_weekly_signup_retention;
create policy kpi_weekly_signup_retention_service on analytics_private.kpi_weekly_signup_retention for all to service_role
  using (true) with check (true);

drop policy if exists kpi_weekly_signup_retention_net_service on analytics_private.kpi_weekly_signup_retention_net;
create policy kpi_weekly_signup_retention_net_service on analytics_private.kpi_weekly_signup_retention_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_weekly_signup_retention()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
  moved_sites uuid[];
  moved_cohorts date[];
  moved_networks uuid[];
begin
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.weekly_signup_retention', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_signup_retention' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'weekly_signup_retention';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  if lo >= hi then
    return 0;
  end if;
  -- A late, earlier cohort event moves an actor to an earlier cohort: remember the cohort it leaves.
  select coalesce(array_agg(c.site_id), '{}'), coalesce(array_agg(c.cohort), '{}'), coalesce(array_agg(c.network_id), '{}')
    into moved_sites, moved_cohorts, moved_networks
  from analytics_private.kpi_weekly_signup_retention_cohorts as c
  join (select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date) as cohort
        from analytics_private.events as e
        where e.ingest_xid >= lo and e.ingest_xid < hi
          and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.cohort')
        group by 1, 2) as f
    on f.site_id = c.site_id and f.actor_hash = c.actor_hash and f.cohort < c.cohort;
  -- A cohort member belongs to the network of its first cohort event.
  insert into analytics_private.kpi_weekly_signup_retention_cohorts as r (site_id, actor_hash, cohort, network_id)
  select e.site_id, e.actor_hash, min(date_trunc('week', e.occurred_at at time zone 'UTC')::date),
         (array_agg(e.network_id order by e.occurred_at, e.idempotency_key))[1]
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.cohort')
  group by 1, 2
  on conflict (site_id, actor_hash) do update
    set cohort = excluded.cohort, network_id = excluded.network_id, ingest_xid = pg_current_xact_id()
    where excluded.cohort < r.cohort;
  insert into analytics_private.kpi_weekly_signup_retention_active (site_id, actor_hash, period)
  select distinct e.site_id, e.actor_hash, date_trunc('week', e.occurred_at at time zone 'UTC')::date
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_signup_retention.returning')
  on conflict do nothing;
  delete from analytics_private.kpi_weekly_signup_retention as r
  using unnest(moved_sites, moved_cohorts) as m (site_id, cohort)
  where r.site_id = m.site_id and r.period = m.cohort;
  -- Recount every cohort that gained members or activity in this transaction, or lost a member.
  insert into analytics_private.kpi_weekly_signup_retention as r (site_id, period, period_number, cohort_actors, value)
  select d.site_id, d.cohort, g.j::smallint, count(c.actor_hash), count(a.actor_hash)
  from (select x.site_id, x.cohort from analytics_private.kpi_weekly_signup_retention_cohorts as x where x.ingest_xid = pg_current_xact_id()
        union
        select x.site_id, x.cohort from analytics_private.kpi_weekly_signup_retention_active as y
        join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id()
        union
        select m.site_id, m.cohort from unnest(moved_sites, moved_cohorts) as m (site_id, cohort)) as d
  join analytics_private.kpi_weekly_signup_retention_cohorts as c on c.site_id = d.site_id and c.cohort = d.cohort
  cross join generate_series(0, 8) as g (j)
  left join analytics_private.kpi_weekly_signup_retention_active as a
    on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
  group by 1, 2, 3
  on conflict (site_id, period, period_number) do update
    set cohort_actors = excluded.cohort_actors, value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_signup_retention';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_signup_retention_net as nc
  using (select x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_weekly_signup_retention_active as y
        join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_weekly_signup_retention_net (network_id, period, period_number, cohort_actors, value, sites, actors)
select c.network_id, c.cohort as period, g.j::smallint as period_number,
         count(distinct c.actor_hash) as cohort_actors, count(distinct a.actor_hash) as value,
         count(distinct a.site_id) as sites, count(distinct a.actor_hash) as actors
  from analytics_private.kpi_weekly_signup_retention_cohorts as c
  join (select x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_weekly_signup_retention_active as y
        join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
  cross join generate_series(0, 8) as g (j)
  left join analytics_private.kpi_weekly_signup_retention_active as a
    on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
  group by 1, 2, 3;
  -- Which periods of each touched network cohort the view hides: those with fewer than 5 sites or
  -- actors retained, or with some but fewer than 5 actors or sites not retained (cohort size minus
  -- retained is published by difference; none is no one's value). A cohort
  -- hiding any period keeps the others only when its members are 5 actors and 5 sites after
  -- removing any one site (a hidden period lies between 0 and the published cohort size); otherwise
  -- the whole cohort is hidden.
  update analytics_private.kpi_weekly_signup_retention_net as nc set hidden = (nc.sites < 5 or nc.actors < 5)
  from (select x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_weekly_signup_retention_active as y
        join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.hidden is distinct from (nc.sites < 5 or nc.actors < 5);
  update analytics_private.kpi_weekly_signup_retention_net as nc set hidden = true
  from (select c.network_id, c.cohort as period, g.j::smallint as period_number,
               count(distinct c.actor_hash) filter (where a.actor_hash is null) as actors,
               count(distinct c.site_id) filter (where a.actor_hash is null) as sites
        from analytics_private.kpi_weekly_signup_retention_cohorts as c
        join (select x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_weekly_signup_retention_active as y
        join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        cross join generate_series(0, 8) as g (j)
        left join analytics_private.kpi_weekly_signup_retention_active as a
          on a.site_id = c.site_id and a.actor_hash = c.actor_hash and a.period = (c.cohort + 7 * g.j)
        group by 1, 2, 3) as gone
  where nc.network_id = gone.network_id and nc.period = gone.period and nc.period_number = gone.period_number
    and gone.actors > 0 and (gone.actors < 5 or gone.sites < 5);
  update analytics_private.kpi_weekly_signup_retention_net as nc set hidden = true
  from (select c.network_id, c.cohort as period, count(distinct c.site_id) as sites,
               analytics_private.kpi_actors_but_one(array_agg(c.site_id), array_agg(c.actor_hash)) as but_one
        from analytics_private.kpi_weekly_signup_retention_cohorts as c
        join (select x.network_id, x.cohort as period
        from analytics_private.kpi_weekly_signup_retention_cohorts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select x.network_id, x.cohort from analytics_private.kpi_weekly_signup_retention_active as y
        join analytics_private.kpi_weekly_signup_retention_cohorts as x on x.site_id = y.site_id and x.actor_hash = y.actor_hash
        where y.ingest_xid = pg_current_xact_id() and x.network_id is not null
        union
        select m.network_id, m.cohort from unnest(moved_networks, moved_cohorts) as m (network_id, cohort)
        where m.network_id is not null) as t on c.network_id = t.network_id and c.cohort = t.period
        group by 1, 2) as coh
  where nc.network_id = coh.network_id and nc.period = coh.period and not nc.hidden
    and (coh.but_one < 5 or coh.sites <= 5)
    and exists (select 1 from analytics_private.kpi_weekly_signup_retention_net as h
                where h.network_id = nc.network_id and h.period = nc.period and h.hidden);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_weekly_signup_retention() is 'Folds new events into KPI weekly_signup_retention; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_weekly_signup_retention() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_weekly_signup_retention() to service_role;

create or replace function analytics_private.kpi_weekly_signup_retention_for_caller()
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_weekly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics_private.kpi_weekly_signup_retention_for_caller() is 'KPI weekly_signup_retention for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_weekly_signup_retention_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_signup_retention_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_weekly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.period_number, r.cohort_actors as cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate
  from analytics_private.kpi_weekly_signup_retention as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;
comment on function analytics_private.kpi_weekly_signup_retention_between(date, date) is 'KPI weekly_signup_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_weekly_signup_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_signup_retention_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_weekly_signup_retention_cells()
returns table (period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.period_number, case when r.suppressed then null else r.cohort_actors end as cohort_actors, case when r.suppressed then null else r.value end as retained, round(case when r.suppressed then null else r.value end::numeric / nullif(case when r.suppressed then null else r.cohort_actors end, 0), 6) as rate, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_weekly_signup_retention_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_weekly_signup_retention_cells() is 'KPI weekly_signup_retention across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_weekly_signup_retention_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_weekly_signup_retention_cells() to authenticated, service_role;

create or replace view analytics.kpi_weekly_signup_retention with (security_invoker = true) as
  select * from analytics_private.kpi_weekly_signup_retention_for_caller();
comment on view analytics.kpi_weekly_signup_retention is 'KPI weekly_signup_retention: Of the actors who signed up in a week, the share with a consumer or practitioner event in each of the following 8 weeks.';
revoke all on analytics.kpi_weekly_signup_retention from public, anon, authenticated;
grant select on analytics.kpi_weekly_signup_retention to authenticated, service_role;

create or replace function analytics.kpi_weekly_signup_retention_between("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_weekly_signup_retention_between("from", "to");
$fn$;
comment on function analytics.kpi_weekly_signup_retention_between(date, date) is 'KPI weekly_signup_retention for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_weekly_signup_retention_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_signup_retention_between(date, date) to authenticated, service_role;

create or replace view analytics.network_weekly_signup_retention with (security_invoker = true) as
  select * from analytics_private.network_weekly_signup_retention_cells();
comment on view analytics.network_weekly_signup_retention is 'KPI weekly_signup_retention across the caller''s network; small cells hidden.';
revoke all on analytics.network_weekly_signup_retention from public, anon, authenticated;
grant select on analytics.network_weekly_signup_retention to authenticated, service_role;

-- KPI active_actors_28d
insert into analytics_private.kpi_watermarks (kpi) values
  ('active_actors_28d')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_active_actors_28d (
  site_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_actors_28d_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_28d is 'Distinct actors active on any of the 28 days ending with each day, by tier.';
alter table analytics_private.kpi_active_actors_28d enable row level security;
revoke all on analytics_private.kpi_active_actors_28d from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_28d to service_role;

create table if not exists analytics_private.kpi_active_actors_28d_net (
  network_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_actors_28d_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_28d_net is 'KPI active_actors_28d: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_actors_28d_net enable row level security;
revoke all on analytics_private.kpi_active_actors_28d_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_28d_net to service_role;

drop policy if exists kpi_active_actors_28d_service on analytics_private.kpi_active_actors_28d;
create policy kpi_active_actors_28d_service on analytics_private.kpi_active_actors_28d for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_actors_28d_net_service on analytics_private.kpi_active_actors_28d_net;
create policy kpi_active_actors_28d_net_service on analytics_private.kpi_active_actors_28d_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_actors_28d()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- An input KPI is brought up to date first, in this transaction, so this one never lags it.
  perform analytics_private.refresh_kpi_daily_active_actors();
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_actors_28d', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_actors_28d', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_actors_28d';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  insert into analytics_private.kpi_active_actors_28d as r (site_id, period, tier, value)
  select t.site_id, t.period, f.tier, count(distinct f.actor_hash)
  from (select distinct b.site_id, b.period + g.i as period
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id())) as t
  join analytics_private.kpi_daily_active_actors_facts as f
    on f.site_id = t.site_id and f.period between t.period - 27 and t.period
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_actors_28d';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_actors_28d_net as nc
  using (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier is not distinct from t.tier;
  insert into analytics_private.kpi_active_actors_28d_net (network_id, period, tier, value, sites, actors)
select v.network_id, v.period, v.tier, v.value, p.sites, p.actors
  from (select t.network_id, t.period, t.tier, count(distinct f.actor_hash) as value
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 27 and t.period and f.tier is not distinct from t.tier
        group by 1, 2, 3) as v
  join (select t.network_id, t.period, t.tier, count(distinct f.site_id) as sites,
               count(distinct f.actor_hash) as actors
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 27 and t.period and f.tier is not distinct from t.tier
        group by 1, 2, 3) as p
    on v.network_id = p.network_id and v.period = p.period and v.tier is not distinct from p.tier;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_actors_28d_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_active_actors_28d() is 'Folds new events into KPI active_actors_28d; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_active_actors_28d() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_active_actors_28d() to service_role;

create or replace function analytics_private.kpi_active_actors_28d_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_28d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]) and r.period <= (now() at time zone 'UTC')::date;
$fn$;
comment on function analytics_private.kpi_active_actors_28d_for_caller() is 'KPI active_actors_28d for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_active_actors_28d_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_active_actors_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_28d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to" and r.period <= (now() at time zone 'UTC')::date;
$fn$;
comment on function analytics_private.kpi_active_actors_28d_between(date, date) is 'KPI active_actors_28d for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_active_actors_28d_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_active_actors_28d_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period - 27 and m.period and b.tier is not distinct from m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_active_actors_28d_net as m
        where m.network_id = (select analytics_private.kpi_caller_network()) and m.period <= (now() at time zone 'UTC')::date) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_active_actors_28d_cells() is 'KPI active_actors_28d across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_active_actors_28d_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_active_actors_28d_cells() to authenticated, service_role;

create or replace view analytics.kpi_active_actors_28d with (security_invoker = true) as
  select * from analytics_private.kpi_active_actors_28d_for_caller();
comment on view analytics.kpi_active_actors_28d is 'KPI active_actors_28d: Distinct actors active on any of the 28 days ending with each day, by tier.';
revoke all on analytics.kpi_active_actors_28d from public, anon, authenticated;
grant select on analytics.kpi_active_actors_28d to authenticated, service_role;

create or replace function analytics.kpi_active_actors_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_actors_28d_between("from", "to");
$fn$;
comment on function analytics.kpi_active_actors_28d_between(date, date) is 'KPI active_actors_28d for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_active_actors_28d_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_28d_between(date, date) to authenticated, service_role;

create or replace view analytics.network_active_actors_28d with (security_invoker = true) as
  select * from analytics_private.network_active_actors_28d_cells();
comment on view analytics.network_active_actors_28d is 'KPI active_actors_28d across the caller''s network; small cells hidden.';
revoke all on analytics.network_active_actors_28d from public, anon, authenticated;
grant select on analytics.network_active_actors_28d to authenticated, service_role;

-- KPI active_actors_7d
insert into analytics_private.kpi_watermarks (kpi) values
  ('active_actors_7d')
on conflict (kpi) do nothing;

create table if not exists analytics_private.kpi_active_actors_7d (
  site_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_actors_7d_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_7d is 'Distinct actors active on any of the 7 days ending with each day, by tier (a trailing window, unlike the calendar-week WAU).';
alter table analytics_private.kpi_active_actors_7d enable row level security;
revoke all on analytics_private.kpi_active_actors_7d from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_7d to service_role;

create table if not exists analytics_private.kpi_active_actors_7d_net (
  network_id uuid not null,
  period date not null,
  tier text,
  value bigint not null,
  sites bigint not null,
  actors bigint not null,
  hidden boolean not null default true,
  constraint kpi_active_actors_7d_net_key unique nulls not distinct (network_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_7d_net is 'KPI active_actors_7d: per network cell, the value across its sites, the distinct sites and actors behind it, and whether the network view hides it (k-anonymity, suppressed with its family).';
alter table analytics_private.kpi_active_actors_7d_net enable row level security;
revoke all on analytics_private.kpi_active_actors_7d_net from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_7d_net to service_role;

drop policy if exists kpi_active_actors_7d_service on analytics_private.kpi_active_actors_7d;
create policy kpi_active_actors_7d_service on analytics_private.kpi_active_actors_7d for all to service_role
  using (true) with check (true);

drop policy if exists kpi_active_actors_7d_net_service on analytics_private.kpi_active_actors_7d_net;
create policy kpi_active_actors_7d_net_service on analytics_private.kpi_active_actors_7d_net for all to service_role
  using (true) with check (true);

create or replace function analytics_private.refresh_kpi_active_actors_7d()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $fn$
declare
  lo xid8;
  hi xid8;
  changed bigint := 0;
  t_nets uuid[];
  t_periods date[];
begin
  -- An input KPI is brought up to date first, in this transaction, so this one never lags it.
  perform analytics_private.refresh_kpi_daily_active_actors();
  -- The KPIs suppressed together with this one recompute their hidden cells one at a time.
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi_family.active_actors_7d', 0));
  perform pg_advisory_xact_lock(hashtextextended('trackgen.kpi.active_actors_7d', 0));
  select w.next_xid into lo from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_7d' for update;
  if not found then
    raise exception 'no watermark for KPI %', 'active_actors_7d';
  end if;
  hi := pg_snapshot_xmin(pg_current_snapshot());
  insert into analytics_private.kpi_active_actors_7d as r (site_id, period, tier, value)
  select t.site_id, t.period, f.tier, count(distinct f.actor_hash)
  from (select distinct b.site_id, b.period + g.i as period
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id())) as t
  join analytics_private.kpi_daily_active_actors_facts as f
    on f.site_id = t.site_id and f.period between t.period - 6 and t.period
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_actors_7d';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_actors_7d_net as nc
  using (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier is not distinct from t.tier;
  insert into analytics_private.kpi_active_actors_7d_net (network_id, period, tier, value, sites, actors)
select v.network_id, v.period, v.tier, v.value, p.sites, p.actors
  from (select t.network_id, t.period, t.tier, count(distinct f.actor_hash) as value
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 6 and t.period and f.tier is not distinct from t.tier
        group by 1, 2, 3) as v
  join (select t.network_id, t.period, t.tier, count(distinct f.site_id) as sites,
               count(distinct f.actor_hash) as actors
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 6 and t.period and f.tier is not distinct from t.tier
        group by 1, 2, 3) as p
    on v.network_id = p.network_id and v.period = p.period and v.tier is not distinct from p.tier;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_actors_7d_suppress(t_nets, t_periods);
  return changed;
end
$fn$;
comment on function analytics_private.refresh_kpi_active_actors_7d() is 'Folds new events into KPI active_actors_7d; run by its pg_cron job.';
revoke all on function analytics_private.refresh_kpi_active_actors_7d() from public, anon, authenticated;
grant execute on function analytics_private.refresh_kpi_active_actors_7d() to service_role;

create or replace function analytics_private.kpi_active_actors_7d_for_caller()
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_7d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]) and r.period <= (now() at time zone 'UTC')::date;
$fn$;
comment on function analytics_private.kpi_active_actors_7d_for_caller() is 'KPI active_actors_7d for the caller''s own site (JWT claim).';
revoke all on function analytics_private.kpi_active_actors_7d_for_caller() from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_7d_for_caller() to authenticated, service_role;

create or replace function analytics_private.kpi_active_actors_7d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, r.tier, r.value
  from analytics_private.kpi_active_actors_7d as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to" and r.period <= (now() at time zone 'UTC')::date;
$fn$;
comment on function analytics_private.kpi_active_actors_7d_between(date, date) is 'KPI active_actors_7d for the caller''s own site, periods in [from, to].';
revoke all on function analytics_private.kpi_active_actors_7d_between(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_7d_between(date, date) to authenticated, service_role;

create or replace function analytics_private.network_active_actors_7d_cells()
returns table (period date, tier text, value bigint, suppressed boolean)
language sql
stable
security definer
set search_path = ''
as $fn$
-- Cells of the caller's network (its network_id claim) only. A cell the refresh marked hidden
  -- (fewer than 5 sites or actors, or hidden with its family so that no hidden value can be
  -- recovered by subtraction) is listed with null values and suppressed = true.
  select r.period, r.tier, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period - 6 and m.period and b.tier is not distinct from m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_active_actors_7d_net as m
        where m.network_id = (select analytics_private.kpi_caller_network()) and m.period <= (now() at time zone 'UTC')::date) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;
comment on function analytics_private.network_active_actors_7d_cells() is 'KPI active_actors_7d across the caller''s network, k-anonymous (k = 5): hidden cells have null values and suppressed = true.';
revoke all on function analytics_private.network_active_actors_7d_cells() from public, anon, authenticated;
grant execute on function analytics_private.network_active_actors_7d_cells() to authenticated, service_role;

create or replace view analytics.kpi_active_actors_7d with (security_invoker = true) as
  select * from analytics_private.kpi_active_actors_7d_for_caller();
comment on view analytics.kpi_active_actors_7d is 'KPI active_actors_7d: Distinct actors active on any of the 7 days ending with each day, by tier (a trailing window, unlike the calendar-week WAU).';
revoke all on analytics.kpi_active_actors_7d from public, anon, authenticated;
grant select on analytics.kpi_active_actors_7d to authenticated, service_role;

create or replace function analytics.kpi_active_actors_7d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_actors_7d_between("from", "to");
$fn$;
comment on function analytics.kpi_active_actors_7d_between(date, date) is 'KPI active_actors_7d for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_active_actors_7d_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_7d_between(date, date) to authenticated, service_role;

create or replace view analytics.network_active_actors_7d with (security_invoker = true) as
  select * from analytics_private.network_active_actors_7d_cells();
comment on view analytics.network_active_actors_7d is 'KPI active_actors_7d across the caller''s network; small cells hidden.';
revoke all on analytics.network_active_actors_7d from public, anon, authenticated;
grant select on analytics.network_active_actors_7d to authenticated, service_role;

-- KPI api_server_error_rate
create or replace view analytics.kpi_api_server_error_rate with (security_invoker = true) as
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_api_server_error_count_for_caller() as n
        union
        select d.site_id, d.period from analytics_private.kpi_api_request_count_for_caller() as d) as keys
  left join analytics_private.kpi_api_server_error_count_for_caller() as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_api_request_count_for_caller() as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_api_server_error_rate is 'KPI api_server_error_rate: Share of API requests per day that ended with a 5xx status.';
revoke all on analytics.kpi_api_server_error_rate from public, anon, authenticated;
grant select on analytics.kpi_api_server_error_rate to authenticated, service_role;

create or replace function analytics.kpi_api_server_error_rate_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_api_server_error_count_between("from", "to") as n
        union
        select d.site_id, d.period from analytics_private.kpi_api_request_count_between("from", "to") as d) as keys
  left join analytics_private.kpi_api_server_error_count_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_api_request_count_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_api_server_error_rate_between(date, date) is 'KPI api_server_error_rate for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_api_server_error_rate_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_server_error_rate_between(date, date) to authenticated, service_role;

create or replace view analytics.network_api_server_error_rate with (security_invoker = true) as
select n.period,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_api_server_error_count_cells() as n
  join analytics_private.network_api_request_count_cells() as d on n.period = d.period;
comment on view analytics.network_api_server_error_rate is 'KPI api_server_error_rate across the caller''s network; small cells hidden.';
revoke all on analytics.network_api_server_error_rate from public, anon, authenticated;
grant select on analytics.network_api_server_error_rate to authenticated, service_role;

-- KPI clinic_collaboration_adoption
create or replace view analytics.kpi_clinic_collaboration_adoption with (security_invoker = true) as
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_clinic_collaborators_for_caller() as n
        union
        select d.site_id, d.period from analytics_private.kpi_active_clinic_members_for_caller() as d) as keys
  left join analytics_private.kpi_clinic_collaborators_for_caller() as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_active_clinic_members_for_caller() as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_clinic_collaboration_adoption is 'KPI clinic_collaboration_adoption: Share of weekly active clinic-plan actors who used a collaboration feature that week.';
revoke all on analytics.kpi_clinic_collaboration_adoption from public, anon, authenticated;
grant select on analytics.kpi_clinic_collaboration_adoption to authenticated, service_role;

create or replace function analytics.kpi_clinic_collaboration_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_clinic_collaborators_between("from", "to") as n
        union
        select d.site_id, d.period from analytics_private.kpi_active_clinic_members_between("from", "to") as d) as keys
  left join analytics_private.kpi_clinic_collaborators_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_active_clinic_members_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_clinic_collaboration_adoption_between(date, date) is 'KPI clinic_collaboration_adoption for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_clinic_collaboration_adoption_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_collaboration_adoption_between(date, date) to authenticated, service_role;

create or replace view analytics.network_clinic_collaboration_adoption with (security_invoker = true) as
select n.period,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_clinic_collaborators_cells() as n
  join analytics_private.network_active_clinic_members_cells() as d on n.period = d.period;
comment on view analytics.network_clinic_collaboration_adoption is 'KPI clinic_collaboration_adoption across the caller''s network; small cells hidden.';
revoke all on analytics.network_clinic_collaboration_adoption from public, anon, authenticated;
grant select on analytics.network_clinic_collaboration_adoption to authenticated, service_role;

-- KPI consumer_feature_adoption
create or replace view analytics.kpi_consumer_feature_adoption with (security_invoker = true) as
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_consumer_feature_users_for_caller() as n
        union
        select d.site_id, d.period from analytics_private.kpi_consumer_daily_actives_for_caller() as d) as keys
  left join analytics_private.kpi_consumer_feature_users_for_caller() as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_consumer_daily_actives_for_caller() as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_consumer_feature_adoption is 'KPI consumer_feature_adoption: Share of daily active free-plan actors who used a free feature surface that day.';
revoke all on analytics.kpi_consumer_feature_adoption from public, anon, authenticated;
grant select on analytics.kpi_consumer_feature_adoption to authenticated, service_role;

create or replace function analytics.kpi_consumer_feature_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_consumer_feature_users_between("from", "to") as n
        union
        select d.site_id, d.period from analytics_private.kpi_consumer_daily_actives_between("from", "to") as d) as keys
  left join analytics_private.kpi_consumer_feature_users_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_consumer_daily_actives_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_consumer_feature_adoption_between(date, date) is 'KPI consumer_feature_adoption for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_consumer_feature_adoption_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_adoption_between(date, date) to authenticated, service_role;

create or replace view analytics.network_consumer_feature_adoption with (security_invoker = true) as
select n.period,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_consumer_feature_users_cells() as n
  join analytics_private.network_consumer_daily_actives_cells() as d on n.period = d.period;
comment on view analytics.network_consumer_feature_adoption is 'KPI consumer_feature_adoption across the caller''s network; small cells hidden.';
revoke all on analytics.network_consumer_feature_adoption from public, anon, authenticated;
grant select on analytics.network_consumer_feature_adoption to authenticated, service_role;

-- KPI error_rate
create or replace view analytics.kpi_error_rate with (security_invoker = true) as
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_error_count_for_caller() as n
        union
        select d.site_id, d.period from analytics_private.kpi_api_request_count_for_caller() as d) as keys
  left join analytics_private.kpi_error_count_for_caller() as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_api_request_count_for_caller() as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_error_rate is 'KPI error_rate: Errors shown to callers per completed API request, per day.';
revoke all on analytics.kpi_error_rate from public, anon, authenticated;
grant select on analytics.kpi_error_rate to authenticated, service_role;

create or replace function analytics.kpi_error_rate_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_error_count_between("from", "to") as n
        union
        select d.site_id, d.period from analytics_private.kpi_api_request_count_between("from", "to") as d) as keys
  left join analytics_private.kpi_error_count_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_api_request_count_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_error_rate_between(date, date) is 'KPI error_rate for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_error_rate_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_error_rate_between(date, date) to authenticated, service_role;

create or replace view analytics.network_error_rate with (security_invoker = true) as
select n.period,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_error_count_cells() as n
  join analytics_private.network_api_request_count_cells() as d on n.period = d.period;
comment on view analytics.network_error_rate is 'KPI error_rate across the caller''s network; small cells hidden.';
revoke all on analytics.network_error_rate from public, anon, authenticated;
grant select on analytics.network_error_rate to authenticated, service_role;

-- KPI network_analytics_adoption
create or replace view analytics.kpi_network_analytics_adoption with (security_invoker = true) as
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_network_analytics_viewers_for_caller() as n
        union
        select d.site_id, d.period from analytics_private.kpi_active_network_members_for_caller() as d) as keys
  left join analytics_private.kpi_network_analytics_viewers_for_caller() as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_active_network_members_for_caller() as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_network_analytics_adoption is 'KPI network_analytics_adoption: Share of monthly active network-plan actors who used network analytics that month.';
revoke all on analytics.kpi_network_analytics_adoption from public, anon, authenticated;
grant select on analytics.kpi_network_analytics_adoption to authenticated, service_role;

create or replace function analytics.kpi_network_analytics_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_network_analytics_viewers_between("from", "to") as n
        union
        select d.site_id, d.period from analytics_private.kpi_active_network_members_between("from", "to") as d) as keys
  left join analytics_private.kpi_network_analytics_viewers_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_active_network_members_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_network_analytics_adoption_between(date, date) is 'KPI network_analytics_adoption for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_network_analytics_adoption_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_network_analytics_adoption_between(date, date) to authenticated, service_role;

create or replace view analytics.network_network_analytics_adoption with (security_invoker = true) as
select n.period,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_network_analytics_viewers_cells() as n
  join analytics_private.network_active_network_members_cells() as d on n.period = d.period;
comment on view analytics.network_network_analytics_adoption is 'KPI network_analytics_adoption across the caller''s network; small cells hidden.';
revoke all on analytics.network_network_analytics_adoption from public, anon, authenticated;
grant select on analytics.network_network_analytics_adoption to authenticated, service_role;

-- KPI protocol_logging_adoption
create or replace view analytics.kpi_protocol_logging_adoption with (security_invoker = true) as
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_protocol_loggers_for_caller() as n
        union
        select d.site_id, d.period from analytics_private.kpi_active_practitioners_for_caller() as d) as keys
  left join analytics_private.kpi_protocol_loggers_for_caller() as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_active_practitioners_for_caller() as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_protocol_logging_adoption is 'KPI protocol_logging_adoption: Share of weekly active pro-plan actors who logged a protocol session that week.';
revoke all on analytics.kpi_protocol_logging_adoption from public, anon, authenticated;
grant select on analytics.kpi_protocol_logging_adoption to authenticated, service_role;

create or replace function analytics.kpi_protocol_logging_adoption_between("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from analytics_private.kpi_protocol_loggers_between("from", "to") as n
        union
        select d.site_id, d.period from analytics_private.kpi_active_practitioners_between("from", "to") as d) as keys
  left join analytics_private.kpi_protocol_loggers_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period
  left join analytics_private.kpi_active_practitioners_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_protocol_logging_adoption_between(date, date) is 'KPI protocol_logging_adoption for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_protocol_logging_adoption_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_adoption_between(date, date) to authenticated, service_role;

create or replace view analytics.network_protocol_logging_adoption with (security_invoker = true) as
select n.period,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_protocol_loggers_cells() as n
  join analytics_private.network_active_practitioners_cells() as d on n.period = d.period;
comment on view analytics.network_protocol_logging_adoption is 'KPI protocol_logging_adoption across the caller''s network; small cells hidden.';
revoke all on analytics.network_protocol_logging_adoption from public, anon, authenticated;
grant select on analytics.network_protocol_logging_adoption to authenticated, service_role;

-- KPI stickiness_dau_28d
create or replace view analytics.kpi_stickiness_dau_28d with (security_invoker = true) as
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from analytics_private.kpi_daily_active_actors_for_caller() as n
        union
        select d.site_id, d.period, d.tier from analytics_private.kpi_active_actors_28d_for_caller() as d) as keys
  left join analytics_private.kpi_daily_active_actors_for_caller() as n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join analytics_private.kpi_active_actors_28d_for_caller() as d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
comment on view analytics.kpi_stickiness_dau_28d is 'KPI stickiness_dau_28d: Share of the trailing 28-day actives who were active on the day (DAU over 28-day actives), by tier; higher means more habitual use.';
revoke all on analytics.kpi_stickiness_dau_28d from public, anon, authenticated;
grant select on analytics.kpi_stickiness_dau_28d to authenticated, service_role;

create or replace function analytics.kpi_stickiness_dau_28d_between("from" date, "to" date)
returns table (site_id uuid, period date, tier text, numerator bigint, denominator bigint, value numeric)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from analytics_private.kpi_daily_active_actors_between("from", "to") as n
        union
        select d.site_id, d.period, d.tier from analytics_private.kpi_active_actors_28d_between("from", "to") as d) as keys
  left join analytics_private.kpi_daily_active_actors_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join analytics_private.kpi_active_actors_28d_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_stickiness_dau_28d_between(date, date) is 'KPI stickiness_dau_28d for the caller''s own site, periods in [from, to].';
revoke all on function analytics.kpi_stickiness_dau_28d_between(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_stickiness_dau_28d_between(date, date) to authenticated, service_role;

create or replace view analytics.network_stickiness_dau_28d with (security_invoker = true) as
select n.period, n.tier,
         case when n.suppressed or d.suppressed then null else n.value end as numerator,
         case when n.suppressed or d.suppressed then null else d.value end as denominator,
         case when n.suppressed or d.suppressed then null else n.value::numeric / nullif(d.value, 0) end as value,
         n.suppressed or d.suppressed as suppressed
  from analytics_private.network_daily_active_actors_cells() as n
  join analytics_private.network_active_actors_28d_cells() as d on n.period = d.period and n.tier is not distinct from d.tier;
comment on view analytics.network_stickiness_dau_28d is 'KPI stickiness_dau_28d across the caller''s network; small cells hidden.';
revoke all on analytics.network_stickiness_dau_28d from public, anon, authenticated;
grant select on analytics.network_stickiness_dau_28d to authenticated, service_role;

-- KPI active_actors_28d
create or replace function analytics_private.kpi_active_actors_28d_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_active_actors_28d_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_active_actors_28d_suppress(uuid[], date[]) is 'Which network cells of KPIs active_actors_28d the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_active_actors_28d_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_suppress(uuid[], date[]) to service_role;

-- KPI active_actors_7d
create or replace function analytics_private.kpi_active_actors_7d_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_active_actors_7d_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_active_actors_7d_suppress(uuid[], date[]) is 'Which network cells of KPIs active_actors_7d the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_active_actors_7d_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_7d_suppress(uuid[], date[]) to service_role;

-- KPI active_clinic_members
create or replace function analytics_private.kpi_active_clinic_members_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_active_clinic_members_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_active_clinic_members_suppress(uuid[], date[]) is 'Which network cells of KPIs active_clinic_members the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_active_clinic_members_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_clinic_members_suppress(uuid[], date[]) to service_role;

-- KPI active_network_members
create or replace function analytics_private.kpi_active_network_members_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_active_network_members_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_active_network_members_suppress(uuid[], date[]) is 'Which network cells of KPIs active_network_members the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_active_network_members_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_network_members_suppress(uuid[], date[]) to service_role;

-- KPI active_practitioners
create or replace function analytics_private.kpi_active_practitioners_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_active_practitioners_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_active_practitioners_suppress(uuid[], date[]) is 'Which network cells of KPIs active_practitioners the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_active_practitioners_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_practitioners_suppress(uuid[], date[]) to service_role;

-- KPI api_latency_ms
create or replace function analytics_private.kpi_api_latency_ms_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_api_latency_ms_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  update analytics_private.kpi_api_request_count_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  loop
    total_moved := 0;
    -- api_latency_ms: blocks by (period), totals published by api_request_count
    with t as (
      select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)
    ), p as (
      select c.network_id, c.period, c.endpoint, c.hidden, c.actors, c.sites
      from analytics_private.kpi_api_latency_ms_net as c
      join t on c.network_id = t.network_id and c.period = t.period
    ), b as (
      select p.network_id, p.period,
             count(*) filter (where p.hidden) as n_hidden, count(*) filter (where not p.hidden) as n_shown
      from p
      group by 1, 2
    ), s as (
      select p.network_id, p.period, count(distinct m.site_id) as sites,
             analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
      from p
      join analytics_private.kpi_api_latency_ms_values as m on m.network_id = p.network_id and m.period = p.period and m.endpoint is not distinct from p.endpoint
      where p.hidden
      group by 1, 2
    ), a as (
      select b.network_id, b.period,
             case when coalesce(tot.hidden, false) then
                    case when b.n_hidden = 0 then 'part' end
                  when b.n_hidden > 0 and not (b.n_hidden >= 2 and coalesce(s.sites, 0) > 5
                                               and coalesce(s.but_one, 0) >= 5 + b.n_hidden) then
                    case when b.n_shown > 0 then 'part' else 'total' end
             end as act
      from b
      left join analytics_private.kpi_api_request_count_net as tot on tot.network_id = b.network_id and tot.period = b.period
      left join s on s.network_id = b.network_id and s.period = b.period
    ), pick as (
      select distinct on (p.network_id, p.period) p.network_id, p.period, p.endpoint
      from p
      join a on a.network_id = p.network_id and a.period = p.period
      where a.act = 'part' and not p.hidden
      order by p.network_id, p.period, p.actors, p.sites, p.endpoint collate "C"
    ), hid_part as (
      update analytics_private.kpi_api_latency_ms_net as c set hidden = true
      from pick
      where c.network_id = pick.network_id and c.period = pick.period and c.endpoint is not distinct from pick.endpoint
      returning 1
    ), hid_total as (
      update analytics_private.kpi_api_request_count_net as c set hidden = true
      from a
      where a.act = 'total' and not c.hidden and c.network_id = a.network_id and c.period = a.period
      returning 1
    )
    select (select count(*) from hid_part) + (select count(*) from hid_total)
      into moved;
    total_moved := total_moved + moved;
    exit when total_moved = 0;
  end loop;
end
$fn$;
comment on function analytics_private.kpi_api_latency_ms_suppress(uuid[], date[]) is 'Which network cells of KPIs api_latency_ms, api_request_count the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_api_latency_ms_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_suppress(uuid[], date[]) to service_role;

-- KPI api_server_error_count
create or replace function analytics_private.kpi_api_server_error_count_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_api_server_error_count_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_api_server_error_count_suppress(uuid[], date[]) is 'Which network cells of KPIs api_server_error_count the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_api_server_error_count_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_server_error_count_suppress(uuid[], date[]) to service_role;

-- KPI clinic_collaborators
create or replace function analytics_private.kpi_clinic_collaborators_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_clinic_collaborators_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_clinic_collaborators_suppress(uuid[], date[]) is 'Which network cells of KPIs clinic_collaborators the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_clinic_collaborators_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_collaborators_suppress(uuid[], date[]) to service_role;

-- KPI consumer_daily_actives
create or replace function analytics_private.kpi_consumer_daily_actives_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_consumer_daily_actives_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_consumer_daily_actives_suppress(uuid[], date[]) is 'Which network cells of KPIs consumer_daily_actives the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_consumer_daily_actives_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_daily_actives_suppress(uuid[], date[]) to service_role;

-- KPI consumer_feature_users
create or replace function analytics_private.kpi_consumer_feature_users_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_consumer_feature_users_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  update analytics_private.kpi_consumer_feature_users_by_feature_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  loop
    total_moved := 0;
    -- consumer_feature_users_by_feature: blocks by (period), totals published by consumer_feature_users
    with t as (
      select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)
    ), p as (
      select c.network_id, c.period, c.feature, c.hidden, c.actors, c.sites
      from analytics_private.kpi_consumer_feature_users_by_feature_net as c
      join t on c.network_id = t.network_id and c.period = t.period
    ), b as (
      select p.network_id, p.period,
             count(*) filter (where p.hidden) as n_hidden, count(*) filter (where not p.hidden) as n_shown
      from p
      group by 1, 2
    ), s as (
      select p.network_id, p.period, count(distinct m.site_id) as sites,
             analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
      from p
      join analytics_private.kpi_consumer_feature_users_by_feature_facts as m on m.network_id = p.network_id and m.period = p.period and m.feature is not distinct from p.feature
      where p.hidden
      group by 1, 2
    ), a as (
      select b.network_id, b.period,
             case when coalesce(tot.hidden, false) then
                    case when b.n_hidden = 0 then 'part' end
                  when b.n_hidden > 0 and not (b.n_hidden >= 2 and coalesce(s.sites, 0) > 5
                                               and coalesce(s.but_one, 0) >= 5 + b.n_hidden) then
                    case when b.n_shown > 0 then 'part' else 'total' end
             end as act
      from b
      left join analytics_private.kpi_consumer_feature_users_net as tot on tot.network_id = b.network_id and tot.period = b.period
      left join s on s.network_id = b.network_id and s.period = b.period
    ), pick as (
      select distinct on (p.network_id, p.period) p.network_id, p.period, p.feature
      from p
      join a on a.network_id = p.network_id and a.period = p.period
      where a.act = 'part' and not p.hidden
      order by p.network_id, p.period, p.actors, p.sites, p.feature collate "C"
    ), hid_part as (
      update analytics_private.kpi_consumer_feature_users_by_feature_net as c set hidden = true
      from pick
      where c.network_id = pick.network_id and c.period = pick.period and c.feature is not distinct from pick.feature
      returning 1
    ), hid_total as (
      update analytics_private.kpi_consumer_feature_users_net as c set hidden = true
      from a
      where a.act = 'total' and not c.hidden and c.network_id = a.network_id and c.period = a.period
      returning 1
    )
    select (select count(*) from hid_part) + (select count(*) from hid_total)
      into moved;
    total_moved := total_moved + moved;
    exit when total_moved = 0;
  end loop;
end
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_suppress(uuid[], date[]) is 'Which network cells of KPIs consumer_feature_users, consumer_feature_users_by_feature the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_consumer_feature_users_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_suppress(uuid[], date[]) to service_role;

-- KPI daily_active_actors
create or replace function analytics_private.kpi_daily_active_actors_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_daily_active_actors_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_daily_active_actors_suppress(uuid[], date[]) is 'Which network cells of KPIs daily_active_actors the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_daily_active_actors_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_suppress(uuid[], date[]) to service_role;

-- KPI error_count
create or replace function analytics_private.kpi_error_count_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_error_count_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  update analytics_private.kpi_errors_by_code_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
  loop
    total_moved := 0;
    -- errors_by_code: blocks by (period), totals published by error_count
    with t as (
      select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)
    ), p as (
      select c.network_id, c.period, c.error_code, c.hidden, c.actors, c.sites
      from analytics_private.kpi_errors_by_code_net as c
      join t on c.network_id = t.network_id and c.period = t.period
    ), b as (
      select p.network_id, p.period,
             count(*) filter (where p.hidden) as n_hidden, count(*) filter (where not p.hidden) as n_shown
      from p
      group by 1, 2
    ), s as (
      select p.network_id, p.period, count(distinct m.site_id) as sites,
             analytics_private.kpi_actors_but_one(array_agg(m.site_id), array_agg(m.actor_hash)) as but_one
      from p
      join analytics_private.kpi_errors_by_code_facts as m on m.network_id = p.network_id and m.period = p.period and m.error_code is not distinct from p.error_code
      where p.hidden
      group by 1, 2
    ), a as (
      select b.network_id, b.period,
             case when coalesce(tot.hidden, false) then
                    case when b.n_hidden = 0 then 'part' end
                  when b.n_hidden > 0 and not (b.n_hidden >= 2 and coalesce(s.sites, 0) > 5
                                               and coalesce(s.but_one, 0) >= 5 + b.n_hidden) then
                    case when b.n_shown > 0 then 'part' else 'total' end
             end as act
      from b
      left join analytics_private.kpi_error_count_net as tot on tot.network_id = b.network_id and tot.period = b.period
      left join s on s.network_id = b.network_id and s.period = b.period
    ), pick as (
      select distinct on (p.network_id, p.period) p.network_id, p.period, p.error_code
      from p
      join a on a.network_id = p.network_id and a.period = p.period
      where a.act = 'part' and not p.hidden
      order by p.network_id, p.period, p.actors, p.sites, p.error_code collate "C"
    ), hid_part as (
      update analytics_private.kpi_errors_by_code_net as c set hidden = true
      from pick
      where c.network_id = pick.network_id and c.period = pick.period and c.error_code is not distinct from pick.error_code
      returning 1
    ), hid_total as (
      update analytics_private.kpi_error_count_net as c set hidden = true
      from a
      where a.act = 'total' and not c.hidden and c.network_id = a.network_id and c.period = a.period
      returning 1
    )
    select (select count(*) from hid_part) + (select count(*) from hid_total)
      into moved;
    total_moved := total_moved + moved;
    exit when total_moved = 0;
  end loop;
end
$fn$;
comment on function analytics_private.kpi_error_count_suppress(uuid[], date[]) is 'Which network cells of KPIs error_count, errors_by_code the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_error_count_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_error_count_suppress(uuid[], date[]) to service_role;

-- KPI monthly_active_actors
create or replace function analytics_private.kpi_monthly_active_actors_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_monthly_active_actors_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_monthly_active_actors_suppress(uuid[], date[]) is 'Which network cells of KPIs monthly_active_actors the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_monthly_active_actors_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_active_actors_suppress(uuid[], date[]) to service_role;

-- KPI network_analytics_viewers
create or replace function analytics_private.kpi_network_analytics_viewers_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_network_analytics_viewers_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_network_analytics_viewers_suppress(uuid[], date[]) is 'Which network cells of KPIs network_analytics_viewers the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_network_analytics_viewers_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_network_analytics_viewers_suppress(uuid[], date[]) to service_role;

-- KPI protocol_loggers
create or replace function analytics_private.kpi_protocol_loggers_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_protocol_loggers_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_protocol_loggers_suppress(uuid[], date[]) is 'Which network cells of KPIs protocol_loggers the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_protocol_loggers_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_loggers_suppress(uuid[], date[]) to service_role;

-- KPI protocol_sessions_logged
create or replace function analytics_private.kpi_protocol_sessions_logged_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_protocol_sessions_logged_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_protocol_sessions_logged_suppress(uuid[], date[]) is 'Which network cells of KPIs protocol_sessions_logged the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_protocol_sessions_logged_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_sessions_logged_suppress(uuid[], date[]) to service_role;

-- KPI screen_load_ms
create or replace function analytics_private.kpi_screen_load_ms_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_screen_load_ms_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_screen_load_ms_suppress(uuid[], date[]) is 'Which network cells of KPIs screen_load_ms the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_screen_load_ms_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_screen_load_ms_suppress(uuid[], date[]) to service_role;

-- KPI weekly_active_actors
create or replace function analytics_private.kpi_weekly_active_actors_suppress(nets uuid[], periods date[])
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $fn$
declare
  moved bigint;
  total_moved bigint;
begin
  -- Primary rule: a cell with fewer than 5 distinct sites or actors is hidden.
  update analytics_private.kpi_weekly_active_actors_net as c set hidden = (c.sites < 5 or c.actors < 5)
  from (select distinct x.network_id, x.period from unnest(nets, periods) as x (network_id, period)) as t
  where c.network_id = t.network_id and c.period = t.period
    and c.hidden is distinct from (c.sites < 5 or c.actors < 5);
end
$fn$;
comment on function analytics_private.kpi_weekly_active_actors_suppress(uuid[], date[]) is 'Which network cells of KPIs weekly_active_actors the views hide, for the given (network, period)s; see generator/plan/kpi/families.py.';
revoke all on function analytics_private.kpi_weekly_active_actors_suppress(uuid[], date[]) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_actors_suppress(uuid[], date[]) to service_role;

-- keep 3 monthly event partitions ready ahead of now
select cron.schedule('analytics_event_partitions', '17 3 * * *', 'select analytics_private.ensure_event_partitions()');

-- forget idempotency keys of events too old to be accepted again
select cron.schedule('analytics_purge_event_keys', '43 3 * * *', 'delete from analytics_private.event_keys where occurred_at < now() - (interval ''7 days'' + interval ''1 day'')');

-- keep 90 days of rejection counters (storage.rejections_retention)
select cron.schedule('analytics_purge_rejections', '29 3 * * *', 'delete from analytics_private.rejections where day < ((now() at time zone ''UTC'') - interval ''90 days'')::date');

-- keep 7 days of run history, for this schema's jobs only
select cron.schedule('analytics_purge_cron_history', '11 4 * * *', 'delete from cron.job_run_details where end_time < now() - interval ''7 days'' and jobid in (select jobid from cron.job where jobname in (''analytics_event_partitions'', ''analytics_purge_cron_history'', ''analytics_purge_event_keys'', ''analytics_purge_rejections'', ''analytics_refresh_active_actors_28d'', ''analytics_refresh_active_actors_7d'', ''analytics_refresh_active_clinic_members'', ''analytics_refresh_active_network_members'', ''analytics_refresh_active_practitioners'', ''analytics_refresh_api_latency_ms'', ''analytics_refresh_api_request_count'', ''analytics_refresh_api_server_error_count'', ''analytics_refresh_clinic_collaborators'', ''analytics_refresh_clinic_team_onboarding'', ''analytics_refresh_consumer_daily_actives'', ''analytics_refresh_consumer_feature_users'', ''analytics_refresh_consumer_feature_users_by_feature'', ''analytics_refresh_daily_active_actors'', ''analytics_refresh_error_count'', ''analytics_refresh_errors_by_code'', ''analytics_refresh_monthly_active_actors'', ''analytics_refresh_monthly_signup_retention'', ''analytics_refresh_network_analytics_viewers'', ''analytics_refresh_protocol_loggers'', ''analytics_refresh_protocol_logging_retention'', ''analytics_refresh_protocol_sessions_logged'', ''analytics_refresh_screen_load_ms'', ''analytics_refresh_trial_activation_to_conversion'', ''analytics_refresh_upgrade_funnel_consumer_to_clinic'', ''analytics_refresh_upgrade_prompt_to_trial'', ''analytics_refresh_weekly_active_actors'', ''analytics_refresh_weekly_signup_retention''))');

-- KPI active_clinic_members
-- incremental refresh of KPI "active_clinic_members" (distinct_actors)
select cron.schedule('analytics_refresh_active_clinic_members', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_clinic_members()');

-- KPI active_network_members
-- incremental refresh of KPI "active_network_members" (distinct_actors)
select cron.schedule('analytics_refresh_active_network_members', '0 * * * *', 'select analytics_private.refresh_kpi_active_network_members()');

-- KPI active_practitioners
-- incremental refresh of KPI "active_practitioners" (distinct_actors)
select cron.schedule('analytics_refresh_active_practitioners', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_practitioners()');

-- KPI api_latency_ms
-- incremental refresh of KPI "api_latency_ms" (percentile)
select cron.schedule('analytics_refresh_api_latency_ms', '*/5 * * * *', 'select analytics_private.refresh_kpi_api_latency_ms()');

-- KPI api_request_count
-- incremental refresh of KPI "api_request_count" (count)
select cron.schedule('analytics_refresh_api_request_count', '* * * * *', 'select analytics_private.refresh_kpi_api_request_count()');

-- KPI api_server_error_count
-- incremental refresh of KPI "api_server_error_count" (count)
select cron.schedule('analytics_refresh_api_server_error_count', '* * * * *', 'select analytics_private.refresh_kpi_api_server_error_count()');

-- KPI clinic_collaborators
-- incremental refresh of KPI "clinic_collaborators" (distinct_actors)
select cron.schedule('analytics_refresh_clinic_collaborators', '*/15 * * * *', 'select analytics_private.refresh_kpi_clinic_collaborators()');

-- KPI clinic_team_onboarding
-- incremental refresh of KPI "clinic_team_onboarding" (funnel)
select cron.schedule('analytics_refresh_clinic_team_onboarding', '0 * * * *', 'select analytics_private.refresh_kpi_clinic_team_onboarding()');

-- KPI consumer_daily_actives
-- incremental refresh of KPI "consumer_daily_actives" (distinct_actors)
select cron.schedule('analytics_refresh_consumer_daily_actives', '*/5 * * * *', 'select analytics_private.refresh_kpi_consumer_daily_actives()');

-- KPI consumer_feature_users
-- incremental refresh of KPI "consumer_feature_users" (distinct_actors)
select cron.schedule('analytics_refresh_consumer_feature_users', '*/5 * * * *', 'select analytics_private.refresh_kpi_consumer_feature_users()');

-- KPI consumer_feature_users_by_feature
-- incremental refresh of KPI "consumer_feature_users_by_feature" (distinct_actors)
select cron.schedule('analytics_refresh_consumer_feature_users_by_feature', '*/5 * * * *', 'select analytics_private.refresh_kpi_consumer_feature_users_by_feature()');

-- KPI daily_active_actors
-- incremental refresh of KPI "daily_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_daily_active_actors', '*/5 * * * *', 'select analytics_private.refresh_kpi_daily_active_actors()');

-- KPI error_count
-- incremental refresh of KPI "error_count" (count)
select cron.schedule('analytics_refresh_error_count', '* * * * *', 'select analytics_private.refresh_kpi_error_count()');

-- KPI errors_by_code
-- incremental refresh of KPI "errors_by_code" (count)
select cron.schedule('analytics_refresh_errors_by_code', '* * * * *', 'select analytics_private.refresh_kpi_errors_by_code()');

-- KPI monthly_active_actors
-- incremental refresh of KPI "monthly_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_monthly_active_actors', '0 * * * *', 'select analytics_private.refresh_kpi_monthly_active_actors()');

-- KPI monthly_signup_retention
-- incremental refresh of KPI "monthly_signup_retention" (retention)
select cron.schedule('analytics_refresh_monthly_signup_retention', '0 3 * * *', 'select analytics_private.refresh_kpi_monthly_signup_retention()');

-- KPI network_analytics_viewers
-- incremental refresh of KPI "network_analytics_viewers" (distinct_actors)
select cron.schedule('analytics_refresh_network_analytics_viewers', '0 * * * *', 'select analytics_private.refresh_kpi_network_analytics_viewers()');

-- KPI protocol_loggers
-- incremental refresh of KPI "protocol_loggers" (distinct_actors)
select cron.schedule('analytics_refresh_protocol_loggers', '*/15 * * * *', 'select analytics_private.refresh_kpi_protocol_loggers()');

-- KPI protocol_logging_retention
-- incremental refresh of KPI "protocol_logging_retention" (retention)
select cron.schedule('analytics_refresh_protocol_logging_retention', '0 * * * *', 'select analytics_private.refresh_kpi_protocol_logging_retention()');

-- KPI protocol_sessions_logged
-- incremental refresh of KPI "protocol_sessions_logged" (count)
select cron.schedule('analytics_refresh_protocol_sessions_logged', '*/5 * * * *', 'select analytics_private.refresh_kpi_protocol_sessions_logged()');

-- KPI screen_load_ms
-- incremental refresh of KPI "screen_load_ms" (percentile)
select cron.schedule('analytics_refresh_screen_load_ms', '*/15 * * * *', 'select analytics_private.refresh_kpi_screen_load_ms()');

-- KPI trial_activation_to_conversion
-- incremental refresh of KPI "trial_activation_to_conversion" (funnel)
select cron.schedule('analytics_refresh_trial_activation_to_conversion', '0 * * * *', 'select analytics_private.refresh_kpi_trial_activation_to_conversion()');

-- KPI upgrade_funnel_consumer_to_clinic
-- incremental refresh of KPI "upgrade_funnel_consumer_to_clinic" (funnel)
select cron.schedule('analytics_refresh_upgrade_funnel_consumer_to_clinic', '0 * * * *', 'select analytics_private.refresh_kpi_upgrade_funnel_consumer_to_clinic()');

-- KPI upgrade_prompt_to_trial
-- incremental refresh of KPI "upgrade_prompt_to_trial" (funnel)
select cron.schedule('analytics_refresh_upgrade_prompt_to_trial', '0 * * * *', 'select analytics_private.refresh_kpi_upgrade_prompt_to_trial()');

-- KPI weekly_active_actors
-- incremental refresh of KPI "weekly_active_actors" (distinct_actors)
select cron.schedule('analytics_refresh_weekly_active_actors', '*/15 * * * *', 'select analytics_private.refresh_kpi_weekly_active_actors()');

-- KPI weekly_signup_retention
-- incremental refresh of KPI "weekly_signup_retention" (retention)
select cron.schedule('analytics_refresh_weekly_signup_retention', '0 * * * *', 'select analytics_private.refresh_kpi_weekly_signup_retention()');

-- KPI active_actors_28d
-- incremental refresh of KPI "active_actors_28d" (rolling)
select cron.schedule('analytics_refresh_active_actors_28d', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_actors_28d()');

-- KPI active_actors_7d
-- incremental refresh of KPI "active_actors_7d" (rolling)
select cron.schedule('analytics_refresh_active_actors_7d', '*/15 * * * *', 'select analytics_private.refresh_kpi_active_actors_7d()');

-- KPI active_actors_28d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

-- KPI active_actors_7d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_7d';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_7d';

-- KPI active_clinic_members
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_clinic_members';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_clinic_members';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_clinic_members';

-- KPI active_network_members
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_network_members';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_network_members';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_network_members';

-- KPI active_practitioners
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_practitioners';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_practitioners';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_practitioners';

-- KPI api_latency_ms
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

-- KPI api_request_count
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_request_count';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_request_count';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_request_count';

-- KPI api_server_error_count
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_server_error_count';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_server_error_count';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_server_error_count';

-- KPI clinic_collaborators
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_collaborators';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_collaborators';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_collaborators';

-- KPI clinic_team_onboarding
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

-- KPI consumer_daily_actives
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_daily_actives';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_daily_actives';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_daily_actives';

-- KPI consumer_feature_users
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users';

-- KPI consumer_feature_users_by_feature
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users_by_feature';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users_by_feature';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users_by_feature';

-- KPI consumer_feature_users
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users';

-- KPI daily_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

-- KPI error_count
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'error_count';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'error_count';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'error_count';

-- KPI errors_by_code
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'errors_by_code';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'errors_by_code';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'errors_by_code';

-- KPI monthly_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_active_actors';

-- KPI monthly_signup_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'monthly_signup_retention';

-- KPI network_analytics_viewers
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'network_analytics_viewers';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'network_analytics_viewers';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'network_analytics_viewers';

-- KPI protocol_loggers
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_loggers';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_loggers';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_loggers';

-- KPI protocol_logging_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_logging_retention';

-- KPI protocol_sessions_logged
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_sessions_logged';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_sessions_logged';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'protocol_sessions_logged';

-- KPI screen_load_ms
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'screen_load_ms';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'screen_load_ms';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'screen_load_ms';

-- KPI trial_activation_to_conversion
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'trial_activation_to_conversion';

-- KPI upgrade_funnel_consumer_to_clinic
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_funnel_consumer_to_clinic';

-- KPI upgrade_prompt_to_trial
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'upgrade_prompt_to_trial';

-- KPI weekly_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_active_actors';

-- KPI weekly_signup_retention
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'weekly_signup_retention';
