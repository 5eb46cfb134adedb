-- trackgen migration 20261201071238: events clinic.caseload_handed_off, clinic.member_invited, clinic.member_joined, clinic.member_removed, clinic.member_role_changed, clinic.plan_upgraded, clinic.protocol_shared, clinic.review_completed, clinic.review_requested, clinic.seats_changed, clinic.team_created, clinic.utilization_dashboard_viewed, consumer.appointment_requested, consumer.article_viewed, consumer.checkin_logged, consumer.directory_searched, consumer.exercise_completed, consumer.exercise_started, consumer.feature_used, consumer.goal_set, consumer.progress_chart_viewed, consumer.reminder_scheduled, consumer.upgrade_prompt_viewed, consumer.wearable_connected, network.alert_configured, network.benchmark_compared, network.dashboard_viewed, network.data_sharing_accepted, network.filter_applied, network.report_exported, network.scheduled_report_created, network.suppression_notice_shown, practitioner.availability_published, practitioner.dashboard_viewed, practitioner.home_program_assigned, practitioner.outcome_measure_recorded, practitioner.progress_report_generated, practitioner.protocol_created, practitioner.protocol_edited, practitioner.protocol_logged, practitioner.subscription_cancelled, practitioner.trial_converted, practitioner.trial_expired, practitioner.trial_started, system.api_request_completed, system.credential_reset_completed, system.error_occurred, system.login_failed, system.login_succeeded, system.logout_completed, system.mfa_enrolled, system.offline_sync_completed, system.screen_loaded, system.sign_in_completed, system.signup_completed; KPIs active_actors_28d, active_actors_7d, active_clinic_members, active_network_members, active_practitioners, api_latency_ms, api_request_count, api_server_error_count, api_server_error_rate, clinic_collaboration_adoption, clinic_collaborators, clinic_team_onboarding, consumer_daily_actives, consumer_feature_adoption, consumer_feature_users, consumer_feature_users_by_feature, daily_active_actors, error_count, error_rate, errors_by_code, monthly_active_actors, monthly_signup_retention, network_analytics_adoption, network_analytics_viewers, protocol_loggers, protocol_logging_adoption, protocol_logging_retention, protocol_sessions_logged, screen_load_ms, stickiness_dau_28d, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial, weekly_active_actors, weekly_signup_retention; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';

-- KPI api_server_error_rate
drop view if exists analytics.kpi_api_server_error_rate;

-- KPI clinic_collaboration_adoption
drop view if exists analytics.kpi_clinic_collaboration_adoption;

-- KPI consumer_feature_adoption
drop view if exists analytics.kpi_consumer_feature_adoption;

-- KPI error_rate
drop view if exists analytics.kpi_error_rate;

-- KPI network_analytics_adoption
drop view if exists analytics.kpi_network_analytics_adoption;

-- KPI protocol_logging_adoption
drop view if exists analytics.kpi_protocol_logging_adoption;

-- KPI stickiness_dau_28d
drop view if exists analytics.kpi_stickiness_dau_28d;

-- KPI active_actors_28d
drop table if exists analytics_private.kpi_active_actors_28d;

drop table if exists analytics_private.kpi_active_actors_28d_net;

-- KPI active_actors_7d
drop table if exists analytics_private.kpi_active_actors_7d;

drop table if exists analytics_private.kpi_active_actors_7d_net;

-- KPI api_latency_ms
drop table if exists analytics_private.kpi_api_latency_ms;

drop table if exists analytics_private.kpi_api_latency_ms_net;

drop table if exists analytics_private.kpi_api_latency_ms_values;

-- KPI clinic_team_onboarding
drop table if exists analytics_private.kpi_clinic_team_onboarding;

drop table if exists analytics_private.kpi_clinic_team_onboarding_actors;

drop table if exists analytics_private.kpi_clinic_team_onboarding_net;

drop table if exists analytics_private.kpi_clinic_team_onboarding_steps;

-- KPI consumer_feature_users_by_feature
drop table if exists analytics_private.kpi_consumer_feature_users_by_feature;

drop table if exists analytics_private.kpi_consumer_feature_users_by_feature_facts;

drop table if exists analytics_private.kpi_consumer_feature_users_by_feature_net;

-- KPI daily_active_actors
drop table if exists analytics_private.kpi_daily_active_actors;

drop table if exists analytics_private.kpi_daily_active_actors_facts;

drop table if exists analytics_private.kpi_daily_active_actors_net;

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

