-- trackgen migration 20261201070531: events clinic.caseload_handed_off, clinic.member_invited, clinic.member_joined, clinic.member_removed, clinic.member_role_changed, clinic.plan_upgraded, clinic.protocol_shared, clinic.review_completed, clinic.review_requested, clinic.seats_changed, clinic.team_created, clinic.utilization_dashboard_viewed, consumer.appointment_requested, consumer.article_viewed, consumer.checkin_logged, consumer.directory_searched, consumer.exercise_completed, consumer.exercise_started, consumer.feature_used, consumer.goal_set, consumer.progress_chart_viewed, consumer.reminder_scheduled, consumer.upgrade_prompt_viewed, consumer.wearable_connected, network.alert_configured, network.benchmark_compared, network.dashboard_viewed, network.data_sharing_accepted, network.filter_applied, network.report_exported, network.scheduled_report_created, network.suppression_notice_shown, practitioner.availability_published, practitioner.dashboard_viewed, practitioner.home_program_assigned, practitioner.outcome_measure_recorded, practitioner.progress_report_generated, practitioner.protocol_created, practitioner.protocol_edited, practitioner.protocol_logged, practitioner.subscription_cancelled, practitioner.trial_converted, practitioner.trial_expired, practitioner.trial_started, system.api_request_completed, system.credential_reset_completed, system.error_occurred, system.login_failed, system.login_succeeded, system.logout_completed, system.mfa_enrolled, system.offline_sync_completed, system.screen_loaded, system.sign_in_completed, system.signup_completed; KPIs active_actors_28d, active_actors_7d, active_clinic_members, active_network_members, active_practitioners, api_latency_ms, api_request_count, api_server_error_count, api_server_error_rate, clinic_collaboration_adoption, clinic_collaborators, clinic_team_onboarding, consumer_daily_actives, consumer_feature_adoption, consumer_feature_users, consumer_feature_users_by_feature, daily_active_actors, error_count, error_rate, errors_by_code, monthly_active_actors, monthly_signup_retention, network_analytics_adoption, network_analytics_viewers, protocol_loggers, protocol_logging_adoption, protocol_logging_retention, protocol_sessions_logged, screen_load_ms, stickiness_dau_28d, trial_activation_to_conversion, upgrade_funnel_consumer_to_clinic, upgrade_prompt_to_trial, weekly_active_actors, weekly_signup_retention; core objects.
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'endpoint') as endpoint, (e.payload ->> 'duration_ms')::double precision as measure
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'api_latency_ms') and jsonb_typeof(e.payload -> 'duration_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, r.endpoint, r.n, r.p50, r.p95, r.p99, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'feature') as feature, e.actor_hash
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
  from (select r.site_id, r.period, r.feature, r.value
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'error_code') as error_code
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'errors_by_code')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.error_code, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.error_code, r.value
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'logging_mode') as logging_mode
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'protocol_sessions_logged')) as m
    where m.period >= "from" and m.period <= "to")
  select c.site_id, c.period, c.logging_mode, sum(c.value)::bigint, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
  from (select r.site_id, r.period, r.logging_mode, r.value
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
      select e.site_id, date_trunc('day', e.occurred_at at time zone 'UTC')::date as period, (e.payload ->> 'screen') as screen, (e.payload ->> 'platform') as platform, (e.payload ->> 'load_ms')::double precision as measure
      from analytics_private.events as e
      where (select b.ok from bound as b)
        and e.ingest_xid >= wm
        and e.site_id = caller_site
        and e.occurred_at >= ("from"::timestamp at time zone 'UTC')
        and e.occurred_at < (("to" + interval '1 day') at time zone 'UTC')
        and e.event_id in (select s.event_id from analytics_private.kpi_event_sets as s where s.set_name = 'screen_load_ms') and jsonb_typeof(e.payload -> 'load_ms') = 'number') as m
    where m.period >= "from" and m.period <= "to")
  select r.site_id, r.period, r.screen, r.platform, r.n, r.p50, r.p95, case when (select b.ok from bound as b) then statement_timestamp() else refreshed end
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