create or replace function analytics_private.is_date(value text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $fn$
declare
  y integer;
  m integer;
  d integer;
begin
  -- the common case without a subtransaction: four, two and two digits, checked by arithmetic
  -- against the proleptic Gregorian calendar PostgreSQL uses (years 0001-9999, as to_date below)
  if value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    y := substr(value, 1, 4)::integer;
    m := substr(value, 6, 2)::integer;
    d := substr(value, 9, 2)::integer;
    return y >= 1 and m between 1 and 12 and d between 1 and case
      when m = 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
      when m in (4, 6, 9, 11) then 30
      else 31 end;
  end if;
  perform to_date(value, 'YYYY-MM-DD');
  return to_char(to_date(value, 'YYYY-MM-DD'), 'YYYY-MM-DD') = value;
exception when others then
  return false;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['handoff_reason', 'programs_transferred', 'temporary']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['handoff_reason', 'programs_transferred', 'temporary']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'handoff_reason') then 'missing_property:handoff_reason'
      when not (p ? 'programs_transferred') then 'missing_property:programs_transferred'
      when not (p ? 'temporary') then 'missing_property:temporary' end,
    case when p ? 'handoff_reason' then case
      when jsonb_typeof(p -> 'handoff_reason') is distinct from 'string' then 'wrong_type:handoff_reason'
      when not ((p ->> 'handoff_reason') = any (array['leave_cover', 'specialty_referral', 'workload_balancing', 'departure']::text[])) then 'bad_enum:handoff_reason' end end,
    case when p ? 'programs_transferred' then case
      when jsonb_typeof(p -> 'programs_transferred') is distinct from 'number' then 'wrong_type:programs_transferred'
      when ((p ->> 'programs_transferred'))::numeric % 1 <> 0 then 'wrong_type:programs_transferred'
      when ((p ->> 'programs_transferred'))::numeric < 1 then 'out_of_range:programs_transferred'
      when ((p ->> 'programs_transferred'))::numeric > 500 then 'out_of_range:programs_transferred' end end,
    case when p ? 'temporary' then case
      when jsonb_typeof(p -> 'temporary') is distinct from 'boolean' then 'wrong_type:temporary' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['invite_channel', 'invited_role', 'pending_invites']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['invite_channel', 'invited_role', 'pending_invites']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'invite_channel') then 'missing_property:invite_channel'
      when not (p ? 'invited_role') then 'missing_property:invited_role'
      when not (p ? 'pending_invites') then 'missing_property:pending_invites' end,
    case when p ? 'invite_channel' then case
      when jsonb_typeof(p -> 'invite_channel') is distinct from 'string' then 'wrong_type:invite_channel'
      when not ((p ->> 'invite_channel') = any (array['invite_link', 'bulk_upload', 'directory_sync']::text[])) then 'bad_enum:invite_channel' end end,
    case when p ? 'invited_role' then case
      when jsonb_typeof(p -> 'invited_role') is distinct from 'string' then 'wrong_type:invited_role'
      when not ((p ->> 'invited_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then 'bad_enum:invited_role' end end,
    case when p ? 'pending_invites' then case
      when jsonb_typeof(p -> 'pending_invites') is distinct from 'number' then 'wrong_type:pending_invites'
      when ((p ->> 'pending_invites'))::numeric % 1 <> 0 then 'wrong_type:pending_invites'
      when ((p ->> 'pending_invites'))::numeric < 0 then 'out_of_range:pending_invites'
      when ((p ->> 'pending_invites'))::numeric > 1000 then 'out_of_range:pending_invites' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['days_since_invite', 'join_method', 'role']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['days_since_invite', 'join_method', 'role']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'days_since_invite') then 'missing_property:days_since_invite'
      when not (p ? 'join_method') then 'missing_property:join_method'
      when not (p ? 'role') then 'missing_property:role' end,
    case when p ? 'days_since_invite' then case
      when jsonb_typeof(p -> 'days_since_invite') is distinct from 'number' then 'wrong_type:days_since_invite'
      when ((p ->> 'days_since_invite'))::numeric % 1 <> 0 then 'wrong_type:days_since_invite'
      when ((p ->> 'days_since_invite'))::numeric < 0 then 'out_of_range:days_since_invite'
      when ((p ->> 'days_since_invite'))::numeric > 90 then 'out_of_range:days_since_invite' end end,
    case when p ? 'join_method' then case
      when jsonb_typeof(p -> 'join_method') is distinct from 'string' then 'wrong_type:join_method'
      when not ((p ->> 'join_method') = any (array['invite_link', 'single_sign_on', 'directory_sync']::text[])) then 'bad_enum:join_method' end end,
    case when p ? 'role' then case
      when jsonb_typeof(p -> 'role') is distinct from 'string' then 'wrong_type:role'
      when not ((p ->> 'role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then 'bad_enum:role' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['removal_reason', 'removed_role']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['removal_reason', 'removed_role']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'removal_reason') then 'missing_property:removal_reason'
      when not (p ? 'removed_role') then 'missing_property:removed_role' end,
    case when p ? 'removal_reason' then case
      when jsonb_typeof(p -> 'removal_reason') is distinct from 'string' then 'wrong_type:removal_reason'
      when not ((p ->> 'removal_reason') = any (array['left_clinic', 'seat_reduction', 'role_consolidation', 'security_review', 'other']::text[])) then 'bad_enum:removal_reason' end end,
    case when p ? 'removed_role' then case
      when jsonb_typeof(p -> 'removed_role') is distinct from 'string' then 'wrong_type:removed_role'
      when not ((p ->> 'removed_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then 'bad_enum:removed_role' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['new_role', 'previous_role']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['new_role', 'previous_role']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'new_role') then 'missing_property:new_role'
      when not (p ? 'previous_role') then 'missing_property:previous_role' end,
    case when p ? 'new_role' then case
      when jsonb_typeof(p -> 'new_role') is distinct from 'string' then 'wrong_type:new_role'
      when not ((p ->> 'new_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then 'bad_enum:new_role' end end,
    case when p ? 'previous_role' then case
      when jsonb_typeof(p -> 'previous_role') is distinct from 'string' then 'wrong_type:previous_role'
      when not ((p ->> 'previous_role') = any (array['admin', 'practitioner', 'front_desk', 'billing_staff', 'read_only']::text[])) then 'bad_enum:previous_role' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['billing_interval', 'previous_tier', 'sales_assisted', 'seat_count']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['billing_interval', 'previous_tier', 'sales_assisted', 'seat_count']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'billing_interval') then 'missing_property:billing_interval'
      when not (p ? 'previous_tier') then 'missing_property:previous_tier'
      when not (p ? 'sales_assisted') then 'missing_property:sales_assisted'
      when not (p ? 'seat_count') then 'missing_property:seat_count' end,
    case when p ? 'billing_interval' then case
      when jsonb_typeof(p -> 'billing_interval') is distinct from 'string' then 'wrong_type:billing_interval'
      when not ((p ->> 'billing_interval') = any (array['monthly', 'annual']::text[])) then 'bad_enum:billing_interval' end end,
    case when p ? 'previous_tier' then case
      when jsonb_typeof(p -> 'previous_tier') is distinct from 'string' then 'wrong_type:previous_tier'
      when not ((p ->> 'previous_tier') = any (array['consumer', 'practitioner']::text[])) then 'bad_enum:previous_tier' end end,
    case when p ? 'sales_assisted' then case
      when jsonb_typeof(p -> 'sales_assisted') is distinct from 'boolean' then 'wrong_type:sales_assisted' end end,
    case when p ? 'seat_count' then case
      when jsonb_typeof(p -> 'seat_count') is distinct from 'number' then 'wrong_type:seat_count'
      when ((p ->> 'seat_count'))::numeric % 1 <> 0 then 'wrong_type:seat_count'
      when ((p ->> 'seat_count'))::numeric < 2 then 'out_of_range:seat_count'
      when ((p ->> 'seat_count'))::numeric > 500 then 'out_of_range:seat_count' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['permission', 'protocol_category', 'share_scope']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['permission', 'protocol_category', 'share_scope']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'permission') then 'missing_property:permission'
      when not (p ? 'protocol_category') then 'missing_property:protocol_category'
      when not (p ? 'share_scope') then 'missing_property:share_scope' end,
    case when p ? 'permission' then case
      when jsonb_typeof(p -> 'permission') is distinct from 'string' then 'wrong_type:permission'
      when not ((p ->> 'permission') = any (array['view', 'use', 'edit']::text[])) then 'bad_enum:permission' end end,
    case when p ? 'protocol_category' then case
      when jsonb_typeof(p -> 'protocol_category') is distinct from 'string' then 'wrong_type:protocol_category'
      when not ((p ->> 'protocol_category') = any (array['musculoskeletal', 'neurological', 'post_surgical', 'sports_rehab', 'persistent_pain', 'pelvic_health', 'cardiopulmonary', 'vestibular']::text[])) then 'bad_enum:protocol_category' end end,
    case when p ? 'share_scope' then case
      when jsonb_typeof(p -> 'share_scope') is distinct from 'string' then 'wrong_type:share_scope'
      when not ((p ->> 'share_scope') = any (array['whole_clinic', 'team', 'single_colleague']::text[])) then 'bad_enum:share_scope' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['decision', 'review_kind', 'turnaround_hours']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['decision', 'review_kind', 'turnaround_hours']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'decision') then 'missing_property:decision'
      when not (p ? 'review_kind') then 'missing_property:review_kind'
      when not (p ? 'turnaround_hours') then 'missing_property:turnaround_hours' end,
    case when p ? 'decision' then case
      when jsonb_typeof(p -> 'decision') is distinct from 'string' then 'wrong_type:decision'
      when not ((p ->> 'decision') = any (array['approved', 'changes_requested']::text[])) then 'bad_enum:decision' end end,
    case when p ? 'review_kind' then case
      when jsonb_typeof(p -> 'review_kind') is distinct from 'string' then 'wrong_type:review_kind'
      when not ((p ->> 'review_kind') = any (array['protocol_review', 'session_log_review', 'report_signoff', 'supervision']::text[])) then 'bad_enum:review_kind' end end,
    case when p ? 'turnaround_hours' then case
      when jsonb_typeof(p -> 'turnaround_hours') is distinct from 'number' then 'wrong_type:turnaround_hours'
      when ((p ->> 'turnaround_hours'))::numeric % 1 <> 0 then 'wrong_type:turnaround_hours'
      when ((p ->> 'turnaround_hours'))::numeric < 0 then 'out_of_range:turnaround_hours'
      when ((p ->> 'turnaround_hours'))::numeric > 720 then 'out_of_range:turnaround_hours' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['review_kind', 'urgency']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['review_kind', 'urgency']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'review_kind') then 'missing_property:review_kind'
      when not (p ? 'urgency') then 'missing_property:urgency' end,
    case when p ? 'review_kind' then case
      when jsonb_typeof(p -> 'review_kind') is distinct from 'string' then 'wrong_type:review_kind'
      when not ((p ->> 'review_kind') = any (array['protocol_review', 'session_log_review', 'report_signoff', 'supervision']::text[])) then 'bad_enum:review_kind' end end,
    case when p ? 'urgency' then case
      when jsonb_typeof(p -> 'urgency') is distinct from 'string' then 'wrong_type:urgency'
      when not ((p ->> 'urgency') = any (array['routine', 'priority']::text[])) then 'bad_enum:urgency' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['direction', 'seat_delta', 'seat_total']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['direction', 'seat_delta', 'seat_total']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'direction') then 'missing_property:direction'
      when not (p ? 'seat_delta') then 'missing_property:seat_delta'
      when not (p ? 'seat_total') then 'missing_property:seat_total' end,
    case when p ? 'direction' then case
      when jsonb_typeof(p -> 'direction') is distinct from 'string' then 'wrong_type:direction'
      when not ((p ->> 'direction') = any (array['added', 'removed']::text[])) then 'bad_enum:direction' end end,
    case when p ? 'seat_delta' then case
      when jsonb_typeof(p -> 'seat_delta') is distinct from 'number' then 'wrong_type:seat_delta'
      when ((p ->> 'seat_delta'))::numeric % 1 <> 0 then 'wrong_type:seat_delta'
      when ((p ->> 'seat_delta'))::numeric < 1 then 'out_of_range:seat_delta'
      when ((p ->> 'seat_delta'))::numeric > 500 then 'out_of_range:seat_delta' end end,
    case when p ? 'seat_total' then case
      when jsonb_typeof(p -> 'seat_total') is distinct from 'number' then 'wrong_type:seat_total'
      when ((p ->> 'seat_total'))::numeric % 1 <> 0 then 'wrong_type:seat_total'
      when ((p ->> 'seat_total'))::numeric < 1 then 'out_of_range:seat_total'
      when ((p ->> 'seat_total'))::numeric > 1000 then 'out_of_range:seat_total' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['team_purpose', 'team_size']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['team_purpose', 'team_size']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'team_purpose') then 'missing_property:team_purpose'
      when not (p ? 'team_size') then 'missing_property:team_size' end,
    case when p ? 'team_purpose' then case
      when jsonb_typeof(p -> 'team_purpose') is distinct from 'string' then 'wrong_type:team_purpose'
      when not ((p ->> 'team_purpose') = any (array['specialty_group', 'shift_group', 'project_group', 'supervision_group']::text[])) then 'bad_enum:team_purpose' end end,
    case when p ? 'team_size' then case
      when jsonb_typeof(p -> 'team_size') is distinct from 'number' then 'wrong_type:team_size'
      when ((p ->> 'team_size'))::numeric % 1 <> 0 then 'wrong_type:team_size'
      when ((p ->> 'team_size'))::numeric < 1 then 'out_of_range:team_size'
      when ((p ->> 'team_size'))::numeric > 200 then 'out_of_range:team_size' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard_section', 'date_range']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard_section', 'date_range']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'dashboard_section') then 'missing_property:dashboard_section'
      when not (p ? 'date_range') then 'missing_property:date_range' end,
    case when p ? 'dashboard_section' then case
      when jsonb_typeof(p -> 'dashboard_section') is distinct from 'string' then 'wrong_type:dashboard_section'
      when not ((p ->> 'dashboard_section') = any (array['capacity', 'home_program_adherence', 'protocol_mix', 'staff_activity', 'outcomes']::text[])) then 'bad_enum:dashboard_section' end end,
    case when p ? 'date_range' then case
      when jsonb_typeof(p -> 'date_range') is distinct from 'string' then 'wrong_type:date_range'
      when not ((p ->> 'date_range') = any (array['past_7_days', 'past_30_days', 'past_90_days', 'past_12_months']::text[])) then 'bad_enum:date_range' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['appointment_kind', 'lead_time_days']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['appointment_kind', 'lead_time_days']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'appointment_kind') then 'missing_property:appointment_kind'
      when not (p ? 'lead_time_days') then 'missing_property:lead_time_days' end,
    case when p ? 'appointment_kind' then case
      when jsonb_typeof(p -> 'appointment_kind') is distinct from 'string' then 'wrong_type:appointment_kind'
      when not ((p ->> 'appointment_kind') = any (array['initial_assessment', 'follow_up', 'telehealth_consult']::text[])) then 'bad_enum:appointment_kind' end end,
    case when p ? 'lead_time_days' then case
      when jsonb_typeof(p -> 'lead_time_days') is distinct from 'number' then 'wrong_type:lead_time_days'
      when ((p ->> 'lead_time_days'))::numeric % 1 <> 0 then 'wrong_type:lead_time_days'
      when ((p ->> 'lead_time_days'))::numeric < 0 then 'out_of_range:lead_time_days'
      when ((p ->> 'lead_time_days'))::numeric > 365 then 'out_of_range:lead_time_days' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['content_format', 'scroll_depth_percent', 'topic']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['content_format', 'scroll_depth_percent', 'topic']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'content_format') then 'missing_property:content_format'
      when not (p ? 'topic') then 'missing_property:topic' end,
    case when p ? 'content_format' then case
      when jsonb_typeof(p -> 'content_format') is distinct from 'string' then 'wrong_type:content_format'
      when not ((p ->> 'content_format') = any (array['article', 'video', 'infographic']::text[])) then 'bad_enum:content_format' end end,
    case when p ? 'scroll_depth_percent' then case
      when jsonb_typeof(p -> 'scroll_depth_percent') is distinct from 'number' then 'wrong_type:scroll_depth_percent'
      when ((p ->> 'scroll_depth_percent'))::numeric % 1 <> 0 then 'wrong_type:scroll_depth_percent'
      when ((p ->> 'scroll_depth_percent'))::numeric < 0 then 'out_of_range:scroll_depth_percent'
      when ((p ->> 'scroll_depth_percent'))::numeric > 100 then 'out_of_range:scroll_depth_percent' end end,
    case when p ? 'topic' then case
      when jsonb_typeof(p -> 'topic') is distinct from 'string' then 'wrong_type:topic'
      when not ((p ->> 'topic') = any (array['pain_management', 'sleep', 'nutrition', 'movement', 'stress', 'recovery', 'living_with_long_term_pain']::text[])) then 'bad_enum:topic' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['checkin_kind', 'from_reminder', 'metrics_logged']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['checkin_kind', 'from_reminder', 'metrics_logged']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'checkin_kind') then 'missing_property:checkin_kind'
      when not (p ? 'from_reminder') then 'missing_property:from_reminder'
      when not (p ? 'metrics_logged') then 'missing_property:metrics_logged' end,
    case when p ? 'checkin_kind' then case
      when jsonb_typeof(p -> 'checkin_kind') is distinct from 'string' then 'wrong_type:checkin_kind'
      when not ((p ->> 'checkin_kind') = any (array['quick', 'detailed']::text[])) then 'bad_enum:checkin_kind' end end,
    case when p ? 'from_reminder' then case
      when jsonb_typeof(p -> 'from_reminder') is distinct from 'boolean' then 'wrong_type:from_reminder' end end,
    case when p ? 'metrics_logged' then case
      when jsonb_typeof(p -> 'metrics_logged') is distinct from 'number' then 'wrong_type:metrics_logged'
      when ((p ->> 'metrics_logged'))::numeric % 1 <> 0 then 'wrong_type:metrics_logged'
      when ((p ->> 'metrics_logged'))::numeric < 1 then 'out_of_range:metrics_logged'
      when ((p ->> 'metrics_logged'))::numeric > 20 then 'out_of_range:metrics_logged' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['results_count', 'specialty_filter', 'visit_mode_filter']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['results_count', 'specialty_filter', 'visit_mode_filter']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'results_count') then 'missing_property:results_count'
      when not (p ? 'specialty_filter') then 'missing_property:specialty_filter'
      when not (p ? 'visit_mode_filter') then 'missing_property:visit_mode_filter' end,
    case when p ? 'results_count' then case
      when jsonb_typeof(p -> 'results_count') is distinct from 'number' then 'wrong_type:results_count'
      when ((p ->> 'results_count'))::numeric % 1 <> 0 then 'wrong_type:results_count'
      when ((p ->> 'results_count'))::numeric < 0 then 'out_of_range:results_count'
      when ((p ->> 'results_count'))::numeric > 500 then 'out_of_range:results_count' end end,
    case when p ? 'specialty_filter' then case
      when jsonb_typeof(p -> 'specialty_filter') is distinct from 'string' then 'wrong_type:specialty_filter'
      when not ((p ->> 'specialty_filter') = any (array['any', 'physiotherapy', 'occupational_therapy', 'chiropractic', 'osteopathy', 'sports_medicine', 'dietetics', 'psychology']::text[])) then 'bad_enum:specialty_filter' end end,
    case when p ? 'visit_mode_filter' then case
      when jsonb_typeof(p -> 'visit_mode_filter') is distinct from 'string' then 'wrong_type:visit_mode_filter'
      when not ((p ->> 'visit_mode_filter') = any (array['any', 'on_site', 'telehealth']::text[])) then 'bad_enum:visit_mode_filter' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['completion_percent', 'duration_seconds', 'exercise_category']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['completion_percent', 'duration_seconds', 'exercise_category']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'completion_percent') then 'missing_property:completion_percent'
      when not (p ? 'duration_seconds') then 'missing_property:duration_seconds'
      when not (p ? 'exercise_category') then 'missing_property:exercise_category' end,
    case when p ? 'completion_percent' then case
      when jsonb_typeof(p -> 'completion_percent') is distinct from 'number' then 'wrong_type:completion_percent'
      when ((p ->> 'completion_percent'))::numeric % 1 <> 0 then 'wrong_type:completion_percent'
      when ((p ->> 'completion_percent'))::numeric < 0 then 'out_of_range:completion_percent'
      when ((p ->> 'completion_percent'))::numeric > 100 then 'out_of_range:completion_percent' end end,
    case when p ? 'duration_seconds' then case
      when jsonb_typeof(p -> 'duration_seconds') is distinct from 'number' then 'wrong_type:duration_seconds'
      when ((p ->> 'duration_seconds'))::numeric % 1 <> 0 then 'wrong_type:duration_seconds'
      when ((p ->> 'duration_seconds'))::numeric < 0 then 'out_of_range:duration_seconds'
      when ((p ->> 'duration_seconds'))::numeric > 7200 then 'out_of_range:duration_seconds' end end,
    case when p ? 'exercise_category' then case
      when jsonb_typeof(p -> 'exercise_category') is distinct from 'string' then 'wrong_type:exercise_category'
      when not ((p ->> 'exercise_category') = any (array['mobility', 'strength', 'balance', 'breathing', 'stretching', 'relaxation']::text[])) then 'bad_enum:exercise_category' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['difficulty', 'exercise_category', 'source']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['difficulty', 'exercise_category', 'source']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'difficulty') then 'missing_property:difficulty'
      when not (p ? 'exercise_category') then 'missing_property:exercise_category'
      when not (p ? 'source') then 'missing_property:source' end,
    case when p ? 'difficulty' then case
      when jsonb_typeof(p -> 'difficulty') is distinct from 'string' then 'wrong_type:difficulty'
      when not ((p ->> 'difficulty') = any (array['beginner', 'intermediate', 'advanced']::text[])) then 'bad_enum:difficulty' end end,
    case when p ? 'exercise_category' then case
      when jsonb_typeof(p -> 'exercise_category') is distinct from 'string' then 'wrong_type:exercise_category'
      when not ((p ->> 'exercise_category') = any (array['mobility', 'strength', 'balance', 'breathing', 'stretching', 'relaxation']::text[])) then 'bad_enum:exercise_category' end end,
    case when p ? 'source' then case
      when jsonb_typeof(p -> 'source') is distinct from 'string' then 'wrong_type:source'
      when not ((p ->> 'source') = any (array['library_browse', 'recommendation', 'home_program', 'goal_plan']::text[])) then 'bad_enum:source' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['entry_point', 'feature', 'platform']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['entry_point', 'feature', 'platform']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'entry_point') then 'missing_property:entry_point'
      when not (p ? 'feature') then 'missing_property:feature'
      when not (p ? 'platform') then 'missing_property:platform' end,
    case when p ? 'entry_point' then case
      when jsonb_typeof(p -> 'entry_point') is distinct from 'string' then 'wrong_type:entry_point'
      when not ((p ->> 'entry_point') = any (array['home_screen', 'navigation_menu', 'push_notification', 'reminder_link', 'deep_link', 'onboarding']::text[])) then 'bad_enum:entry_point' end end,
    case when p ? 'feature' then case
      when jsonb_typeof(p -> 'feature') is distinct from 'string' then 'wrong_type:feature'
      when not ((p ->> 'feature') = any (array['checkin_tracker', 'exercise_library', 'education_hub', 'reminders', 'goals', 'progress_charts', 'practitioner_directory', 'appointment_booking', 'wearable_sync']::text[])) then 'bad_enum:feature' end end,
    case when p ? 'platform' then case
      when jsonb_typeof(p -> 'platform') is distinct from 'string' then 'wrong_type:platform'
      when not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then 'bad_enum:platform' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['goal_area', 'horizon_weeks', 'target_days_per_week']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['goal_area', 'horizon_weeks', 'target_days_per_week']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'goal_area') then 'missing_property:goal_area'
      when not (p ? 'horizon_weeks') then 'missing_property:horizon_weeks'
      when not (p ? 'target_days_per_week') then 'missing_property:target_days_per_week' end,
    case when p ? 'goal_area' then case
      when jsonb_typeof(p -> 'goal_area') is distinct from 'string' then 'wrong_type:goal_area'
      when not ((p ->> 'goal_area') = any (array['activity', 'sleep', 'mobility', 'stress', 'checkin_streak']::text[])) then 'bad_enum:goal_area' end end,
    case when p ? 'horizon_weeks' then case
      when jsonb_typeof(p -> 'horizon_weeks') is distinct from 'number' then 'wrong_type:horizon_weeks'
      when ((p ->> 'horizon_weeks'))::numeric % 1 <> 0 then 'wrong_type:horizon_weeks'
      when ((p ->> 'horizon_weeks'))::numeric < 1 then 'out_of_range:horizon_weeks'
      when ((p ->> 'horizon_weeks'))::numeric > 52 then 'out_of_range:horizon_weeks' end end,
    case when p ? 'target_days_per_week' then case
      when jsonb_typeof(p -> 'target_days_per_week') is distinct from 'number' then 'wrong_type:target_days_per_week'
      when ((p ->> 'target_days_per_week'))::numeric % 1 <> 0 then 'wrong_type:target_days_per_week'
      when ((p ->> 'target_days_per_week'))::numeric < 1 then 'out_of_range:target_days_per_week'
      when ((p ->> 'target_days_per_week'))::numeric > 7 then 'out_of_range:target_days_per_week' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['date_range', 'metric_group']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['date_range', 'metric_group']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'date_range') then 'missing_property:date_range'
      when not (p ? 'metric_group') then 'missing_property:metric_group' end,
    case when p ? 'date_range' then case
      when jsonb_typeof(p -> 'date_range') is distinct from 'string' then 'wrong_type:date_range'
      when not ((p ->> 'date_range') = any (array['past_7_days', 'past_30_days', 'past_90_days', 'past_12_months']::text[])) then 'bad_enum:date_range' end end,
    case when p ? 'metric_group' then case
      when jsonb_typeof(p -> 'metric_group') is distinct from 'string' then 'wrong_type:metric_group'
      when not ((p ->> 'metric_group') = any (array['checkins', 'exercise', 'sleep', 'goals']::text[])) then 'bad_enum:metric_group' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cadence', 'channel', 'reminder_kind']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cadence', 'channel', 'reminder_kind']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'cadence') then 'missing_property:cadence'
      when not (p ? 'channel') then 'missing_property:channel'
      when not (p ? 'reminder_kind') then 'missing_property:reminder_kind' end,
    case when p ? 'cadence' then case
      when jsonb_typeof(p -> 'cadence') is distinct from 'string' then 'wrong_type:cadence'
      when not ((p ->> 'cadence') = any (array['daily', 'weekdays', 'weekly']::text[])) then 'bad_enum:cadence' end end,
    case when p ? 'channel' then case
      when jsonb_typeof(p -> 'channel') is distinct from 'string' then 'wrong_type:channel'
      when not ((p ->> 'channel') = any (array['push', 'in_app']::text[])) then 'bad_enum:channel' end end,
    case when p ? 'reminder_kind' then case
      when jsonb_typeof(p -> 'reminder_kind') is distinct from 'string' then 'wrong_type:reminder_kind'
      when not ((p ->> 'reminder_kind') = any (array['checkin', 'exercise', 'hydration', 'sleep_routine']::text[])) then 'bad_enum:reminder_kind' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['offered_tier', 'placement']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['offered_tier', 'placement']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'offered_tier') then 'missing_property:offered_tier'
      when not (p ? 'placement') then 'missing_property:placement' end,
    case when p ? 'offered_tier' then case
      when jsonb_typeof(p -> 'offered_tier') is distinct from 'string' then 'wrong_type:offered_tier'
      when not ((p ->> 'offered_tier') = any (array['practitioner', 'clinic']::text[])) then 'bad_enum:offered_tier' end end,
    case when p ? 'placement' then case
      when jsonb_typeof(p -> 'placement') is distinct from 'string' then 'wrong_type:placement'
      when not ((p ->> 'placement') = any (array['feature_limit', 'settings', 'onboarding', 'progress_charts', 'practitioner_directory']::text[])) then 'bad_enum:placement' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['data_scopes', 'integration']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['data_scopes', 'integration']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := case
      when not (p ? 'data_scopes') then 'missing_property:data_scopes'
      when not (p ? 'integration') then 'missing_property:integration' end;
  if problem is not null then return problem; end if;
  if p ? 'data_scopes' then
    if jsonb_typeof(p -> 'data_scopes') is distinct from 'array' then return 'wrong_type:data_scopes'; end if;
    if jsonb_array_length(p -> 'data_scopes') > 4 then return 'too_many_items:data_scopes'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'data_scopes') as e) then return 'duplicate_items:data_scopes'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'data_scopes') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:data_scopes'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'data_scopes') as e where not ((e #>> '{}') = any (array['steps', 'heart_rate', 'sleep', 'activity_minutes']::text[]))) then return 'bad_enum:data_scopes'; end if;
  end if;
  problem := case when p ? 'integration' then case
      when jsonb_typeof(p -> 'integration') is distinct from 'string' then 'wrong_type:integration'
      when not ((p ->> 'integration') = any (array['apple_health', 'google_health_connect', 'fitbit', 'garmin', 'oura']::text[])) then 'bad_enum:integration' end end;
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['alert_metric', 'evaluation_cadence', 'threshold_direction']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['alert_metric', 'evaluation_cadence', 'threshold_direction']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'alert_metric') then 'missing_property:alert_metric'
      when not (p ? 'evaluation_cadence') then 'missing_property:evaluation_cadence'
      when not (p ? 'threshold_direction') then 'missing_property:threshold_direction' end,
    case when p ? 'alert_metric' then case
      when jsonb_typeof(p -> 'alert_metric') is distinct from 'string' then 'wrong_type:alert_metric'
      when not ((p ->> 'alert_metric') = any (array['protocol_logging_rate', 'home_program_adherence', 'outcome_improvement', 'time_to_discharge', 'sessions_per_episode', 'seat_utilization']::text[])) then 'bad_enum:alert_metric' end end,
    case when p ? 'evaluation_cadence' then case
      when jsonb_typeof(p -> 'evaluation_cadence') is distinct from 'string' then 'wrong_type:evaluation_cadence'
      when not ((p ->> 'evaluation_cadence') = any (array['daily', 'weekly']::text[])) then 'bad_enum:evaluation_cadence' end end,
    case when p ? 'threshold_direction' then case
      when jsonb_typeof(p -> 'threshold_direction') is distinct from 'string' then 'wrong_type:threshold_direction'
      when not ((p ->> 'threshold_direction') = any (array['above', 'below']::text[])) then 'bad_enum:threshold_direction' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['benchmark_metric', 'comparison']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['benchmark_metric', 'comparison']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'benchmark_metric') then 'missing_property:benchmark_metric'
      when not (p ? 'comparison') then 'missing_property:comparison' end,
    case when p ? 'benchmark_metric' then case
      when jsonb_typeof(p -> 'benchmark_metric') is distinct from 'string' then 'wrong_type:benchmark_metric'
      when not ((p ->> 'benchmark_metric') = any (array['protocol_logging_rate', 'home_program_adherence', 'outcome_improvement', 'time_to_discharge', 'sessions_per_episode', 'seat_utilization']::text[])) then 'bad_enum:benchmark_metric' end end,
    case when p ? 'comparison' then case
      when jsonb_typeof(p -> 'comparison') is distinct from 'string' then 'wrong_type:comparison'
      when not ((p ->> 'comparison') = any (array['network_median', 'network_quartiles', 'peer_group']::text[])) then 'bad_enum:comparison' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard', 'date_range', 'sites_in_scope']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard', 'date_range', 'sites_in_scope']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'dashboard') then 'missing_property:dashboard'
      when not (p ? 'date_range') then 'missing_property:date_range'
      when not (p ? 'sites_in_scope') then 'missing_property:sites_in_scope' end,
    case when p ? 'dashboard' then case
      when jsonb_typeof(p -> 'dashboard') is distinct from 'string' then 'wrong_type:dashboard'
      when not ((p ->> 'dashboard') = any (array['network_overview', 'site_comparison', 'protocol_mix', 'workforce', 'growth', 'outcomes']::text[])) then 'bad_enum:dashboard' end end,
    case when p ? 'date_range' then case
      when jsonb_typeof(p -> 'date_range') is distinct from 'string' then 'wrong_type:date_range'
      when not ((p ->> 'date_range') = any (array['past_30_days', 'past_quarter', 'past_12_months']::text[])) then 'bad_enum:date_range' end end,
    case when p ? 'sites_in_scope' then case
      when jsonb_typeof(p -> 'sites_in_scope') is distinct from 'number' then 'wrong_type:sites_in_scope'
      when ((p ->> 'sites_in_scope'))::numeric % 1 <> 0 then 'wrong_type:sites_in_scope'
      when ((p ->> 'sites_in_scope'))::numeric < 1 then 'out_of_range:sites_in_scope'
      when ((p ->> 'sites_in_scope'))::numeric > 5000 then 'out_of_range:sites_in_scope' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['agreement_version', 'sharing_scope']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['agreement_version', 'sharing_scope']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'agreement_version') then 'missing_property:agreement_version'
      when not (p ? 'sharing_scope') then 'missing_property:sharing_scope' end,
    case when p ? 'agreement_version' then case
      when jsonb_typeof(p -> 'agreement_version') is distinct from 'string' then 'wrong_type:agreement_version'
      when (p ->> 'agreement_version') !~ '^v[0-9]{1,3}$' then 'bad_pattern:agreement_version' end end,
    case when p ? 'sharing_scope' then case
      when jsonb_typeof(p -> 'sharing_scope') is distinct from 'string' then 'wrong_type:sharing_scope'
      when not ((p ->> 'sharing_scope') = any (array['benchmarks_only', 'benchmarks_and_research']::text[])) then 'bad_enum:sharing_scope' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard', 'filter_dimension', 'filters_active']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard', 'filter_dimension', 'filters_active']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'dashboard') then 'missing_property:dashboard'
      when not (p ? 'filter_dimension') then 'missing_property:filter_dimension'
      when not (p ? 'filters_active') then 'missing_property:filters_active' end,
    case when p ? 'dashboard' then case
      when jsonb_typeof(p -> 'dashboard') is distinct from 'string' then 'wrong_type:dashboard'
      when not ((p ->> 'dashboard') = any (array['network_overview', 'site_comparison', 'protocol_mix', 'workforce', 'growth', 'outcomes']::text[])) then 'bad_enum:dashboard' end end,
    case when p ? 'filter_dimension' then case
      when jsonb_typeof(p -> 'filter_dimension') is distinct from 'string' then 'wrong_type:filter_dimension'
      when not ((p ->> 'filter_dimension') = any (array['protocol_category', 'site_size_band', 'plan_tier', 'period', 'region']::text[])) then 'bad_enum:filter_dimension' end end,
    case when p ? 'filters_active' then case
      when jsonb_typeof(p -> 'filters_active') is distinct from 'number' then 'wrong_type:filters_active'
      when ((p ->> 'filters_active'))::numeric % 1 <> 0 then 'wrong_type:filters_active'
      when ((p ->> 'filters_active'))::numeric < 1 then 'out_of_range:filters_active'
      when ((p ->> 'filters_active'))::numeric > 20 then 'out_of_range:filters_active' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['export_format', 'report', 'rows_exported']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['export_format', 'report', 'rows_exported']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'export_format') then 'missing_property:export_format'
      when not (p ? 'report') then 'missing_property:report'
      when not (p ? 'rows_exported') then 'missing_property:rows_exported' end,
    case when p ? 'export_format' then case
      when jsonb_typeof(p -> 'export_format') is distinct from 'string' then 'wrong_type:export_format'
      when not ((p ->> 'export_format') = any (array['csv', 'xlsx', 'pdf']::text[])) then 'bad_enum:export_format' end end,
    case when p ? 'report' then case
      when jsonb_typeof(p -> 'report') is distinct from 'string' then 'wrong_type:report'
      when not ((p ->> 'report') = any (array['network_summary', 'site_benchmarks', 'protocol_mix', 'workforce_capacity', 'outcome_trends']::text[])) then 'bad_enum:report' end end,
    case when p ? 'rows_exported' then case
      when jsonb_typeof(p -> 'rows_exported') is distinct from 'number' then 'wrong_type:rows_exported'
      when ((p ->> 'rows_exported'))::numeric % 1 <> 0 then 'wrong_type:rows_exported'
      when ((p ->> 'rows_exported'))::numeric < 0 then 'out_of_range:rows_exported'
      when ((p ->> 'rows_exported'))::numeric > 1000000 then 'out_of_range:rows_exported' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cadence', 'export_format', 'recipients_count', 'report', 'start_date']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cadence', 'export_format', 'recipients_count', 'report', 'start_date']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'cadence') then 'missing_property:cadence'
      when not (p ? 'export_format') then 'missing_property:export_format'
      when not (p ? 'recipients_count') then 'missing_property:recipients_count'
      when not (p ? 'report') then 'missing_property:report'
      when not (p ? 'start_date') then 'missing_property:start_date' end,
    case when p ? 'cadence' then case
      when jsonb_typeof(p -> 'cadence') is distinct from 'string' then 'wrong_type:cadence'
      when not ((p ->> 'cadence') = any (array['weekly', 'monthly', 'quarterly']::text[])) then 'bad_enum:cadence' end end,
    case when p ? 'export_format' then case
      when jsonb_typeof(p -> 'export_format') is distinct from 'string' then 'wrong_type:export_format'
      when not ((p ->> 'export_format') = any (array['csv', 'xlsx', 'pdf']::text[])) then 'bad_enum:export_format' end end,
    case when p ? 'recipients_count' then case
      when jsonb_typeof(p -> 'recipients_count') is distinct from 'number' then 'wrong_type:recipients_count'
      when ((p ->> 'recipients_count'))::numeric % 1 <> 0 then 'wrong_type:recipients_count'
      when ((p ->> 'recipients_count'))::numeric < 1 then 'out_of_range:recipients_count'
      when ((p ->> 'recipients_count'))::numeric > 50 then 'out_of_range:recipients_count' end end,
    case when p ? 'report' then case
      when jsonb_typeof(p -> 'report') is distinct from 'string' then 'wrong_type:report'
      when not ((p ->> 'report') = any (array['network_summary', 'site_benchmarks', 'protocol_mix', 'workforce_capacity', 'outcome_trends']::text[])) then 'bad_enum:report' end end,
    case when p ? 'start_date' then case
      when jsonb_typeof(p -> 'start_date') is distinct from 'string' then 'wrong_type:start_date'
      when (p ->> 'start_date') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' or not analytics_private.is_date((p ->> 'start_date')) then 'bad_format:start_date' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard', 'suppressed_cells']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard', 'suppressed_cells']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'dashboard') then 'missing_property:dashboard'
      when not (p ? 'suppressed_cells') then 'missing_property:suppressed_cells' end,
    case when p ? 'dashboard' then case
      when jsonb_typeof(p -> 'dashboard') is distinct from 'string' then 'wrong_type:dashboard'
      when not ((p ->> 'dashboard') = any (array['network_overview', 'site_comparison', 'protocol_mix', 'workforce', 'growth', 'outcomes']::text[])) then 'bad_enum:dashboard' end end,
    case when p ? 'suppressed_cells' then case
      when jsonb_typeof(p -> 'suppressed_cells') is distinct from 'number' then 'wrong_type:suppressed_cells'
      when ((p ->> 'suppressed_cells'))::numeric % 1 <> 0 then 'wrong_type:suppressed_cells'
      when ((p ->> 'suppressed_cells'))::numeric < 1 then 'out_of_range:suppressed_cells'
      when ((p ->> 'suppressed_cells'))::numeric > 10000 then 'out_of_range:suppressed_cells' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['appointment_kinds', 'slot_count', 'weeks_ahead']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['appointment_kinds', 'slot_count', 'weeks_ahead']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := case
      when not (p ? 'appointment_kinds') then 'missing_property:appointment_kinds'
      when not (p ? 'slot_count') then 'missing_property:slot_count'
      when not (p ? 'weeks_ahead') then 'missing_property:weeks_ahead' end;
  if problem is not null then return problem; end if;
  if p ? 'appointment_kinds' then
    if jsonb_typeof(p -> 'appointment_kinds') is distinct from 'array' then return 'wrong_type:appointment_kinds'; end if;
    if jsonb_array_length(p -> 'appointment_kinds') > 3 then return 'too_many_items:appointment_kinds'; end if;
    if jsonb_array_length(p -> 'appointment_kinds') < 1 then return 'too_few_items:appointment_kinds'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'appointment_kinds') as e) then return 'duplicate_items:appointment_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'appointment_kinds') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:appointment_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'appointment_kinds') as e where not ((e #>> '{}') = any (array['initial_assessment', 'follow_up', 'telehealth_consult']::text[]))) then return 'bad_enum:appointment_kinds'; end if;
  end if;
  problem := coalesce(
    case when p ? 'slot_count' then case
      when jsonb_typeof(p -> 'slot_count') is distinct from 'number' then 'wrong_type:slot_count'
      when ((p ->> 'slot_count'))::numeric % 1 <> 0 then 'wrong_type:slot_count'
      when ((p ->> 'slot_count'))::numeric < 1 then 'out_of_range:slot_count'
      when ((p ->> 'slot_count'))::numeric > 500 then 'out_of_range:slot_count' end end,
    case when p ? 'weeks_ahead' then case
      when jsonb_typeof(p -> 'weeks_ahead') is distinct from 'number' then 'wrong_type:weeks_ahead'
      when ((p ->> 'weeks_ahead'))::numeric % 1 <> 0 then 'wrong_type:weeks_ahead'
      when ((p ->> 'weeks_ahead'))::numeric < 1 then 'out_of_range:weeks_ahead'
      when ((p ->> 'weeks_ahead'))::numeric > 12 then 'out_of_range:weeks_ahead' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard_view']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard_view']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'dashboard_view') then 'missing_property:dashboard_view' end,
    case when p ? 'dashboard_view' then case
      when jsonb_typeof(p -> 'dashboard_view') is distinct from 'string' then 'wrong_type:dashboard_view'
      when not ((p ->> 'dashboard_view') = any (array['today', 'this_week', 'overdue_follow_ups', 'home_program_adherence', 'outcome_trends']::text[])) then 'bad_enum:dashboard_view' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['delivery_channel', 'exercise_count', 'program_weeks']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['delivery_channel', 'exercise_count', 'program_weeks']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'delivery_channel') then 'missing_property:delivery_channel'
      when not (p ? 'exercise_count') then 'missing_property:exercise_count'
      when not (p ? 'program_weeks') then 'missing_property:program_weeks' end,
    case when p ? 'delivery_channel' then case
      when jsonb_typeof(p -> 'delivery_channel') is distinct from 'string' then 'wrong_type:delivery_channel'
      when not ((p ->> 'delivery_channel') = any (array['in_app', 'printable_pdf', 'both']::text[])) then 'bad_enum:delivery_channel' end end,
    case when p ? 'exercise_count' then case
      when jsonb_typeof(p -> 'exercise_count') is distinct from 'number' then 'wrong_type:exercise_count'
      when ((p ->> 'exercise_count'))::numeric % 1 <> 0 then 'wrong_type:exercise_count'
      when ((p ->> 'exercise_count'))::numeric < 1 then 'out_of_range:exercise_count'
      when ((p ->> 'exercise_count'))::numeric > 50 then 'out_of_range:exercise_count' end end,
    case when p ? 'program_weeks' then case
      when jsonb_typeof(p -> 'program_weeks') is distinct from 'number' then 'wrong_type:program_weeks'
      when ((p ->> 'program_weeks'))::numeric % 1 <> 0 then 'wrong_type:program_weeks'
      when ((p ->> 'program_weeks'))::numeric < 1 then 'out_of_range:program_weeks'
      when ((p ->> 'program_weeks'))::numeric > 52 then 'out_of_range:program_weeks' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['administration', 'instrument', 'timepoint']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['administration', 'instrument', 'timepoint']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'administration') then 'missing_property:administration'
      when not (p ? 'instrument') then 'missing_property:instrument'
      when not (p ? 'timepoint') then 'missing_property:timepoint' end,
    case when p ? 'administration' then case
      when jsonb_typeof(p -> 'administration') is distinct from 'string' then 'wrong_type:administration'
      when not ((p ->> 'administration') = any (array['in_clinic', 'remote_link']::text[])) then 'bad_enum:administration' end end,
    case when p ? 'instrument' then case
      when jsonb_typeof(p -> 'instrument') is distinct from 'string' then 'wrong_type:instrument'
      when not ((p ->> 'instrument') = any (array['psfs', 'odi', 'ndi', 'koos', 'hoos', 'quickdash', 'nprs', 'promis_global_10', 'dhi']::text[])) then 'bad_enum:instrument' end end,
    case when p ? 'timepoint' then case
      when jsonb_typeof(p -> 'timepoint') is distinct from 'string' then 'wrong_type:timepoint'
      when not ((p ->> 'timepoint') = any (array['baseline', 'interim', 'discharge', 'follow_up']::text[])) then 'bad_enum:timepoint' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['output_format', 'report_kind', 'sessions_covered']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['output_format', 'report_kind', 'sessions_covered']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'output_format') then 'missing_property:output_format'
      when not (p ? 'report_kind') then 'missing_property:report_kind'
      when not (p ? 'sessions_covered') then 'missing_property:sessions_covered' end,
    case when p ? 'output_format' then case
      when jsonb_typeof(p -> 'output_format') is distinct from 'string' then 'wrong_type:output_format'
      when not ((p ->> 'output_format') = any (array['pdf', 'docx']::text[])) then 'bad_enum:output_format' end end,
    case when p ? 'report_kind' then case
      when jsonb_typeof(p -> 'report_kind') is distinct from 'string' then 'wrong_type:report_kind'
      when not ((p ->> 'report_kind') = any (array['progress', 'discharge', 'referral_summary']::text[])) then 'bad_enum:report_kind' end end,
    case when p ? 'sessions_covered' then case
      when jsonb_typeof(p -> 'sessions_covered') is distinct from 'number' then 'wrong_type:sessions_covered'
      when ((p ->> 'sessions_covered'))::numeric % 1 <> 0 then 'wrong_type:sessions_covered'
      when ((p ->> 'sessions_covered'))::numeric < 0 then 'out_of_range:sessions_covered'
      when ((p ->> 'sessions_covered'))::numeric > 500 then 'out_of_range:sessions_covered' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['origin', 'protocol_category', 'protocol_id', 'step_count']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['origin', 'protocol_category', 'protocol_id', 'step_count']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'origin') then 'missing_property:origin'
      when not (p ? 'protocol_category') then 'missing_property:protocol_category'
      when not (p ? 'protocol_id') then 'missing_property:protocol_id'
      when not (p ? 'step_count') then 'missing_property:step_count' end,
    case when p ? 'origin' then case
      when jsonb_typeof(p -> 'origin') is distinct from 'string' then 'wrong_type:origin'
      when not ((p ->> 'origin') = any (array['blank', 'platform_library', 'duplicated', 'clinic_shared']::text[])) then 'bad_enum:origin' end end,
    case when p ? 'protocol_category' then case
      when jsonb_typeof(p -> 'protocol_category') is distinct from 'string' then 'wrong_type:protocol_category'
      when not ((p ->> 'protocol_category') = any (array['musculoskeletal', 'neurological', 'post_surgical', 'sports_rehab', 'persistent_pain', 'pelvic_health', 'cardiopulmonary', 'vestibular']::text[])) then 'bad_enum:protocol_category' end end,
    case when p ? 'protocol_id' then case
      when jsonb_typeof(p -> 'protocol_id') is distinct from 'string' then 'wrong_type:protocol_id'
      when (p ->> 'protocol_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then 'bad_format:protocol_id' end end,
    case when p ? 'step_count' then case
      when jsonb_typeof(p -> 'step_count') is distinct from 'number' then 'wrong_type:step_count'
      when ((p ->> 'step_count'))::numeric % 1 <> 0 then 'wrong_type:step_count'
      when ((p ->> 'step_count'))::numeric < 1 then 'out_of_range:step_count'
      when ((p ->> 'step_count'))::numeric > 100 then 'out_of_range:step_count' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['change_kinds', 'protocol_id', 'template_version']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['change_kinds', 'protocol_id', 'template_version']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := case
      when not (p ? 'change_kinds') then 'missing_property:change_kinds'
      when not (p ? 'protocol_id') then 'missing_property:protocol_id'
      when not (p ? 'template_version') then 'missing_property:template_version' end;
  if problem is not null then return problem; end if;
  if p ? 'change_kinds' then
    if jsonb_typeof(p -> 'change_kinds') is distinct from 'array' then return 'wrong_type:change_kinds'; end if;
    if jsonb_array_length(p -> 'change_kinds') > 5 then return 'too_many_items:change_kinds'; end if;
    if jsonb_array_length(p -> 'change_kinds') < 1 then return 'too_few_items:change_kinds'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'change_kinds') as e) then return 'duplicate_items:change_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'change_kinds') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:change_kinds'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'change_kinds') as e where not ((e #>> '{}') = any (array['steps_added', 'steps_removed', 'steps_reordered', 'dosage_adjusted', 'category_changed']::text[]))) then return 'bad_enum:change_kinds'; end if;
  end if;
  problem := coalesce(
    case when p ? 'protocol_id' then case
      when jsonb_typeof(p -> 'protocol_id') is distinct from 'string' then 'wrong_type:protocol_id'
      when (p ->> 'protocol_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then 'bad_format:protocol_id' end end,
    case when p ? 'template_version' then case
      when jsonb_typeof(p -> 'template_version') is distinct from 'number' then 'wrong_type:template_version'
      when ((p ->> 'template_version'))::numeric % 1 <> 0 then 'wrong_type:template_version'
      when ((p ->> 'template_version'))::numeric < 2 then 'out_of_range:template_version'
      when ((p ->> 'template_version'))::numeric > 1000 then 'out_of_range:template_version' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['logging_mode', 'protocol_category', 'protocol_id', 'session_minutes', 'steps_completed', 'visit_mode']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['logging_mode', 'protocol_category', 'protocol_id', 'session_minutes', 'steps_completed', 'visit_mode']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'logging_mode') then 'missing_property:logging_mode'
      when not (p ? 'protocol_category') then 'missing_property:protocol_category'
      when not (p ? 'protocol_id') then 'missing_property:protocol_id'
      when not (p ? 'session_minutes') then 'missing_property:session_minutes'
      when not (p ? 'steps_completed') then 'missing_property:steps_completed'
      when not (p ? 'visit_mode') then 'missing_property:visit_mode' end,
    case when p ? 'logging_mode' then case
      when jsonb_typeof(p -> 'logging_mode') is distinct from 'string' then 'wrong_type:logging_mode'
      when not ((p ->> 'logging_mode') = any (array['live', 'after_session', 'bulk_import']::text[])) then 'bad_enum:logging_mode' end end,
    case when p ? 'protocol_category' then case
      when jsonb_typeof(p -> 'protocol_category') is distinct from 'string' then 'wrong_type:protocol_category'
      when not ((p ->> 'protocol_category') = any (array['musculoskeletal', 'neurological', 'post_surgical', 'sports_rehab', 'persistent_pain', 'pelvic_health', 'cardiopulmonary', 'vestibular']::text[])) then 'bad_enum:protocol_category' end end,
    case when p ? 'protocol_id' then case
      when jsonb_typeof(p -> 'protocol_id') is distinct from 'string' then 'wrong_type:protocol_id'
      when (p ->> 'protocol_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then 'bad_format:protocol_id' end end,
    case when p ? 'session_minutes' then case
      when jsonb_typeof(p -> 'session_minutes') is distinct from 'number' then 'wrong_type:session_minutes'
      when ((p ->> 'session_minutes'))::numeric % 1 <> 0 then 'wrong_type:session_minutes'
      when ((p ->> 'session_minutes'))::numeric < 0 then 'out_of_range:session_minutes'
      when ((p ->> 'session_minutes'))::numeric > 480 then 'out_of_range:session_minutes' end end,
    case when p ? 'steps_completed' then case
      when jsonb_typeof(p -> 'steps_completed') is distinct from 'number' then 'wrong_type:steps_completed'
      when ((p ->> 'steps_completed'))::numeric % 1 <> 0 then 'wrong_type:steps_completed'
      when ((p ->> 'steps_completed'))::numeric < 0 then 'out_of_range:steps_completed'
      when ((p ->> 'steps_completed'))::numeric > 100 then 'out_of_range:steps_completed' end end,
    case when p ? 'visit_mode' then case
      when jsonb_typeof(p -> 'visit_mode') is distinct from 'string' then 'wrong_type:visit_mode'
      when not ((p ->> 'visit_mode') = any (array['on_site', 'telehealth']::text[])) then 'bad_enum:visit_mode' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cancel_reason', 'tenure_months']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cancel_reason', 'tenure_months']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'cancel_reason') then 'missing_property:cancel_reason'
      when not (p ? 'tenure_months') then 'missing_property:tenure_months' end,
    case when p ? 'cancel_reason' then case
      when jsonb_typeof(p -> 'cancel_reason') is distinct from 'string' then 'wrong_type:cancel_reason'
      when not ((p ->> 'cancel_reason') = any (array['too_expensive', 'missing_features', 'switched_product', 'practice_closed', 'moved_to_clinic_plan', 'other']::text[])) then 'bad_enum:cancel_reason' end end,
    case when p ? 'tenure_months' then case
      when jsonb_typeof(p -> 'tenure_months') is distinct from 'number' then 'wrong_type:tenure_months'
      when ((p ->> 'tenure_months'))::numeric % 1 <> 0 then 'wrong_type:tenure_months'
      when ((p ->> 'tenure_months'))::numeric < 0 then 'out_of_range:tenure_months'
      when ((p ->> 'tenure_months'))::numeric > 240 then 'out_of_range:tenure_months' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['billing_interval', 'days_into_trial']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['billing_interval', 'days_into_trial']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'billing_interval') then 'missing_property:billing_interval'
      when not (p ? 'days_into_trial') then 'missing_property:days_into_trial' end,
    case when p ? 'billing_interval' then case
      when jsonb_typeof(p -> 'billing_interval') is distinct from 'string' then 'wrong_type:billing_interval'
      when not ((p ->> 'billing_interval') = any (array['monthly', 'annual']::text[])) then 'bad_enum:billing_interval' end end,
    case when p ? 'days_into_trial' then case
      when jsonb_typeof(p -> 'days_into_trial') is distinct from 'number' then 'wrong_type:days_into_trial'
      when ((p ->> 'days_into_trial'))::numeric % 1 <> 0 then 'wrong_type:days_into_trial'
      when ((p ->> 'days_into_trial'))::numeric < 0 then 'out_of_range:days_into_trial'
      when ((p ->> 'days_into_trial'))::numeric > 60 then 'out_of_range:days_into_trial' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['active_trial_days', 'protocols_logged_count']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['active_trial_days', 'protocols_logged_count']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'active_trial_days') then 'missing_property:active_trial_days'
      when not (p ? 'protocols_logged_count') then 'missing_property:protocols_logged_count' end,
    case when p ? 'active_trial_days' then case
      when jsonb_typeof(p -> 'active_trial_days') is distinct from 'number' then 'wrong_type:active_trial_days'
      when ((p ->> 'active_trial_days'))::numeric % 1 <> 0 then 'wrong_type:active_trial_days'
      when ((p ->> 'active_trial_days'))::numeric < 0 then 'out_of_range:active_trial_days'
      when ((p ->> 'active_trial_days'))::numeric > 60 then 'out_of_range:active_trial_days' end end,
    case when p ? 'protocols_logged_count' then case
      when jsonb_typeof(p -> 'protocols_logged_count') is distinct from 'number' then 'wrong_type:protocols_logged_count'
      when ((p ->> 'protocols_logged_count'))::numeric % 1 <> 0 then 'wrong_type:protocols_logged_count'
      when ((p ->> 'protocols_logged_count'))::numeric < 0 then 'out_of_range:protocols_logged_count'
      when ((p ->> 'protocols_logged_count'))::numeric > 10000 then 'out_of_range:protocols_logged_count' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['billing_interval', 'entry_point', 'trial_length_days']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['billing_interval', 'entry_point', 'trial_length_days']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'billing_interval') then 'missing_property:billing_interval'
      when not (p ? 'entry_point') then 'missing_property:entry_point'
      when not (p ? 'trial_length_days') then 'missing_property:trial_length_days' end,
    case when p ? 'billing_interval' then case
      when jsonb_typeof(p -> 'billing_interval') is distinct from 'string' then 'wrong_type:billing_interval'
      when not ((p ->> 'billing_interval') = any (array['monthly', 'annual']::text[])) then 'bad_enum:billing_interval' end end,
    case when p ? 'entry_point' then case
      when jsonb_typeof(p -> 'entry_point') is distinct from 'string' then 'wrong_type:entry_point'
      when not ((p ->> 'entry_point') = any (array['upgrade_prompt', 'pricing_page', 'onboarding', 'sales_assisted', 'colleague_referral']::text[])) then 'bad_enum:entry_point' end end,
    case when p ? 'trial_length_days' then case
      when jsonb_typeof(p -> 'trial_length_days') is distinct from 'number' then 'wrong_type:trial_length_days'
      when ((p ->> 'trial_length_days'))::numeric % 1 <> 0 then 'wrong_type:trial_length_days'
      when ((p ->> 'trial_length_days'))::numeric < 1 then 'out_of_range:trial_length_days'
      when ((p ->> 'trial_length_days'))::numeric > 60 then 'out_of_range:trial_length_days' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cache_hit', 'duration_ms', 'endpoint', 'method', 'response_bytes', 'status_class']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cache_hit', 'duration_ms', 'endpoint', 'method', 'response_bytes', 'status_class']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'duration_ms') then 'missing_property:duration_ms'
      when not (p ? 'endpoint') then 'missing_property:endpoint'
      when not (p ? 'method') then 'missing_property:method'
      when not (p ? 'status_class') then 'missing_property:status_class' end,
    case when p ? 'cache_hit' then case
      when jsonb_typeof(p -> 'cache_hit') is distinct from 'boolean' then 'wrong_type:cache_hit' end end,
    case when p ? 'duration_ms' then case
      when jsonb_typeof(p -> 'duration_ms') is distinct from 'number' then 'wrong_type:duration_ms'
      when ((p ->> 'duration_ms'))::numeric % 1 <> 0 then 'wrong_type:duration_ms'
      when ((p ->> 'duration_ms'))::numeric < 0 then 'out_of_range:duration_ms'
      when ((p ->> 'duration_ms'))::numeric > 600000 then 'out_of_range:duration_ms' end end,
    case when p ? 'endpoint' then case
      when jsonb_typeof(p -> 'endpoint') is distinct from 'string' then 'wrong_type:endpoint'
      when not ((p ->> 'endpoint') = any (array['track_events', 'auth_session', 'checkins', 'exercise_library', 'directory_search', 'appointments', 'protocols', 'protocol_logs', 'reports', 'clinic_members', 'clinic_dashboards', 'network_dashboards', 'network_exports']::text[])) then 'bad_enum:endpoint' end end,
    case when p ? 'method' then case
      when jsonb_typeof(p -> 'method') is distinct from 'string' then 'wrong_type:method'
      when not ((p ->> 'method') = any (array['get', 'post', 'patch', 'delete']::text[])) then 'bad_enum:method' end end,
    case when p ? 'response_bytes' then case
      when jsonb_typeof(p -> 'response_bytes') is distinct from 'number' then 'wrong_type:response_bytes'
      when ((p ->> 'response_bytes'))::numeric % 1 <> 0 then 'wrong_type:response_bytes'
      when ((p ->> 'response_bytes'))::numeric < 0 then 'out_of_range:response_bytes'
      when ((p ->> 'response_bytes'))::numeric > 104857600 then 'out_of_range:response_bytes' end end,
    case when p ? 'status_class' then case
      when jsonb_typeof(p -> 'status_class') is distinct from 'string' then 'wrong_type:status_class'
      when not ((p ->> 'status_class') = any (array['success', 'redirect', 'client_error', 'server_error']::text[])) then 'bad_enum:status_class' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['reset_trigger']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['reset_trigger']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'reset_trigger') then 'missing_property:reset_trigger' end,
    case when p ? 'reset_trigger' then case
      when jsonb_typeof(p -> 'reset_trigger') is distinct from 'string' then 'wrong_type:reset_trigger'
      when not ((p ->> 'reset_trigger') = any (array['forgotten', 'expiry_policy', 'admin_forced', 'breach_precaution']::text[])) then 'bad_enum:reset_trigger' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['app_version', 'error_code', 'http_status', 'recoverable', 'severity', 'surface']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['app_version', 'error_code', 'http_status', 'recoverable', 'severity', 'surface']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'app_version') then 'missing_property:app_version'
      when not (p ? 'error_code') then 'missing_property:error_code'
      when not (p ? 'recoverable') then 'missing_property:recoverable'
      when not (p ? 'severity') then 'missing_property:severity'
      when not (p ? 'surface') then 'missing_property:surface' end,
    case when p ? 'app_version' then case
      when jsonb_typeof(p -> 'app_version') is distinct from 'string' then 'wrong_type:app_version'
      when (p ->> 'app_version') !~ '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,4}$' then 'bad_pattern:app_version' end end,
    case when p ? 'error_code' then case
      when jsonb_typeof(p -> 'error_code') is distinct from 'string' then 'wrong_type:error_code'
      when not ((p ->> 'error_code') = any (array['network_timeout', 'offline', 'server_error', 'validation_failed', 'permission_denied', 'rate_limited', 'sync_conflict', 'upload_failed', 'payment_declined', 'integration_unavailable', 'client_crash', 'unknown_error']::text[])) then 'bad_enum:error_code' end end,
    case when p ? 'http_status' then case
      when jsonb_typeof(p -> 'http_status') is distinct from 'number' then 'wrong_type:http_status'
      when ((p ->> 'http_status'))::numeric % 1 <> 0 then 'wrong_type:http_status'
      when ((p ->> 'http_status'))::numeric < 100 then 'out_of_range:http_status'
      when ((p ->> 'http_status'))::numeric > 599 then 'out_of_range:http_status' end end,
    case when p ? 'recoverable' then case
      when jsonb_typeof(p -> 'recoverable') is distinct from 'boolean' then 'wrong_type:recoverable' end end,
    case when p ? 'severity' then case
      when jsonb_typeof(p -> 'severity') is distinct from 'string' then 'wrong_type:severity'
      when not ((p ->> 'severity') = any (array['warning', 'error', 'fatal']::text[])) then 'bad_enum:severity' end end,
    case when p ? 'surface' then case
      when jsonb_typeof(p -> 'surface') is distinct from 'string' then 'wrong_type:surface'
      when not ((p ->> 'surface') = any (array['web', 'ios', 'android', 'api']::text[])) then 'bad_enum:surface' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['attempt_number', 'auth_method', 'failure_reason']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['attempt_number', 'auth_method', 'failure_reason']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'attempt_number') then 'missing_property:attempt_number'
      when not (p ? 'auth_method') then 'missing_property:auth_method'
      when not (p ? 'failure_reason') then 'missing_property:failure_reason' end,
    case when p ? 'attempt_number' then case
      when jsonb_typeof(p -> 'attempt_number') is distinct from 'number' then 'wrong_type:attempt_number'
      when ((p ->> 'attempt_number'))::numeric % 1 <> 0 then 'wrong_type:attempt_number'
      when ((p ->> 'attempt_number'))::numeric < 1 then 'out_of_range:attempt_number'
      when ((p ->> 'attempt_number'))::numeric > 20 then 'out_of_range:attempt_number' end end,
    case when p ? 'auth_method' then case
      when jsonb_typeof(p -> 'auth_method') is distinct from 'string' then 'wrong_type:auth_method'
      when not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'apple_sso', 'microsoft_sso', 'saml_sso', 'magic_link']::text[])) then 'bad_enum:auth_method' end end,
    case when p ? 'failure_reason' then case
      when jsonb_typeof(p -> 'failure_reason') is distinct from 'string' then 'wrong_type:failure_reason'
      when not ((p ->> 'failure_reason') = any (array['invalid_credentials', 'mfa_failed', 'mfa_timeout', 'locked_out', 'sso_error', 'expired_link', 'plan_suspended']::text[])) then 'bad_enum:failure_reason' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['auth_method', 'mfa_used', 'platform']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['auth_method', 'mfa_used', 'platform']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'auth_method') then 'missing_property:auth_method'
      when not (p ? 'mfa_used') then 'missing_property:mfa_used'
      when not (p ? 'platform') then 'missing_property:platform' end,
    case when p ? 'auth_method' then case
      when jsonb_typeof(p -> 'auth_method') is distinct from 'string' then 'wrong_type:auth_method'
      when not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'apple_sso', 'microsoft_sso', 'saml_sso', 'magic_link']::text[])) then 'bad_enum:auth_method' end end,
    case when p ? 'mfa_used' then case
      when jsonb_typeof(p -> 'mfa_used') is distinct from 'boolean' then 'wrong_type:mfa_used' end end,
    case when p ? 'platform' then case
      when jsonb_typeof(p -> 'platform') is distinct from 'string' then 'wrong_type:platform'
      when not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then 'bad_enum:platform' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['logout_trigger', 'session_minutes']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['logout_trigger', 'session_minutes']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'logout_trigger') then 'missing_property:logout_trigger'
      when not (p ? 'session_minutes') then 'missing_property:session_minutes' end,
    case when p ? 'logout_trigger' then case
      when jsonb_typeof(p -> 'logout_trigger') is distinct from 'string' then 'wrong_type:logout_trigger'
      when not ((p ->> 'logout_trigger') = any (array['manual', 'idle_timeout', 'session_revoked', 'credential_reset']::text[])) then 'bad_enum:logout_trigger' end end,
    case when p ? 'session_minutes' then case
      when jsonb_typeof(p -> 'session_minutes') is distinct from 'number' then 'wrong_type:session_minutes'
      when ((p ->> 'session_minutes'))::numeric % 1 <> 0 then 'wrong_type:session_minutes'
      when ((p ->> 'session_minutes'))::numeric < 0 then 'out_of_range:session_minutes'
      when ((p ->> 'session_minutes'))::numeric > 10080 then 'out_of_range:session_minutes' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['mfa_factor', 'required_by_policy']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['mfa_factor', 'required_by_policy']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'mfa_factor') then 'missing_property:mfa_factor'
      when not (p ? 'required_by_policy') then 'missing_property:required_by_policy' end,
    case when p ? 'mfa_factor' then case
      when jsonb_typeof(p -> 'mfa_factor') is distinct from 'string' then 'wrong_type:mfa_factor'
      when not ((p ->> 'mfa_factor') = any (array['totp', 'webauthn', 'sms_code']::text[])) then 'bad_enum:mfa_factor' end end,
    case when p ? 'required_by_policy' then case
      when jsonb_typeof(p -> 'required_by_policy') is distinct from 'boolean' then 'wrong_type:required_by_policy' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['conflicts', 'platform', 'queued_actions', 'sync_ms']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['conflicts', 'platform', 'queued_actions', 'sync_ms']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'conflicts') then 'missing_property:conflicts'
      when not (p ? 'platform') then 'missing_property:platform'
      when not (p ? 'queued_actions') then 'missing_property:queued_actions'
      when not (p ? 'sync_ms') then 'missing_property:sync_ms' end,
    case when p ? 'conflicts' then case
      when jsonb_typeof(p -> 'conflicts') is distinct from 'number' then 'wrong_type:conflicts'
      when ((p ->> 'conflicts'))::numeric % 1 <> 0 then 'wrong_type:conflicts'
      when ((p ->> 'conflicts'))::numeric < 0 then 'out_of_range:conflicts'
      when ((p ->> 'conflicts'))::numeric > 10000 then 'out_of_range:conflicts' end end,
    case when p ? 'platform' then case
      when jsonb_typeof(p -> 'platform') is distinct from 'string' then 'wrong_type:platform'
      when not ((p ->> 'platform') = any (array['ios', 'android']::text[])) then 'bad_enum:platform' end end,
    case when p ? 'queued_actions' then case
      when jsonb_typeof(p -> 'queued_actions') is distinct from 'number' then 'wrong_type:queued_actions'
      when ((p ->> 'queued_actions'))::numeric % 1 <> 0 then 'wrong_type:queued_actions'
      when ((p ->> 'queued_actions'))::numeric < 0 then 'out_of_range:queued_actions'
      when ((p ->> 'queued_actions'))::numeric > 10000 then 'out_of_range:queued_actions' end end,
    case when p ? 'sync_ms' then case
      when jsonb_typeof(p -> 'sync_ms') is distinct from 'number' then 'wrong_type:sync_ms'
      when ((p ->> 'sync_ms'))::numeric % 1 <> 0 then 'wrong_type:sync_ms'
      when ((p ->> 'sync_ms'))::numeric < 0 then 'out_of_range:sync_ms'
      when ((p ->> 'sync_ms'))::numeric > 600000 then 'out_of_range:sync_ms' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cold_start', 'load_ms', 'platform', 'screen']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cold_start', 'load_ms', 'platform', 'screen']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'cold_start') then 'missing_property:cold_start'
      when not (p ? 'load_ms') then 'missing_property:load_ms'
      when not (p ? 'platform') then 'missing_property:platform'
      when not (p ? 'screen') then 'missing_property:screen' end,
    case when p ? 'cold_start' then case
      when jsonb_typeof(p -> 'cold_start') is distinct from 'boolean' then 'wrong_type:cold_start' end end,
    case when p ? 'load_ms' then case
      when jsonb_typeof(p -> 'load_ms') is distinct from 'number' then 'wrong_type:load_ms'
      when ((p ->> 'load_ms'))::numeric % 1 <> 0 then 'wrong_type:load_ms'
      when ((p ->> 'load_ms'))::numeric < 0 then 'out_of_range:load_ms'
      when ((p ->> 'load_ms'))::numeric > 600000 then 'out_of_range:load_ms' end end,
    case when p ? 'platform' then case
      when jsonb_typeof(p -> 'platform') is distinct from 'string' then 'wrong_type:platform'
      when not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then 'bad_enum:platform' end end,
    case when p ? 'screen' then case
      when jsonb_typeof(p -> 'screen') is distinct from 'string' then 'wrong_type:screen'
      when not ((p ->> 'screen') = any (array['home', 'checkin_tracker', 'exercise_library', 'protocol_editor', 'protocol_log', 'caseload_dashboard', 'clinic_schedule', 'clinic_dashboard', 'network_dashboard', 'settings']::text[])) then 'bad_enum:screen' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['sign_in_method']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['sign_in_method']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'sign_in_method') then 'missing_property:sign_in_method' end,
    case when p ? 'sign_in_method' then case
      when jsonb_typeof(p -> 'sign_in_method') is distinct from 'string' then 'wrong_type:sign_in_method'
      when not ((p ->> 'sign_in_method') = any (array['credentials', 'google_sso', 'apple_sso']::text[])) then 'bad_enum:sign_in_method' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

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
  problem text;
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['auth_method', 'invited', 'platform']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['auth_method', 'invited', 'platform']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  problem := coalesce(
    case
      when not (p ? 'auth_method') then 'missing_property:auth_method'
      when not (p ? 'invited') then 'missing_property:invited'
      when not (p ? 'platform') then 'missing_property:platform' end,
    case when p ? 'auth_method' then case
      when jsonb_typeof(p -> 'auth_method') is distinct from 'string' then 'wrong_type:auth_method'
      when not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'apple_sso', 'microsoft_sso', 'saml_sso', 'magic_link']::text[])) then 'bad_enum:auth_method' end end,
    case when p ? 'invited' then case
      when jsonb_typeof(p -> 'invited') is distinct from 'boolean' then 'wrong_type:invited' end end,
    case when p ? 'platform' then case
      when jsonb_typeof(p -> 'platform') is distinct from 'string' then 'wrong_type:platform'
      when not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then 'bad_enum:platform' end end);
  if problem is not null then return problem; end if;
  return null;
end
$fn$;

create or replace function analytics_private.track_events(events jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
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
  bad_network boolean := false;
  result jsonb;
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

  -- The whole batch in one statement (set-based; a PL/pgSQL loop over the items and its array
  -- appends cost more than the writes, see docs/ingestion.md). Per item, the first failing check
  -- in this order gives the reason, as the README's list of reason codes says: each CASE branch
  -- is evaluated only when the ones before it were false, so a cast never sees a value an
  -- earlier check refused. The payload check runs only for items that passed everything else.
  with items as (
    select (e.n - 1)::integer as pos, e.value as item,
           jsonb_typeof(e.value) = 'object' as is_object
      from jsonb_array_elements(events) with ordinality as e (value, n)
  ), envelope as (
    -- the first envelope key that is not allowed, by name (looked for only when there is one)
    select i.*, x.stray_key,
           case when batch_reason is null and i.is_object and x.stray_key is null
                     and jsonb_typeof(i.item -> 'event_id') = 'string'
                then i.item ->> 'event_id' end as event_name
      from items as i
      cross join lateral (
        select case when i.is_object and i.item - array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[] <> '{}'::jsonb then (
          select k from jsonb_object_keys(i.item) as k
           where not (k = any (array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[])) order by k limit 1) end as stray_key
        offset 0) as x
  ), checked as materialized (
    -- the envelope's checks; the payload and the fields to store, without the rest of the item
    select v.pos, v.stray_key, v.event_name, et.id as known_event, v.item -> 'payload' as payload,
           v.item ->> 'idempotency_key' as key_text, v.item ->> 'occurred_at' as time_text,
           v.item ->> 'plan_version' as plan_version,
           case
             when batch_reason is not null then batch_reason
             when not v.is_object then 'not_an_object'
             when v.stray_key is not null then 'unknown_envelope_field'
             when v.event_name is null then 'missing_event_id'
             when et.id is null then 'unknown_event'
             when et.status <> 'active' then 'deprecated_event'
             when not t.is_system and t.rank > caller_rank then 'tier_not_allowed'
             when jsonb_typeof(v.item -> 'idempotency_key') is distinct from 'string' then 'bad_idempotency_key'
             -- the uuid pattern, spelled as cheaper tests (a regular expression with counted
             -- repetitions costs microseconds per call): 36 characters with hyphens at 9, 14, 19
             -- and 24, nothing but hex digits and hyphens, exactly 4 hyphens
             when not ((v.item ->> 'idempotency_key') like '________-____-____-____-____________'
                       and (v.item ->> 'idempotency_key') !~ '[^0-9a-fA-F-]'
                       and length(replace(v.item ->> 'idempotency_key', '-', '')) = 32) then 'bad_idempotency_key'
             when jsonb_typeof(v.item -> 'occurred_at') is distinct from 'string' then 'bad_timestamp'
             -- RFC 3339 and a real instant: a plain pattern vouches for both in the common case;
             -- otherwise the full pattern, then the cast itself (is_timestamp, a subtransaction)
             when case when (v.item ->> 'occurred_at') ~ '^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$' then false
                       when (v.item ->> 'occurred_at') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$' then true
                       else not analytics_private.is_timestamp(v.item ->> 'occurred_at') end then 'bad_timestamp'
             when (v.item ->> 'occurred_at')::timestamptz > now() + interval '5 minutes' then 'timestamp_in_future'
             when (v.item ->> 'occurred_at')::timestamptz < now() - interval '7 days' then 'timestamp_too_old'
             when not (v.item ? 'plan_version') then null
             when jsonb_typeof(v.item -> 'plan_version') is distinct from 'string' then 'bad_plan_version'
             -- '^[A-Za-z0-9._-]{1,64}$' as cheaper tests
             when not (length(v.item ->> 'plan_version') between 1 and 64
                       and (v.item ->> 'plan_version') !~ '[^A-Za-z0-9._-]') then 'bad_plan_version'
           end as envelope_reason
      from envelope as v
      left join analytics.event_types as et on et.id = v.event_name
      left join analytics.tiers as t on t.name = et.tier
  ), judged as materialized (
    -- the payload's checks, then the verdict (OFFSET 0 keeps each value computed once per item)
    select c.pos, c.event_name, c.known_event, c.payload, c.plan_version, r.reason,
           case when r.reason is null then c.key_text::uuid end as k,
           case when r.reason is null then c.time_text::timestamptz end as t,
           case
             when c.envelope_reason = 'unknown_envelope_field' then c.stray_key
             when c.envelope_reason is null then nullif(split_part(pr.payload_result, ':', 2), '')
           end as field
      from checked as c
      cross join lateral (
        select case
                 when c.envelope_reason is not null then null
                 when jsonb_typeof(c.payload) is distinct from 'object' then 'payload_not_object'
                 when octet_length(c.payload::text) > 4096 then 'payload_too_large'
                 else case c.event_name
                   when 'clinic.caseload_handed_off' then analytics_private.check_clinic__caseload_handed_off(c.payload)
                   when 'clinic.member_invited' then analytics_private.check_clinic__member_invited(c.payload)
                   when 'clinic.member_joined' then analytics_private.check_clinic__member_joined(c.payload)
                   when 'clinic.member_removed' then analytics_private.check_clinic__member_removed(c.payload)
                   when 'clinic.member_role_changed' then analytics_private.check_clinic__member_role_changed(c.payload)
                   when 'clinic.plan_upgraded' then analytics_private.check_clinic__plan_upgraded(c.payload)
                   when 'clinic.protocol_shared' then analytics_private.check_clinic__protocol_shared(c.payload)
                   when 'clinic.review_completed' then analytics_private.check_clinic__review_completed(c.payload)
                   when 'clinic.review_requested' then analytics_private.check_clinic__review_requested(c.payload)
                   when 'clinic.seats_changed' then analytics_private.check_clinic__seats_changed(c.payload)
                   when 'clinic.team_created' then analytics_private.check_clinic__team_created(c.payload)
                   when 'clinic.utilization_dashboard_viewed' then analytics_private.check_clinic__utilization_dashboard_viewed(c.payload)
                   when 'consumer.appointment_requested' then analytics_private.check_consumer__appointment_requested(c.payload)
                   when 'consumer.article_viewed' then analytics_private.check_consumer__article_viewed(c.payload)
                   when 'consumer.checkin_logged' then analytics_private.check_consumer__checkin_logged(c.payload)
                   when 'consumer.directory_searched' then analytics_private.check_consumer__directory_searched(c.payload)
                   when 'consumer.exercise_completed' then analytics_private.check_consumer__exercise_completed(c.payload)
                   when 'consumer.exercise_started' then analytics_private.check_consumer__exercise_started(c.payload)
                   when 'consumer.feature_used' then analytics_private.check_consumer__feature_used(c.payload)
                   when 'consumer.goal_set' then analytics_private.check_consumer__goal_set(c.payload)
                   when 'consumer.progress_chart_viewed' then analytics_private.check_consumer__progress_chart_viewed(c.payload)
                   when 'consumer.reminder_scheduled' then analytics_private.check_consumer__reminder_scheduled(c.payload)
                   when 'consumer.upgrade_prompt_viewed' then analytics_private.check_consumer__upgrade_prompt_viewed(c.payload)
                   when 'consumer.wearable_connected' then analytics_private.check_consumer__wearable_connected(c.payload)
                   when 'network.alert_configured' then analytics_private.check_network__alert_configured(c.payload)
                   when 'network.benchmark_compared' then analytics_private.check_network__benchmark_compared(c.payload)
                   when 'network.dashboard_viewed' then analytics_private.check_network__dashboard_viewed(c.payload)
                   when 'network.data_sharing_accepted' then analytics_private.check_network__data_sharing_accepted(c.payload)
                   when 'network.filter_applied' then analytics_private.check_network__filter_applied(c.payload)
                   when 'network.report_exported' then analytics_private.check_network__report_exported(c.payload)
                   when 'network.scheduled_report_created' then analytics_private.check_network__scheduled_report_created(c.payload)
                   when 'network.suppression_notice_shown' then analytics_private.check_network__suppression_notice_shown(c.payload)
                   when 'practitioner.availability_published' then analytics_private.check_practitioner__availability_published(c.payload)
                   when 'practitioner.dashboard_viewed' then analytics_private.check_practitioner__dashboard_viewed(c.payload)
                   when 'practitioner.home_program_assigned' then analytics_private.check_practitioner__home_program_assigned(c.payload)
                   when 'practitioner.outcome_measure_recorded' then analytics_private.check_practitioner__outcome_measure_recorded(c.payload)
                   when 'practitioner.progress_report_generated' then analytics_private.check_practitioner__progress_report_generated(c.payload)
                   when 'practitioner.protocol_created' then analytics_private.check_practitioner__protocol_created(c.payload)
                   when 'practitioner.protocol_edited' then analytics_private.check_practitioner__protocol_edited(c.payload)
                   when 'practitioner.protocol_logged' then analytics_private.check_practitioner__protocol_logged(c.payload)
                   when 'practitioner.subscription_cancelled' then analytics_private.check_practitioner__subscription_cancelled(c.payload)
                   when 'practitioner.trial_converted' then analytics_private.check_practitioner__trial_converted(c.payload)
                   when 'practitioner.trial_expired' then analytics_private.check_practitioner__trial_expired(c.payload)
                   when 'practitioner.trial_started' then analytics_private.check_practitioner__trial_started(c.payload)
                   when 'system.api_request_completed' then analytics_private.check_system__api_request_completed(c.payload)
                   when 'system.credential_reset_completed' then analytics_private.check_system__credential_reset_completed(c.payload)
                   when 'system.error_occurred' then analytics_private.check_system__error_occurred(c.payload)
                   when 'system.login_failed' then analytics_private.check_system__login_failed(c.payload)
                   when 'system.login_succeeded' then analytics_private.check_system__login_succeeded(c.payload)
                   when 'system.logout_completed' then analytics_private.check_system__logout_completed(c.payload)
                   when 'system.mfa_enrolled' then analytics_private.check_system__mfa_enrolled(c.payload)
                   when 'system.offline_sync_completed' then analytics_private.check_system__offline_sync_completed(c.payload)
                   when 'system.screen_loaded' then analytics_private.check_system__screen_loaded(c.payload)
                   when 'system.sign_in_completed' then analytics_private.check_system__sign_in_completed(c.payload)
                   when 'system.signup_completed' then analytics_private.check_system__signup_completed(c.payload)
                 end
               end as payload_result
        offset 0) as pr
      cross join lateral (
        select coalesce(c.envelope_reason, split_part(pr.payload_result, ':', 1)) as reason offset 0) as r
  ), firsts as (
    -- the first occurrence of each new key wins; keys are inserted in key order (no deadlock between retries)
    select distinct on (j.k) j.pos, j.k, j.t from judged as j where j.reason is null order by j.k, j.pos
  ), inserted as (
    insert into analytics_private.event_keys (site_id, idempotency_key, occurred_at)
    select caller_site, f.k, f.t from firsts as f order by f.k
    on conflict do nothing
    returning idempotency_key
  ), stored as (
    select f.pos from firsts as f join inserted as i on i.idempotency_key = f.k
  ), stored_events as (
    insert into analytics_private.events
      (event_id, site_id, network_id, actor_hash, actor_tier, occurred_at, idempotency_key, plan_version, payload)
    select j.event_name, caller_site, caller_network, actor, caller_tier, j.t, j.k, j.plan_version, j.payload
      from judged as j join stored as s on s.pos = j.pos
     order by j.k
  ), counted as (
    -- Rejections are counted per day, site, event, reason and field, upserted in a fixed order.
    -- Counters keep only names the taxonomy knows (the event id, a property of that event), else
    -- '<unknown>': never a name the caller chose (an unknown key can spell out a person). The
    -- event's schema is read only for a rejection that names a field (rare, and large to read).
    insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected)
    select (now() at time zone 'UTC')::date, caller_site, b.e, b.r, b.f, count(*)
      from (select coalesce(j.known_event, '<unknown>') as e, j.reason as r,
                   case when j.field is null then ''
                        when exists (select from analytics.event_types as et
                                      where et.id = j.known_event and (et.payload_schema -> 'properties') ? j.field)
                          then j.field
                        else '<unknown>' end as f
              from judged as j where j.reason is not null) as b
     group by b.e, b.r, b.f
     order by b.e, b.r, b.f
    on conflict on constraint rejections_counter_key
      do update set rejected = r.rejected + excluded.rejected, last_seen = now()
  )
  -- One entry per input, in input order.
  select coalesce(jsonb_agg(case
           when j.reason is not null then jsonb_strip_nulls(jsonb_build_object('index', j.pos, 'status', 'rejected',
             'reason', j.reason, 'field', j.field))
           else jsonb_build_object('index', j.pos,
             'status', case when s.pos is null then 'duplicate' else 'accepted' end, 'reason', null)
         end order by j.pos), '[]'::jsonb)
    into result
    from judged as j left join stored as s on s.pos = j.pos;
  return result;
end
$fn$;

create or replace function analytics_private.kpi_freshness()
returns table (kpi text, live text, refreshed_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
  select k.kpi, k.live, (select min(w.refreshed_at) from analytics_private.kpi_watermarks as w where w.kpi = any (k.stored))
  from (values
    ('active_clinic_members', 'exact', array['active_clinic_members']::text[], array['clinic', 'network']::text[]),
    ('active_network_members', 'exact', array['active_network_members']::text[], array['clinic', 'network']::text[]),
    ('active_practitioners', 'exact', array['active_practitioners']::text[], array['clinic', 'network']::text[]),
    ('api_latency_ms', 'exact', array['api_latency_ms']::text[], array['clinic', 'network']::text[]),
    ('api_request_count', 'exact', array['api_request_count']::text[], array['clinic', 'network']::text[]),
    ('api_server_error_count', 'exact', array['api_server_error_count']::text[], array['clinic', 'network']::text[]),
    ('clinic_collaborators', 'exact', array['clinic_collaborators']::text[], array['clinic', 'network']::text[]),
    ('clinic_team_onboarding', 'refreshed', array['clinic_team_onboarding']::text[], array['clinic', 'network']::text[]),
    ('consumer_daily_actives', 'exact', array['consumer_daily_actives']::text[], array['clinic', 'network']::text[]),
    ('consumer_feature_users', 'exact', array['consumer_feature_users']::text[], array['clinic', 'network']::text[]),
    ('consumer_feature_users_by_feature', 'exact', array['consumer_feature_users_by_feature']::text[], array['clinic', 'network']::text[]),
    ('daily_active_actors', 'exact', array['daily_active_actors']::text[], array['clinic', 'network']::text[]),
    ('error_count', 'exact', array['error_count']::text[], array['clinic', 'network']::text[]),
    ('errors_by_code', 'exact', array['errors_by_code']::text[], array['clinic', 'network']::text[]),
    ('monthly_active_actors', 'exact', array['monthly_active_actors']::text[], array['clinic', 'network']::text[]),
    ('monthly_signup_retention', 'refreshed', array['monthly_signup_retention']::text[], array['clinic', 'network']::text[]),
    ('network_analytics_viewers', 'exact', array['network_analytics_viewers']::text[], array['clinic', 'network']::text[]),
    ('protocol_loggers', 'exact', array['protocol_loggers']::text[], array['clinic', 'network']::text[]),
    ('protocol_logging_retention', 'refreshed', array['protocol_logging_retention']::text[], array['clinic', 'network']::text[]),
    ('protocol_sessions_logged', 'exact', array['protocol_sessions_logged']::text[], array['clinic', 'network']::text[]),
    ('screen_load_ms', 'exact', array['screen_load_ms']::text[], array['clinic', 'network']::text[]),
    ('trial_activation_to_conversion', 'refreshed', array['trial_activation_to_conversion']::text[], array['clinic', 'network']::text[]),
    ('upgrade_funnel_consumer_to_clinic', 'refreshed', array['upgrade_funnel_consumer_to_clinic']::text[], array['clinic', 'network']::text[]),
    ('upgrade_prompt_to_trial', 'refreshed', array['upgrade_prompt_to_trial']::text[], array['clinic', 'network']::text[]),
    ('weekly_active_actors', 'exact', array['weekly_active_actors']::text[], array['clinic', 'network']::text[]),
    ('weekly_signup_retention', 'refreshed', array['weekly_signup_retention']::text[], array['clinic', 'network']::text[]),
    ('active_actors_28d', 'refreshed', array['active_actors_28d']::text[], array['clinic', 'network']::text[]),
    ('active_actors_7d', 'refreshed', array['active_actors_7d']::text[], array['clinic', 'network']::text[]),
    ('api_server_error_rate', 'exact', array['api_request_count', 'api_server_error_count']::text[], array['clinic', 'network']::text[]),
    ('clinic_collaboration_adoption', 'exact', array['active_clinic_members', 'clinic_collaborators']::text[], array['clinic', 'network']::text[]),
    ('consumer_feature_adoption', 'exact', array['consumer_daily_actives', 'consumer_feature_users']::text[], array['clinic', 'network']::text[]),
    ('error_rate', 'exact', array['api_request_count', 'error_count']::text[], array['clinic', 'network']::text[]),
    ('network_analytics_adoption', 'exact', array['active_network_members', 'network_analytics_viewers']::text[], array['clinic', 'network']::text[]),
    ('protocol_logging_adoption', 'exact', array['active_practitioners', 'protocol_loggers']::text[], array['clinic', 'network']::text[]),
    ('stickiness_dau_28d', 'refreshed', array['active_actors_28d', 'daily_active_actors']::text[], array['clinic', 'network']::text[])) as k (kpi, live, stored, readers)
  where (select analytics_private.kpi_caller_site()) is not null
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (k.readers)
  order by k.kpi;
$fn$;
comment on function analytics_private.kpi_freshness() is 'Per KPI the caller may read: live = ''exact'' when its kpi_<name>_live read includes events not yet refreshed, ''refreshed'' when it returns refreshed cells only; refreshed_at: its (or its inputs'', the oldest) last refresh.';
revoke all on function analytics_private.kpi_freshness() from public, anon, authenticated;
grant execute on function analytics_private.kpi_freshness() to authenticated, service_role;

create or replace function analytics.kpi_freshness()
returns table (kpi text, live text, refreshed_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_freshness();
$fn$;
comment on function analytics.kpi_freshness() is 'Per KPI the caller may read: live = ''exact'' when its kpi_<name>_live read includes events not yet refreshed, ''refreshed'' when it returns refreshed cells only; refreshed_at: its (or its inputs'', the oldest) last refresh.';
revoke all on function analytics.kpi_freshness() from public, anon, authenticated;
grant execute on function analytics.kpi_freshness() to authenticated, service_role;

-- KPI active_clinic_members
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_clinic_members_facts;
    analyze analytics_private.kpi_active_clinic_members;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_clinic_members_net;
  end if;
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

create or replace function analytics_private.kpi_active_clinic_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_clinic_members';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_clinic_members')
      and e.actor_tier = any (array['clinic']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_active_clinic_members as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_active_clinic_members_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_active_clinic_members_live(date, date) is 'KPI active_clinic_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_active_clinic_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_clinic_members_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_clinic_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_clinic_members_live("from", "to");
$fn$;
comment on function analytics.kpi_active_clinic_members_live(date, date) is 'KPI active_clinic_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_active_clinic_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_clinic_members_live(date, date) to authenticated, service_role;

-- KPI active_network_members
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_network_members_facts;
    analyze analytics_private.kpi_active_network_members;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_network_members_net;
  end if;
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

create or replace function analytics_private.kpi_active_network_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_network_members';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_network_members')
      and e.actor_tier = any (array['network']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_active_network_members as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_active_network_members_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_active_network_members_live(date, date) is 'KPI active_network_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_active_network_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_network_members_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_network_members_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_network_members_live("from", "to");
$fn$;
comment on function analytics.kpi_active_network_members_live(date, date) is 'KPI active_network_members, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_active_network_members_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_network_members_live(date, date) to authenticated, service_role;

-- KPI active_practitioners
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_practitioners_facts;
    analyze analytics_private.kpi_active_practitioners;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_practitioners_net;
  end if;
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

create or replace function analytics_private.kpi_active_practitioners_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'active_practitioners';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'active_practitioners')
      and e.actor_tier = any (array['practitioner']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_active_practitioners as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_active_practitioners_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_active_practitioners_live(date, date) is 'KPI active_practitioners, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_active_practitioners_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_practitioners_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_active_practitioners_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_practitioners_live("from", "to");
$fn$;
comment on function analytics.kpi_active_practitioners_live(date, date) is 'KPI active_practitioners, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_active_practitioners_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_practitioners_live(date, date) to authenticated, service_role;

-- KPI api_latency_ms
create table if not exists analytics_private.kpi_api_latency_ms_values (
  site_id uuid not null,
  period date not null,
  endpoint text not null,
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
  endpoint text not null,
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
  endpoint text not null,
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
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'endpoint', ''), e.actor_hash, e.idempotency_key, e.occurred_at, (e.payload ->> 'duration_ms')::double precision, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms')
    and jsonb_typeof(e.payload -> 'duration_ms') = 'number'
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_values;
  end if;
  insert into analytics_private.kpi_api_latency_ms as r (site_id, period, endpoint, n, p50, p95, p99)
  select f.site_id, f.period, f.endpoint, count(*), (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct t.site_id, t.period, t.endpoint
        from analytics_private.kpi_api_latency_ms_values as t where t.ingest_xid = pg_current_xact_id()) as a
    on f.site_id = a.site_id and f.period = a.period and f.endpoint = a.endpoint
  group by 1, 2, 3
  on conflict (site_id, period, endpoint) do update
    set n = excluded.n, p50 = excluded.p50, p95 = excluded.p95, p99 = excluded.p99, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_values;
    analyze analytics_private.kpi_api_latency_ms;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_latency_ms';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_latency_ms_net as nc
  using (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.endpoint = t.endpoint;
  insert into analytics_private.kpi_api_latency_ms_net (network_id, period, endpoint, n, p50, p95, p99, sites, actors)
select f.network_id, f.period, f.endpoint, count(*) as n, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_api_latency_ms_values as f
  join (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.endpoint = t.endpoint
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_latency_ms_net;
  end if;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_api_latency_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint = c.endpoint),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint = c.endpoint),
    p99_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p99),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p99)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p99),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p99))) < 5
                  from analytics_private.kpi_api_latency_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.endpoint = c.endpoint)
  from (select distinct x.network_id, x.period, x.endpoint
        from analytics_private.kpi_api_latency_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.endpoint = t.endpoint;
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

create or replace function analytics_private.kpi_api_latency_ms_for_caller()
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.endpoint, '') as endpoint, r.n, r.p50, r.p95, r.p99
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics_private.kpi_api_latency_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.endpoint, '') as endpoint, r.n, r.p50, r.p95, r.p99
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;

create or replace function analytics_private.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_latency_ms';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'endpoint', '') as endpoint, (e.payload ->> 'duration_ms')::double precision as measure
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms') and jsonb_typeof(e.payload -> 'duration_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, nullif(r.endpoint, '') as endpoint, r.n, r.p50, r.p95, r.p99, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from analytics_private.kpi_api_latency_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select 1 from fresh as t where t.period = r.period and t.endpoint is not distinct from r.endpoint)
  union all
  select f.site_id, f.period, f.endpoint, count(*), (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[2] as p95, (percentile_disc(array[0.5, 0.95, 0.99]::double precision[]) within group (order by f.measure))[3] as p99, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select v.site_id, v.period, v.endpoint, v.measure
        from analytics_private.kpi_api_latency_ms_values as v
        join (select distinct t.period, t.endpoint from fresh as t) as t
          on v.site_id = caller_site and v.period = t.period and v.endpoint is not distinct from t.endpoint
        union all
        select t.site_id, t.period, t.endpoint, t.measure from fresh as t) as f
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

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
  select r.period, nullif(r.endpoint, '') as endpoint, case when r.suppressed then null else r.n end as n, case when r.suppressed or r.p50_hidden then null else r.p50 end as p50, case when r.suppressed or r.p95_hidden then null else r.p95 end as p95, case when r.suppressed or r.p99_hidden then null else r.p99 end as p99, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_api_latency_ms_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_api_latency_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, endpoint text, n bigint, p50 double precision, p95 double precision, p99 double precision, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_latency_ms_live("from", "to");
$fn$;
comment on function analytics.kpi_api_latency_ms_live(date, date) is 'KPI api_latency_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_api_latency_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_latency_ms_live(date, date) to authenticated, service_role;

-- KPI api_request_count
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_request_count_facts;
    analyze analytics_private.kpi_api_request_count;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_request_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_request_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_api_request_count_net (network_id, period, value, sites, actors)
select u.network_id, u.period, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_api_request_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2
        union all
        select f.network_id, f.period, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_api_request_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_request_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as u
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_request_count_net;
  end if;
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

create or replace function analytics_private.kpi_api_request_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_request_count';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_request_count')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_api_request_count as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(*)
        from fresh as f
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_api_request_count_live(date, date) is 'KPI api_request_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_api_request_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_request_count_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_api_request_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_request_count_live("from", "to");
$fn$;
comment on function analytics.kpi_api_request_count_live(date, date) is 'KPI api_request_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_api_request_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_request_count_live(date, date) to authenticated, service_role;

-- KPI api_server_error_count
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_server_error_count_facts;
    analyze analytics_private.kpi_api_server_error_count;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'api_server_error_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_api_server_error_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_api_server_error_count_net (network_id, period, value, sites, actors)
select u.network_id, u.period, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_api_server_error_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2
        union all
        select f.network_id, f.period, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_api_server_error_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_api_server_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as u
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_api_server_error_count_net;
  end if;
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

create or replace function analytics_private.kpi_api_server_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'api_server_error_count';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_server_error_count')
      and (e.payload ->> 'status_class') = any (array['server_error']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_api_server_error_count as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(*)
        from fresh as f
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_api_server_error_count_live(date, date) is 'KPI api_server_error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_api_server_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_api_server_error_count_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_api_server_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_api_server_error_count_live("from", "to");
$fn$;
comment on function analytics.kpi_api_server_error_count_live(date, date) is 'KPI api_server_error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_api_server_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_server_error_count_live(date, date) to authenticated, service_role;

-- KPI clinic_collaborators
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_collaborators_facts;
    analyze analytics_private.kpi_clinic_collaborators;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_collaborators_net;
  end if;
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

create or replace function analytics_private.kpi_clinic_collaborators_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_collaborators';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'clinic_collaborators')
      and e.actor_tier = any (array['clinic']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_clinic_collaborators as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_clinic_collaborators_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_clinic_collaborators_live(date, date) is 'KPI clinic_collaborators, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_clinic_collaborators_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_collaborators_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_clinic_collaborators_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_clinic_collaborators_live("from", "to");
$fn$;
comment on function analytics.kpi_clinic_collaborators_live(date, date) is 'KPI clinic_collaborators, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_clinic_collaborators_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_collaborators_live(date, date) to authenticated, service_role;

-- KPI clinic_team_onboarding
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
  step smallint not null,
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
  step smallint not null,
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_steps;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_steps;
    analyze analytics_private.kpi_clinic_team_onboarding_actors;
    analyze analytics_private.kpi_clinic_team_onboarding;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_clinic_team_onboarding_net;
  end if;
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

create or replace function analytics_private.kpi_clinic_team_onboarding_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'clinic_team_onboarding')
  from analytics_private.kpi_clinic_team_onboarding_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_clinic_team_onboarding_live(date, date) is 'KPI clinic_team_onboarding, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_clinic_team_onboarding_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_clinic_team_onboarding_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_clinic_team_onboarding_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_clinic_team_onboarding_live("from", "to");
$fn$;
comment on function analytics.kpi_clinic_team_onboarding_live(date, date) is 'KPI clinic_team_onboarding for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_clinic_team_onboarding_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_team_onboarding_live(date, date) to authenticated, service_role;

-- KPI consumer_daily_actives
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_daily_actives_facts;
    analyze analytics_private.kpi_consumer_daily_actives;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_daily_actives_net;
  end if;
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

create or replace function analytics_private.kpi_consumer_daily_actives_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_daily_actives';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_daily_actives')
      and e.actor_tier = any (array['consumer']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_consumer_daily_actives as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_consumer_daily_actives_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_consumer_daily_actives_live(date, date) is 'KPI consumer_daily_actives, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_consumer_daily_actives_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_daily_actives_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_consumer_daily_actives_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_daily_actives_live("from", "to");
$fn$;
comment on function analytics.kpi_consumer_daily_actives_live(date, date) is 'KPI consumer_daily_actives, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_consumer_daily_actives_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_daily_actives_live(date, date) to authenticated, service_role;

-- KPI consumer_feature_users
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_facts;
    analyze analytics_private.kpi_consumer_feature_users;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_net;
  end if;
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

create or replace function analytics_private.kpi_consumer_feature_users_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users')
      and e.actor_tier = any (array['consumer']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_consumer_feature_users as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_consumer_feature_users_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_live(date, date) is 'KPI consumer_feature_users, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_consumer_feature_users_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_consumer_feature_users_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_feature_users_live("from", "to");
$fn$;
comment on function analytics.kpi_consumer_feature_users_live(date, date) is 'KPI consumer_feature_users, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_consumer_feature_users_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_users_live(date, date) to authenticated, service_role;

-- KPI consumer_feature_users_by_feature
create table if not exists analytics_private.kpi_consumer_feature_users_by_feature_facts (
  site_id uuid not null,
  period date not null,
  feature text not null,
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
  feature text not null,
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
  feature text not null,
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
    select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'feature', ''), e.actor_hash, e.network_id
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
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.feature = fresh.feature)
  group by 1, 2, 3
  on conflict (site_id, period, feature) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_by_feature_facts;
    analyze analytics_private.kpi_consumer_feature_users_by_feature;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'consumer_feature_users_by_feature';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_consumer_feature_users_by_feature_net as nc
  using (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.feature = t.feature;
  insert into analytics_private.kpi_consumer_feature_users_by_feature_net (network_id, period, feature, value, sites, actors)
select f.network_id, f.period, f.feature, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_consumer_feature_users_by_feature_facts as f
  join (select distinct x.network_id, x.period, x.feature
        from analytics_private.kpi_consumer_feature_users_by_feature_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.feature = t.feature
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_consumer_feature_users_by_feature_net;
  end if;
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

create or replace function analytics_private.kpi_consumer_feature_users_by_feature_for_caller()
returns table (site_id uuid, period date, feature text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.feature, '') as feature, r.value
  from analytics_private.kpi_consumer_feature_users_by_feature as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics_private.kpi_consumer_feature_users_by_feature_between("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.feature, '') as feature, r.value
  from analytics_private.kpi_consumer_feature_users_by_feature as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;

create or replace function analytics_private.kpi_consumer_feature_users_by_feature_live("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'consumer_feature_users_by_feature';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'feature', '') as feature, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'consumer_feature_users_by_feature')
      and e.actor_tier = any (array['consumer']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.feature, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, nullif(r.feature, '') as feature, r.value
        from analytics_private.kpi_consumer_feature_users_by_feature as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.feature, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_consumer_feature_users_by_feature_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.feature is not distinct from f.feature)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_consumer_feature_users_by_feature_live(date, date) is 'KPI consumer_feature_users_by_feature, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_consumer_feature_users_by_feature_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_consumer_feature_users_by_feature_live(date, date) to authenticated, service_role;

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
  select r.period, nullif(r.feature, '') as feature, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_consumer_feature_users_by_feature_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_consumer_feature_users_by_feature_live("from" date, "to" date)
returns table (site_id uuid, period date, feature text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_consumer_feature_users_by_feature_live("from", "to");
$fn$;
comment on function analytics.kpi_consumer_feature_users_by_feature_live(date, date) is 'KPI consumer_feature_users_by_feature, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_consumer_feature_users_by_feature_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_users_by_feature_live(date, date) to authenticated, service_role;

-- KPI daily_active_actors
create table if not exists analytics_private.kpi_daily_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text not null,
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
  tier text not null,
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
  tier text not null,
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
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier = fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_daily_active_actors_facts;
    analyze analytics_private.kpi_daily_active_actors;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'daily_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_daily_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_daily_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_daily_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_daily_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier = t.tier
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_daily_active_actors_net;
  end if;
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

create or replace function analytics_private.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'daily_active_actors';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'daily_active_actors')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.tier, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.tier, r.value
        from analytics_private.kpi_daily_active_actors as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.tier, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_daily_active_actors_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.tier is not distinct from f.tier)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_daily_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_daily_active_actors_live("from", "to");
$fn$;
comment on function analytics.kpi_daily_active_actors_live(date, date) is 'KPI daily_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_daily_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_daily_active_actors_live(date, date) to authenticated, service_role;

-- KPI error_count
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_error_count_facts;
    analyze analytics_private.kpi_error_count;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'error_count';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_error_count_net as nc
  using (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period;
  insert into analytics_private.kpi_error_count_net (network_id, period, value, sites, actors)
select u.network_id, u.period, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_error_count as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2
        union all
        select f.network_id, f.period, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_error_count_facts as f
        join (select distinct x.network_id, x.period
        from analytics_private.kpi_error_count as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period
        group by 1, 2) as u
  group by 1, 2;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_error_count_net;
  end if;
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

create or replace function analytics_private.kpi_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'error_count';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'error_count')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_error_count as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(*)
        from fresh as f
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_error_count_live(date, date) is 'KPI error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_error_count_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_error_count_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_error_count_live("from", "to");
$fn$;
comment on function analytics.kpi_error_count_live(date, date) is 'KPI error_count, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_error_count_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_error_count_live(date, date) to authenticated, service_role;

-- KPI errors_by_code
create table if not exists analytics_private.kpi_errors_by_code_facts (
  site_id uuid not null,
  period date not null,
  error_code text not null,
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
  error_code text not null,
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
  error_code text not null,
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
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'error_code', ''), e.actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')
  on conflict do nothing;
  insert into analytics_private.kpi_errors_by_code as r (site_id, period, error_code, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'error_code', ''), e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')
  group by 1, 2, 3, 4
  on conflict (site_id, period, error_code, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_errors_by_code_facts;
    analyze analytics_private.kpi_errors_by_code;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'errors_by_code';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_errors_by_code_net as nc
  using (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.error_code = t.error_code;
  insert into analytics_private.kpi_errors_by_code_net (network_id, period, error_code, value, sites, actors)
select u.network_id, u.period, u.error_code, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, f.error_code, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_errors_by_code as f
        join (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.error_code = t.error_code
        group by 1, 2, 3
        union all
        select f.network_id, f.period, f.error_code, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_errors_by_code_facts as f
        join (select distinct x.network_id, x.period, x.error_code
        from analytics_private.kpi_errors_by_code as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.error_code = t.error_code
        group by 1, 2, 3) as u
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_errors_by_code_net;
  end if;
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

create or replace function analytics_private.kpi_errors_by_code_for_caller()
returns table (site_id uuid, period date, error_code text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.error_code, '') as error_code, sum(r.value)::bigint
  from analytics_private.kpi_errors_by_code as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2, 3;
$fn$;

create or replace function analytics_private.kpi_errors_by_code_between("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.error_code, '') as error_code, sum(r.value)::bigint
  from analytics_private.kpi_errors_by_code as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3;
$fn$;

create or replace function analytics_private.kpi_errors_by_code_live("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'errors_by_code';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'error_code', '') as error_code
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.error_code, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, nullif(r.error_code, '') as error_code, r.value
        from analytics_private.kpi_errors_by_code as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.error_code, count(*)
        from fresh as f
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_errors_by_code_live(date, date) is 'KPI errors_by_code, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_errors_by_code_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_errors_by_code_live(date, date) to authenticated, service_role;

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
  select r.period, nullif(r.error_code, '') as error_code, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_errors_by_code_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_errors_by_code_live("from" date, "to" date)
returns table (site_id uuid, period date, error_code text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_errors_by_code_live("from", "to");
$fn$;
comment on function analytics.kpi_errors_by_code_live(date, date) is 'KPI errors_by_code, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_errors_by_code_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_errors_by_code_live(date, date) to authenticated, service_role;

-- KPI monthly_active_actors
create table if not exists analytics_private.kpi_monthly_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text not null,
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
  tier text not null,
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
  tier text not null,
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
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier = fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_active_actors_facts;
    analyze analytics_private.kpi_monthly_active_actors;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'monthly_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_monthly_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_monthly_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_monthly_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_monthly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier = t.tier
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_active_actors_net;
  end if;
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

create or replace function analytics_private.kpi_monthly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_active_actors';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'monthly_active_actors')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.tier, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.tier, r.value
        from analytics_private.kpi_monthly_active_actors as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.tier, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_monthly_active_actors_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.tier is not distinct from f.tier)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_monthly_active_actors_live(date, date) is 'KPI monthly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_monthly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_active_actors_live(date, date) to authenticated, service_role;

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
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period and (m.period + interval '1 month')::date - 1 and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_monthly_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_monthly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_monthly_active_actors_live("from", "to");
$fn$;
comment on function analytics.kpi_monthly_active_actors_live(date, date) is 'KPI monthly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_monthly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_monthly_active_actors_live(date, date) to authenticated, service_role;

-- KPI monthly_signup_retention
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
  period_number smallint not null,
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
  period_number smallint not null,
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_signup_retention_cohorts;
    analyze analytics_private.kpi_monthly_signup_retention_active;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_signup_retention_cohorts;
    analyze analytics_private.kpi_monthly_signup_retention_active;
    analyze analytics_private.kpi_monthly_signup_retention;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_monthly_signup_retention_net;
  end if;
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

create or replace function analytics_private.kpi_monthly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'monthly_signup_retention')
  from analytics_private.kpi_monthly_signup_retention_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_monthly_signup_retention_live(date, date) is 'KPI monthly_signup_retention, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_monthly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_monthly_signup_retention_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_monthly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_monthly_signup_retention_live("from", "to");
$fn$;
comment on function analytics.kpi_monthly_signup_retention_live(date, date) is 'KPI monthly_signup_retention for the caller''s own site, periods in [from, to]: the refreshed cells (a retention KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_monthly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_monthly_signup_retention_live(date, date) to authenticated, service_role;

-- KPI network_analytics_viewers
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_network_analytics_viewers_facts;
    analyze analytics_private.kpi_network_analytics_viewers;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_network_analytics_viewers_net;
  end if;
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

create or replace function analytics_private.kpi_network_analytics_viewers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'network_analytics_viewers';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 month') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'network_analytics_viewers')
      and e.actor_tier = any (array['network']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_network_analytics_viewers as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_network_analytics_viewers_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_network_analytics_viewers_live(date, date) is 'KPI network_analytics_viewers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_network_analytics_viewers_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_network_analytics_viewers_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_network_analytics_viewers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_network_analytics_viewers_live("from", "to");
$fn$;
comment on function analytics.kpi_network_analytics_viewers_live(date, date) is 'KPI network_analytics_viewers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_network_analytics_viewers_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_network_analytics_viewers_live(date, date) to authenticated, service_role;

-- KPI protocol_loggers
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_loggers_facts;
    analyze analytics_private.kpi_protocol_loggers;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_loggers_net;
  end if;
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

create or replace function analytics_private.kpi_protocol_loggers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_loggers';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_loggers')
      and e.actor_tier = any (array['practitioner']::text[])) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.value
        from analytics_private.kpi_protocol_loggers as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_protocol_loggers_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash)
        group by 1, 2) as c
  group by 1, 2;
end
$fn$;
comment on function analytics_private.kpi_protocol_loggers_live(date, date) is 'KPI protocol_loggers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_protocol_loggers_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_loggers_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_protocol_loggers_live("from" date, "to" date)
returns table (site_id uuid, period date, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_loggers_live("from", "to");
$fn$;
comment on function analytics.kpi_protocol_loggers_live(date, date) is 'KPI protocol_loggers, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_protocol_loggers_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_loggers_live(date, date) to authenticated, service_role;

-- KPI protocol_logging_retention
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
  period_number smallint not null,
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
  period_number smallint not null,
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_logging_retention_cohorts;
    analyze analytics_private.kpi_protocol_logging_retention_active;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_logging_retention_cohorts;
    analyze analytics_private.kpi_protocol_logging_retention_active;
    analyze analytics_private.kpi_protocol_logging_retention;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_logging_retention_net;
  end if;
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

create or replace function analytics_private.kpi_protocol_logging_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_logging_retention')
  from analytics_private.kpi_protocol_logging_retention_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_protocol_logging_retention_live(date, date) is 'KPI protocol_logging_retention, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_protocol_logging_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_logging_retention_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_protocol_logging_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_logging_retention_live("from", "to");
$fn$;
comment on function analytics.kpi_protocol_logging_retention_live(date, date) is 'KPI protocol_logging_retention for the caller''s own site, periods in [from, to]: the refreshed cells (a retention KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_protocol_logging_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_retention_live(date, date) to authenticated, service_role;

-- KPI protocol_sessions_logged
create table if not exists analytics_private.kpi_protocol_sessions_logged_facts (
  site_id uuid not null,
  period date not null,
  logging_mode text not null,
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
  logging_mode text not null,
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
  logging_mode text not null,
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
  select distinct e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'logging_mode', ''), e.actor_hash, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')
  on conflict do nothing;
  insert into analytics_private.kpi_protocol_sessions_logged as r (site_id, period, logging_mode, network_id, value)
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'logging_mode', ''), e.network_id, count(*)
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')
  group by 1, 2, 3, 4
  on conflict (site_id, period, logging_mode, network_id) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_sessions_logged_facts;
    analyze analytics_private.kpi_protocol_sessions_logged;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'protocol_sessions_logged';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_protocol_sessions_logged_net as nc
  using (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.logging_mode = t.logging_mode;
  insert into analytics_private.kpi_protocol_sessions_logged_net (network_id, period, logging_mode, value, sites, actors)
select u.network_id, u.period, u.logging_mode, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select f.network_id, f.period, f.logging_mode, sum(f.value) as value, 0 as sites, 0 as actors
        from analytics_private.kpi_protocol_sessions_logged as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode = t.logging_mode
        group by 1, 2, 3
        union all
        select f.network_id, f.period, f.logging_mode, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from analytics_private.kpi_protocol_sessions_logged_facts as f
        join (select distinct x.network_id, x.period, x.logging_mode
        from analytics_private.kpi_protocol_sessions_logged as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.logging_mode = t.logging_mode
        group by 1, 2, 3) as u
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_protocol_sessions_logged_net;
  end if;
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

create or replace function analytics_private.kpi_protocol_sessions_logged_for_caller()
returns table (site_id uuid, period date, logging_mode text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_protocol_sessions_logged as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
  group by 1, 2, 3;
$fn$;

create or replace function analytics_private.kpi_protocol_sessions_logged_between("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, sum(r.value)::bigint
  from analytics_private.kpi_protocol_sessions_logged as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to"
  group by 1, 2, 3;
$fn$;

create or replace function analytics_private.kpi_protocol_sessions_logged_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'protocol_sessions_logged';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'logging_mode', '') as logging_mode
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.logging_mode, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, nullif(r.logging_mode, '') as logging_mode, r.value
        from analytics_private.kpi_protocol_sessions_logged as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.logging_mode, count(*)
        from fresh as f
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_protocol_sessions_logged_live(date, date) is 'KPI protocol_sessions_logged, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_protocol_sessions_logged_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_protocol_sessions_logged_live(date, date) to authenticated, service_role;

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
  select r.period, nullif(r.logging_mode, '') as logging_mode, case when r.suppressed then null else r.value end as value, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_protocol_sessions_logged_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_protocol_sessions_logged_live("from" date, "to" date)
returns table (site_id uuid, period date, logging_mode text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_protocol_sessions_logged_live("from", "to");
$fn$;
comment on function analytics.kpi_protocol_sessions_logged_live(date, date) is 'KPI protocol_sessions_logged, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_protocol_sessions_logged_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_sessions_logged_live(date, date) to authenticated, service_role;

-- KPI screen_load_ms
create table if not exists analytics_private.kpi_screen_load_ms_values (
  site_id uuid not null,
  period date not null,
  screen text not null,
  platform text not null,
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
  screen text not null,
  platform text not null,
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
  screen text not null,
  platform text not null,
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
  select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date, coalesce(e.payload ->> 'screen', ''), coalesce(e.payload ->> 'platform', ''), e.actor_hash, e.idempotency_key, e.occurred_at, (e.payload ->> 'load_ms')::double precision, e.network_id
  from analytics_private.events as e
  where e.ingest_xid >= lo and e.ingest_xid < hi
    and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'screen_load_ms')
    and jsonb_typeof(e.payload -> 'load_ms') = 'number'
  on conflict do nothing;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_screen_load_ms_values;
  end if;
  insert into analytics_private.kpi_screen_load_ms as r (site_id, period, screen, platform, n, p50, p95)
  select f.site_id, f.period, f.screen, f.platform, count(*), (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95
  from analytics_private.kpi_screen_load_ms_values as f
  join (select distinct t.site_id, t.period, t.screen, t.platform
        from analytics_private.kpi_screen_load_ms_values as t where t.ingest_xid = pg_current_xact_id()) as a
    on f.site_id = a.site_id and f.period = a.period and f.screen = a.screen and f.platform = a.platform
  group by 1, 2, 3, 4
  on conflict (site_id, period, screen, platform) do update
    set n = excluded.n, p50 = excluded.p50, p95 = excluded.p95, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_screen_load_ms_values;
    analyze analytics_private.kpi_screen_load_ms;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'screen_load_ms';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_screen_load_ms_net as nc
  using (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.screen = t.screen and nc.platform = t.platform;
  insert into analytics_private.kpi_screen_load_ms_net (network_id, period, screen, platform, n, p50, p95, sites, actors)
select f.network_id, f.period, f.screen, f.platform, count(*) as n, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_screen_load_ms_values as f
  join (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.screen = t.screen and f.platform = t.platform
  group by 1, 2, 3, 4;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_screen_load_ms_net;
  end if;
  -- A percentile is always one measured value, so it is shown only when at least 5 actors
  -- have values at or above it and 5 at or below it, counted after removing any one site
  -- (a caller knows its own site's values): otherwise that column is null in the network view.
  update analytics_private.kpi_screen_load_ms_net as c set
    p50_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p50)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p50),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p50))) < 5
                  from analytics_private.kpi_screen_load_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.screen = c.screen and v.platform = c.platform),
    p95_hidden = (select least(analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure >= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure >= c.p95)),
                               analytics_private.kpi_actors_but_one(array_agg(v.site_id) filter (where v.measure <= c.p95),
                                                       array_agg(v.actor_hash) filter (where v.measure <= c.p95))) < 5
                  from analytics_private.kpi_screen_load_ms_values as v
                  where v.network_id = c.network_id and v.period = c.period and v.screen = c.screen and v.platform = c.platform)
  from (select distinct x.network_id, x.period, x.screen, x.platform
        from analytics_private.kpi_screen_load_ms_values as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where c.network_id = t.network_id and c.period = t.period and c.screen = t.screen and c.platform = t.platform;
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

create or replace function analytics_private.kpi_screen_load_ms_for_caller()
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, r.n, r.p50, r.p95
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics_private.kpi_screen_load_ms_between("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision)
language sql
stable
security definer
set search_path = ''
as $fn$
select r.site_id, r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, r.n, r.p50, r.p95
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = (select analytics_private.kpi_caller_site())
    and ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])
    and r.period >= "from" and r.period <= "to";
$fn$;

create or replace function analytics_private.kpi_screen_load_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'screen_load_ms';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, coalesce(e.payload ->> 'screen', '') as screen, coalesce(e.payload ->> 'platform', '') as platform, (e.payload ->> 'load_ms')::double precision as measure
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'screen_load_ms') and jsonb_typeof(e.payload -> 'load_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, r.n, r.p50, r.p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from analytics_private.kpi_screen_load_ms as r
  where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
    and not exists (select 1 from fresh as t where t.period = r.period and t.screen is not distinct from r.screen and t.platform is not distinct from r.platform)
  union all
  select f.site_id, f.period, f.screen, f.platform, count(*), (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[1] as p50, (percentile_disc(array[0.5, 0.95]::double precision[]) within group (order by f.measure))[2] as p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select v.site_id, v.period, v.screen, v.platform, v.measure
        from analytics_private.kpi_screen_load_ms_values as v
        join (select distinct t.period, t.screen, t.platform from fresh as t) as t
          on v.site_id = caller_site and v.period = t.period and v.screen is not distinct from t.screen and v.platform is not distinct from t.platform
        union all
        select t.site_id, t.period, t.screen, t.platform, t.measure from fresh as t) as f
  group by 1, 2, 3, 4;
end
$fn$;
comment on function analytics_private.kpi_screen_load_ms_live(date, date) is 'KPI screen_load_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_screen_load_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_screen_load_ms_live(date, date) to authenticated, service_role;

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
  select r.period, nullif(r.screen, '') as screen, nullif(r.platform, '') as platform, case when r.suppressed then null else r.n end as n, case when r.suppressed or r.p50_hidden then null else r.p50 end as p50, case when r.suppressed or r.p95_hidden then null else r.p95 end as p95, r.suppressed
  from (select m.*, m.hidden as suppressed
        from analytics_private.kpi_screen_load_ms_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_screen_load_ms_live("from" date, "to" date)
returns table (site_id uuid, period date, screen text, platform text, n bigint, p50 double precision, p95 double precision, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_screen_load_ms_live("from", "to");
$fn$;
comment on function analytics.kpi_screen_load_ms_live(date, date) is 'KPI screen_load_ms, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_screen_load_ms_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_screen_load_ms_live(date, date) to authenticated, service_role;

-- KPI trial_activation_to_conversion
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
  step smallint not null,
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
  step smallint not null,
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_steps;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_steps;
    analyze analytics_private.kpi_trial_activation_to_conversion_actors;
    analyze analytics_private.kpi_trial_activation_to_conversion;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_trial_activation_to_conversion_net;
  end if;
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

create or replace function analytics_private.kpi_trial_activation_to_conversion_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'trial_activation_to_conversion')
  from analytics_private.kpi_trial_activation_to_conversion_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_trial_activation_to_conversion_live(date, date) is 'KPI trial_activation_to_conversion, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_trial_activation_to_conversion_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_trial_activation_to_conversion_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_trial_activation_to_conversion_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_trial_activation_to_conversion_live("from", "to");
$fn$;
comment on function analytics.kpi_trial_activation_to_conversion_live(date, date) is 'KPI trial_activation_to_conversion for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_trial_activation_to_conversion_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_trial_activation_to_conversion_live(date, date) to authenticated, service_role;

-- KPI upgrade_funnel_consumer_to_clinic
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
  step smallint not null,
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
  step smallint not null,
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_steps;
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_actors;
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_funnel_consumer_to_clinic_net;
  end if;
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

create or replace function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_funnel_consumer_to_clinic')
  from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) is 'KPI upgrade_funnel_consumer_to_clinic, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_upgrade_funnel_consumer_to_clinic_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_upgrade_funnel_consumer_to_clinic_live("from", "to");
$fn$;
comment on function analytics.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) is 'KPI upgrade_funnel_consumer_to_clinic for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_funnel_consumer_to_clinic_live(date, date) to authenticated, service_role;

-- KPI upgrade_prompt_to_trial
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
  step smallint not null,
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
  step smallint not null,
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_steps;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_actors;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_steps;
    analyze analytics_private.kpi_upgrade_prompt_to_trial_actors;
    analyze analytics_private.kpi_upgrade_prompt_to_trial;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_upgrade_prompt_to_trial_net;
  end if;
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

create or replace function analytics_private.kpi_upgrade_prompt_to_trial_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'upgrade_prompt_to_trial')
  from analytics_private.kpi_upgrade_prompt_to_trial_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_upgrade_prompt_to_trial_live(date, date) is 'KPI upgrade_prompt_to_trial, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_upgrade_prompt_to_trial_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_upgrade_prompt_to_trial_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_upgrade_prompt_to_trial_live("from" date, "to" date)
returns table (site_id uuid, period date, step smallint, step_name text, actors bigint, conversion numeric, step_conversion numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_upgrade_prompt_to_trial_live("from", "to");
$fn$;
comment on function analytics.kpi_upgrade_prompt_to_trial_live(date, date) is 'KPI upgrade_prompt_to_trial for the caller''s own site, periods in [from, to]: the refreshed cells (a funnel KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_upgrade_prompt_to_trial_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_upgrade_prompt_to_trial_live(date, date) to authenticated, service_role;

-- KPI weekly_active_actors
create table if not exists analytics_private.kpi_weekly_active_actors_facts (
  site_id uuid not null,
  period date not null,
  tier text not null,
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
  tier text not null,
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
  tier text not null,
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
    where o.site_id = fresh.site_id and o.period = fresh.period and o.actor_hash = fresh.actor_hash      and o.tier = fresh.tier)
  group by 1, 2, 3
  on conflict (site_id, period, tier) do update
    set value = r.value + excluded.value, ingest_xid = pg_current_xact_id();
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_active_actors_facts;
    analyze analytics_private.kpi_weekly_active_actors;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'weekly_active_actors';
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_weekly_active_actors_net as nc
  using (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_weekly_active_actors_net (network_id, period, tier, value, sites, actors)
select f.network_id, f.period, f.tier, count(distinct f.actor_hash) as value,
         count(distinct f.site_id) as sites, count(distinct f.actor_hash) as actors
  from analytics_private.kpi_weekly_active_actors_facts as f
  join (select distinct x.network_id, x.period, x.tier
        from analytics_private.kpi_weekly_active_actors_facts as x
        where x.ingest_xid = pg_current_xact_id() and x.network_id is not null) as t on f.network_id = t.network_id and f.period = t.period and f.tier = t.tier
  group by 1, 2, 3;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_active_actors_net;
  end if;
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

create or replace function analytics_private.kpi_weekly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $fn$
#variable_conflict use_column
declare
  wm xid8;
  refreshed timestamptz;
  caller_site uuid := analytics_private.kpi_caller_site();
begin
  if caller_site is null or not coalesce(((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]), false) then
    return;
  end if;
  -- A stable function: both statements below see the calling query's one snapshot, so the
  -- watermark, the rollup and the tail agree.
  select w.next_xid, w.refreshed_at into wm, refreshed from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_active_actors';
  return query
  with bound as (
    -- at most 10000 events past the watermark (every site's, in the requested periods)
    select count(*) <= 10000 as ok
    from (select 1 from analytics_private.events as e
          where e.ingest_xid >= wm
            and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
            and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
          order by e.ingest_xid
          limit 10001) as t),
  fresh as (
    -- the caller's site's events past the watermark that this KPI reads, as cells of [from, to]
    select m.* from (
      select e.site_id, date_trunc('week', e.occurred_at at time zone 'UTC')::date as period, e.actor_tier as tier, e.actor_hash
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 week') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'weekly_active_actors')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.tier, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.tier, r.value
        from analytics_private.kpi_weekly_active_actors as r
        where r.site_id = caller_site and r.period >= "from" and r.period <= "to"
        union all
        select f.site_id, f.period, f.tier, count(distinct f.actor_hash)
        from fresh as f
        where not exists (
          select 1 from analytics_private.kpi_weekly_active_actors_facts as o
          where o.site_id = f.site_id and o.period = f.period and o.actor_hash = f.actor_hash and o.tier is not distinct from f.tier)
        group by 1, 2, 3) as c
  group by 1, 2, 3;
end
$fn$;
comment on function analytics_private.kpi_weekly_active_actors_live(date, date) is 'KPI weekly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics_private.kpi_weekly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_active_actors_live(date, date) to authenticated, service_role;

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
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period and m.period + 6 and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_weekly_active_actors_net as m
        where m.network_id = (select analytics_private.kpi_caller_network())) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_weekly_active_actors_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_weekly_active_actors_live("from", "to");
$fn$;
comment on function analytics.kpi_weekly_active_actors_live(date, date) is 'KPI weekly_active_actors, real time: the caller''s own site, periods in [from, to], including events not yet refreshed; as_of: every event committed by then is counted.';
revoke all on function analytics.kpi_weekly_active_actors_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_active_actors_live(date, date) to authenticated, service_role;

-- KPI weekly_signup_retention
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
  period_number smallint not null,
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
  period_number smallint not null,
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_signup_retention_cohorts;
    analyze analytics_private.kpi_weekly_signup_retention_active;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_signup_retention_cohorts;
    analyze analytics_private.kpi_weekly_signup_retention_active;
    analyze analytics_private.kpi_weekly_signup_retention;
  end if;
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
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_weekly_signup_retention_net;
  end if;
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

create or replace function analytics_private.kpi_weekly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'weekly_signup_retention')
  from analytics_private.kpi_weekly_signup_retention_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_weekly_signup_retention_live(date, date) is 'KPI weekly_signup_retention, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_weekly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_weekly_signup_retention_live(date, date) to authenticated, service_role;

create or replace function analytics.kpi_weekly_signup_retention_live("from" date, "to" date)
returns table (site_id uuid, period date, period_number smallint, cohort_actors bigint, retained bigint, rate numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_weekly_signup_retention_live("from", "to");
$fn$;
comment on function analytics.kpi_weekly_signup_retention_live(date, date) is 'KPI weekly_signup_retention for the caller''s own site, periods in [from, to]: the refreshed cells (a retention KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_weekly_signup_retention_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_weekly_signup_retention_live(date, date) to authenticated, service_role;

-- KPI active_actors_28d
create table if not exists analytics_private.kpi_active_actors_28d (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_actors_28d_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_28d is 'Distinct actors active on any of the 28 days ending with each day, by tier.';
alter table analytics_private.kpi_active_actors_28d enable row level security;
revoke all on analytics_private.kpi_active_actors_28d from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_28d to service_role;

create index if not exists kpi_active_actors_28d_period_idx on analytics_private.kpi_active_actors_28d (period);

create table if not exists analytics_private.kpi_active_actors_28d_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
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
  last_day date;
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
  if lo = '0'::xid8 then
    insert into analytics_private.kpi_active_actors_28d as r (site_id, period, tier, value)
with active as (
    select distinct f.site_id, f.tier, f.actor_hash as member, f.period as day
    from analytics_private.kpi_daily_active_actors_facts as f
    where f.period <= (now() at time zone 'UTC')::date
  ), runs as (
    select a.site_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.site_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.site_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 28
    union all
    select r.site_id, r.tier, r.day + 28, -1
    from runs as r where r.next_gap is null or r.next_gap > 28
  ), deltas as (
    select m.site_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.site_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.site_id, s.period, s.tier, s.value
  from (select c.site_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.site_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.site_id = c.site_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0

    on conflict (site_id, period, tier) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- The day of the previous refresh: windows after it moved on since (the rollover).
    select (w.refreshed_at at time zone 'UTC')::date into last_day
    from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d';
    insert into analytics_private.kpi_active_actors_28d as r (site_id, period, tier, value)
    select t.site_id, t.period, f.tier, count(distinct f.actor_hash)
    from (select distinct b.site_id, b.period + g.i as period
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.site_id, d.day::date
        from (select distinct o.site_id from analytics_private.kpi_active_actors_28d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 27 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 27 and d.day::date) as t
    join analytics_private.kpi_daily_active_actors_facts as f
      on f.site_id = t.site_id and f.period between t.period - 27 and t.period
    group by 1, 2, 3
    on conflict (site_id, period, tier) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id()
      where r.value is distinct from excluded.value;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_28d;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_actors_28d';
  if lo = '0'::xid8 then
    -- A backfill from scratch: every network cell in one aggregate.
    delete from analytics_private.kpi_active_actors_28d_net;
    insert into analytics_private.kpi_active_actors_28d_net (network_id, period, tier, value, sites, actors)
select u.network_id, u.period, u.tier, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (
        select v.network_id, v.period, v.tier, v.value, 0 as sites, v.value as actors
        from (with active as (
    select distinct f.network_id, f.tier, f.actor_hash as member, f.period as day
    from analytics_private.kpi_daily_active_actors_facts as f
    where f.period <= (now() at time zone 'UTC')::date and f.network_id is not null
  ), runs as (
    select a.network_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.network_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.network_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 28
    union all
    select r.network_id, r.tier, r.day + 28, -1
    from runs as r where r.next_gap is null or r.next_gap > 28
  ), deltas as (
    select m.network_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.network_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.network_id, s.period, s.tier, s.value
  from (select c.network_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.network_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.network_id = c.network_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v
        union all
        select v.network_id, v.period, v.tier, 0, v.value, 0
        from (with active as (
    select distinct f.network_id, f.tier, f.site_id as member, f.period as day
    from analytics_private.kpi_daily_active_actors_facts as f
    where f.period <= (now() at time zone 'UTC')::date and f.network_id is not null
  ), runs as (
    select a.network_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.network_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.network_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 28
    union all
    select r.network_id, r.tier, r.day + 28, -1
    from runs as r where r.next_gap is null or r.next_gap > 28
  ), deltas as (
    select m.network_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.network_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.network_id, s.period, s.tier, s.value
  from (select c.network_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.network_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.network_id = c.network_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v) as u
  group by 1, 2, 3;
  else
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_actors_28d_net as nc
  using (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_28d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 27 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 27 and d.day::date and f.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_active_actors_28d_net (network_id, period, tier, value, sites, actors)
select u.network_id, u.period, u.tier, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select t.network_id, t.period, t.tier, count(distinct f.actor_hash) as value, 0 as sites, 0 as actors
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_28d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 27 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 27 and d.day::date and f.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 27 and t.period and f.tier = t.tier
        group by 1, 2, 3
        union all
        select t.network_id, t.period, t.tier, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_28d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 27 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 27 and d.day::date and f.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 27 and t.period and f.tier = t.tier
        group by 1, 2, 3) as u
  group by 1, 2, 3;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_28d_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 27) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_28d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 27 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 27 and d.day::date and f.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_actors_28d_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_active_actors_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_28d')
  from analytics_private.kpi_active_actors_28d_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_active_actors_28d_live(date, date) is 'KPI active_actors_28d, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_active_actors_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_28d_live(date, date) to authenticated, service_role;

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
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period - 27 and m.period and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_active_actors_28d_net as m
        where m.network_id = (select analytics_private.kpi_caller_network()) and m.period <= (now() at time zone 'UTC')::date) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_active_actors_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_actors_28d_live("from", "to");
$fn$;
comment on function analytics.kpi_active_actors_28d_live(date, date) is 'KPI active_actors_28d for the caller''s own site, periods in [from, to]: the refreshed cells (a rolling KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_active_actors_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_28d_live(date, date) to authenticated, service_role;

-- KPI active_actors_7d
create table if not exists analytics_private.kpi_active_actors_7d (
  site_id uuid not null,
  period date not null,
  tier text not null,
  value bigint not null,
  ingest_xid xid8 not null default pg_current_xact_id(),
  constraint kpi_active_actors_7d_key unique nulls not distinct (site_id, period, tier)
);
comment on table analytics_private.kpi_active_actors_7d is 'Distinct actors active on any of the 7 days ending with each day, by tier (a trailing window, unlike the calendar-week WAU).';
alter table analytics_private.kpi_active_actors_7d enable row level security;
revoke all on analytics_private.kpi_active_actors_7d from public, anon, authenticated;
grant all on analytics_private.kpi_active_actors_7d to service_role;

create index if not exists kpi_active_actors_7d_period_idx on analytics_private.kpi_active_actors_7d (period);

create table if not exists analytics_private.kpi_active_actors_7d_net (
  network_id uuid not null,
  period date not null,
  tier text not null,
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
  last_day date;
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
  if lo = '0'::xid8 then
    insert into analytics_private.kpi_active_actors_7d as r (site_id, period, tier, value)
with active as (
    select distinct f.site_id, f.tier, f.actor_hash as member, f.period as day
    from analytics_private.kpi_daily_active_actors_facts as f
    where f.period <= (now() at time zone 'UTC')::date
  ), runs as (
    select a.site_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.site_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.site_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 7
    union all
    select r.site_id, r.tier, r.day + 7, -1
    from runs as r where r.next_gap is null or r.next_gap > 7
  ), deltas as (
    select m.site_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.site_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.site_id, s.period, s.tier, s.value
  from (select c.site_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.site_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.site_id = c.site_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0

    on conflict (site_id, period, tier) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id();
  else
    -- The day of the previous refresh: windows after it moved on since (the rollover).
    select (w.refreshed_at at time zone 'UTC')::date into last_day
    from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_7d';
    insert into analytics_private.kpi_active_actors_7d as r (site_id, period, tier, value)
    select t.site_id, t.period, f.tier, count(distinct f.actor_hash)
    from (select distinct b.site_id, b.period + g.i as period
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.site_id, d.day::date
        from (select distinct o.site_id from analytics_private.kpi_active_actors_7d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 6 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 6 and d.day::date) as t
    join analytics_private.kpi_daily_active_actors_facts as f
      on f.site_id = t.site_id and f.period between t.period - 6 and t.period
    group by 1, 2, 3
    on conflict (site_id, period, tier) do update
      set value = excluded.value, ingest_xid = pg_current_xact_id()
      where r.value is distinct from excluded.value;
  end if;
  get diagnostics changed = row_count;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_7d;
  end if;
  update analytics_private.kpi_watermarks set next_xid = greatest(lo, hi), refreshed_at = now() where kpi = 'active_actors_7d';
  if lo = '0'::xid8 then
    -- A backfill from scratch: every network cell in one aggregate.
    delete from analytics_private.kpi_active_actors_7d_net;
    insert into analytics_private.kpi_active_actors_7d_net (network_id, period, tier, value, sites, actors)
select u.network_id, u.period, u.tier, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (
        select v.network_id, v.period, v.tier, v.value, 0 as sites, v.value as actors
        from (with active as (
    select distinct f.network_id, f.tier, f.actor_hash as member, f.period as day
    from analytics_private.kpi_daily_active_actors_facts as f
    where f.period <= (now() at time zone 'UTC')::date and f.network_id is not null
  ), runs as (
    select a.network_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.network_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.network_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 7
    union all
    select r.network_id, r.tier, r.day + 7, -1
    from runs as r where r.next_gap is null or r.next_gap > 7
  ), deltas as (
    select m.network_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.network_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.network_id, s.period, s.tier, s.value
  from (select c.network_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.network_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.network_id = c.network_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v
        union all
        select v.network_id, v.period, v.tier, 0, v.value, 0
        from (with active as (
    select distinct f.network_id, f.tier, f.site_id as member, f.period as day
    from analytics_private.kpi_daily_active_actors_facts as f
    where f.period <= (now() at time zone 'UTC')::date and f.network_id is not null
  ), runs as (
    select a.network_id, a.tier, a.day,
           a.day - lag(a.day) over w as gap, lead(a.day) over w - a.day as next_gap
    from active as a
    window w as (partition by a.network_id, a.tier, a.member order by a.day)
  ), marks as (
    select r.network_id, r.tier, r.day, 1 as delta
    from runs as r where r.gap is null or r.gap > 7
    union all
    select r.network_id, r.tier, r.day + 7, -1
    from runs as r where r.next_gap is null or r.next_gap > 7
  ), deltas as (
    select m.network_id, m.tier, m.day, sum(m.delta) as delta
    from marks as m
    group by 1, 2, 3
  ), cells as (
    select m.network_id, m.tier, min(m.day) as first
    from marks as m
    group by 1, 2
  )
  select s.network_id, s.period, s.tier, s.value
  from (select c.network_id, g.day::date as period, c.tier,
               sum(coalesce(x.delta, 0)) over (partition by c.network_id, c.tier order by g.day) as value
        from cells as c
        cross join generate_series(c.first, (now() at time zone 'UTC')::date, interval '1 day') as g (day)
        left join deltas as x on x.network_id = c.network_id and x.day = g.day::date and x.tier = c.tier) as s
  where s.value > 0) as v) as u
  group by 1, 2, 3;
  else
  -- Network cells: delete and recompute only the cells this refresh touched (read through the
  -- (network_id, period, ...) indexes), so the cost grows with new events, not with history.
  delete from analytics_private.kpi_active_actors_7d_net as nc
  using (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_7d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 6 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 6 and d.day::date and f.network_id is not null) as t
  where nc.network_id = t.network_id and nc.period = t.period and nc.tier = t.tier;
  insert into analytics_private.kpi_active_actors_7d_net (network_id, period, tier, value, sites, actors)
select u.network_id, u.period, u.tier, sum(u.value)::bigint, sum(u.sites)::bigint, sum(u.actors)::bigint
  from (select t.network_id, t.period, t.tier, count(distinct f.actor_hash) as value, 0 as sites, 0 as actors
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_7d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 6 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 6 and d.day::date and f.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 6 and t.period and f.tier = t.tier
        group by 1, 2, 3
        union all
        select t.network_id, t.period, t.tier, 0, count(distinct f.site_id), count(distinct f.actor_hash)
        from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_7d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 6 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 6 and d.day::date and f.network_id is not null) as t
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.network_id = t.network_id and f.period between t.period - 6 and t.period and f.tier = t.tier
        group by 1, 2, 3) as u
  group by 1, 2, 3;
  end if;
  if lo = '0'::xid8 then
    analyze analytics_private.kpi_active_actors_7d_net;
  end if;
  -- Which network cells the view hides, recomputed for the touched (network, period)s of the
  -- whole family (templates/sql/kpi/suppress.sql.j2).
  select coalesce(array_agg(x.network_id), '{}'), coalesce(array_agg(x.period), '{}') into t_nets, t_periods
  from (select distinct y.network_id, y.period from (select distinct b.network_id, b.period + g.i as period, b.tier
        from analytics_private.kpi_daily_active_actors_facts as b cross join generate_series(0, 6) as g (i)
        where ((b.ingest_xid >= lo and b.ingest_xid < hi) or b.ingest_xid = pg_current_xact_id()) and b.network_id is not null and b.period + g.i <= (now() at time zone 'UTC')::date
        union
        select f.network_id, d.day::date, f.tier
        from (select distinct o.site_id from analytics_private.kpi_active_actors_7d as o where o.period = last_day) as s
        join analytics_private.kpi_daily_active_actors_facts as f
          on f.site_id = s.site_id and f.period between last_day + 1 - 6 and (now() at time zone 'UTC')::date
        cross join generate_series(last_day + 1, (now() at time zone 'UTC')::date, interval '1 day') as d (day)
        where f.period between d.day::date - 6 and d.day::date and f.network_id is not null) as y) as x;
  perform analytics_private.kpi_active_actors_7d_suppress(t_nets, t_periods);
  return changed;
end
$fn$;

create or replace function analytics_private.kpi_active_actors_7d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security definer
set search_path = ''
as $fn$
select b.*, (select w.refreshed_at from analytics_private.kpi_watermarks as w where w.kpi = 'active_actors_7d')
  from analytics_private.kpi_active_actors_7d_between("from", "to") as b;
$fn$;
comment on function analytics_private.kpi_active_actors_7d_live(date, date) is 'KPI active_actors_7d, refreshed cells for the caller''s own site, periods in [from, to]; as_of: when they were last refreshed.';
revoke all on function analytics_private.kpi_active_actors_7d_live(date, date) from public, anon, authenticated;
grant execute on function analytics_private.kpi_active_actors_7d_live(date, date) to authenticated, service_role;

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
  from (select m.*, (m.hidden or exists (select 1 from analytics_private.kpi_daily_active_actors_net as b where b.network_id = m.network_id and b.period between m.period - 6 and m.period and b.tier = m.tier and b.hidden)) as suppressed
        from analytics_private.kpi_active_actors_7d_net as m
        where m.network_id = (select analytics_private.kpi_caller_network()) and m.period <= (now() at time zone 'UTC')::date) as r
  where (select analytics_private.kpi_caller_reads_network());
$fn$;

create or replace function analytics.kpi_active_actors_7d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, value bigint, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select * from analytics_private.kpi_active_actors_7d_live("from", "to");
$fn$;
comment on function analytics.kpi_active_actors_7d_live(date, date) is 'KPI active_actors_7d for the caller''s own site, periods in [from, to]: the refreshed cells (a rolling KPI has no real-time tail); as_of: when they were last refreshed.';
revoke all on function analytics.kpi_active_actors_7d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_active_actors_7d_live(date, date) to authenticated, service_role;

-- KPI api_server_error_rate
create or replace view analytics.kpi_api_server_error_rate with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_api_server_error_count_for_caller()),
       d as materialized (select * from analytics_private.kpi_api_request_count_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
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
  with n as materialized (select * from analytics_private.kpi_api_server_error_count_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_api_server_error_rate_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_api_server_error_count_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_api_server_error_rate_live(date, date) is 'KPI api_server_error_rate, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_api_server_error_rate_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_api_server_error_rate_live(date, date) to authenticated, service_role;

-- KPI clinic_collaboration_adoption
create or replace view analytics.kpi_clinic_collaboration_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_clinic_collaborators_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_clinic_members_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
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
  with n as materialized (select * from analytics_private.kpi_clinic_collaborators_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_clinic_members_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_clinic_collaboration_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_clinic_collaborators_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_clinic_members_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_clinic_collaboration_adoption_live(date, date) is 'KPI clinic_collaboration_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_clinic_collaboration_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_clinic_collaboration_adoption_live(date, date) to authenticated, service_role;

-- KPI consumer_feature_adoption
create or replace view analytics.kpi_consumer_feature_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_consumer_feature_users_for_caller()),
       d as materialized (select * from analytics_private.kpi_consumer_daily_actives_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
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
  with n as materialized (select * from analytics_private.kpi_consumer_feature_users_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_consumer_daily_actives_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_consumer_feature_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_consumer_feature_users_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_consumer_daily_actives_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_consumer_feature_adoption_live(date, date) is 'KPI consumer_feature_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_consumer_feature_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_consumer_feature_adoption_live(date, date) to authenticated, service_role;

-- KPI error_rate
create or replace view analytics.kpi_error_rate with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_error_count_for_caller()),
       d as materialized (select * from analytics_private.kpi_api_request_count_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
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
  with n as materialized (select * from analytics_private.kpi_error_count_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_error_rate_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_error_count_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_api_request_count_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_error_rate_live(date, date) is 'KPI error_rate, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_error_rate_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_error_rate_live(date, date) to authenticated, service_role;

-- KPI network_analytics_adoption
create or replace view analytics.kpi_network_analytics_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_network_analytics_viewers_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_network_members_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
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
  with n as materialized (select * from analytics_private.kpi_network_analytics_viewers_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_network_members_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_network_analytics_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_network_analytics_viewers_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_network_members_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_network_analytics_adoption_live(date, date) is 'KPI network_analytics_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_network_analytics_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_network_analytics_adoption_live(date, date) to authenticated, service_role;

-- KPI protocol_logging_adoption
create or replace view analytics.kpi_protocol_logging_adoption with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_protocol_loggers_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_practitioners_for_caller())
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
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
  with n as materialized (select * from analytics_private.kpi_protocol_loggers_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_practitioners_between("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_protocol_logging_adoption_live("from" date, "to" date)
returns table (site_id uuid, period date, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
with n as materialized (select * from analytics_private.kpi_protocol_loggers_live("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_practitioners_live("from", "to"))
  select keys.site_id, keys.period,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value,
         least((select min(x.as_of) from n as x), (select min(x.as_of) from d as x)) as as_of
  from (select n.site_id, n.period from n
        union
        select d.site_id, d.period from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period
  left join d on keys.site_id = d.site_id and keys.period = d.period
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;
comment on function analytics.kpi_protocol_logging_adoption_live(date, date) is 'KPI protocol_logging_adoption, real time: its numerator''s and denominator''s live reads joined per cell, periods in [from, to]; as_of is the older of theirs';
revoke all on function analytics.kpi_protocol_logging_adoption_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_protocol_logging_adoption_live(date, date) to authenticated, service_role;

-- KPI stickiness_dau_28d
create or replace view analytics.kpi_stickiness_dau_28d with (security_invoker = true) as
  with n as materialized (select * from analytics_private.kpi_daily_active_actors_for_caller()),
       d as materialized (select * from analytics_private.kpi_active_actors_28d_for_caller())
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from n
        union
        select d.site_id, d.period, d.tier from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
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
  with n as materialized (select * from analytics_private.kpi_daily_active_actors_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_actors_28d_between("from", "to"))
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from n
        union
        select d.site_id, d.period, d.tier from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[]);
$fn$;

create or replace function analytics.kpi_stickiness_dau_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select x.*,
         (select f.refreshed_at from analytics_private.kpi_freshness() as f where f.kpi = 'stickiness_dau_28d') as as_of
  from (  with n as materialized (select * from analytics_private.kpi_daily_active_actors_between("from", "to")),
       d as materialized (select * from analytics_private.kpi_active_actors_28d_between("from", "to"))
  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from n
        union
        select d.site_id, d.period, d.tier from d) as keys
  left join n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as x;
$fn$;
comment on function analytics.kpi_stickiness_dau_28d_live(date, date) is 'KPI stickiness_dau_28d for the caller''s own site, periods in [from, to]: the refreshed cells of its numerator and denominator (one of them has no real-time tail, and a live side over a refreshed one could exceed one); as_of: the older of their last refreshes.';
revoke all on function analytics.kpi_stickiness_dau_28d_live(date, date) from public, anon, authenticated;
grant execute on function analytics.kpi_stickiness_dau_28d_live(date, date) to authenticated, service_role;

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
      join analytics_private.kpi_api_latency_ms_values as m on m.network_id = p.network_id and m.period = p.period and m.endpoint = p.endpoint
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
      where c.network_id = pick.network_id and c.period = pick.period and c.endpoint = pick.endpoint
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
      join analytics_private.kpi_consumer_feature_users_by_feature_facts as m on m.network_id = p.network_id and m.period = p.period and m.feature = p.feature
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
      where c.network_id = pick.network_id and c.period = pick.period and c.feature = pick.feature
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
      join analytics_private.kpi_errors_by_code_facts as m on m.network_id = p.network_id and m.period = p.period and m.error_code = p.error_code
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
      where c.network_id = pick.network_id and c.period = pick.period and c.error_code = pick.error_code
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

create or replace view analytics_private.clickhouse_events as
  select
    e.event_id as event_id,
    e.site_id as site_id,
    e.network_id as network_id,
    encode(e.actor_hash, 'hex') as actor_hash,
    e.actor_tier as actor_tier,
    e.occurred_at as occurred_at,
    e.received_at as received_at,
    e.idempotency_key as idempotency_key,
    e.plan_version as plan_version,
    e.payload::text as payload,
    e.ingest_xid as ingest_xid,
    (e.ingest_xid::text)::bigint as ingest_xid_number
  from analytics_private.events as e
  where e.ingest_xid < pg_snapshot_xmin(pg_current_snapshot());
comment on view analytics_private.clickhouse_events is 'What ClickHouse ingests: committed events older than every running transaction (read with its owner''s rights; granted only to the ClickHouse login role).';
revoke all on analytics_private.clickhouse_events from public, anon, authenticated;
grant all on analytics_private.clickhouse_events to service_role;

-- ClickHouse's login role (clickhouse_reader) reads the export view and nothing else; the role is made by the operator, never by a migration (re-run this after creating it)
do $grant$
begin
  if exists (select from pg_catalog.pg_roles where rolname = 'clickhouse_reader') then
    grant usage on schema analytics_private to clickhouse_reader;
    grant select on analytics_private.clickhouse_events to clickhouse_reader;
  end if;
end
$grant$;

-- KPI active_actors_28d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_28d';

-- KPI active_actors_7d
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_7d';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'active_actors_7d';

-- KPI api_latency_ms
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'api_latency_ms';

-- KPI clinic_team_onboarding
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'clinic_team_onboarding';

-- KPI consumer_feature_users_by_feature
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users_by_feature';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users_by_feature';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'consumer_feature_users_by_feature';

-- KPI daily_active_actors
update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

update analytics_private.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'daily_active_actors';

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
