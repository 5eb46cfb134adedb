-- trackgen migration 20261201054729: events clinic.caseload_handed_off, clinic.member_invited, clinic.member_joined, clinic.member_removed, clinic.member_role_changed, clinic.plan_upgraded, clinic.protocol_shared, clinic.review_completed, clinic.review_requested, clinic.seats_changed, clinic.team_created, clinic.utilization_dashboard_viewed, consumer.appointment_requested, consumer.article_viewed, consumer.checkin_logged, consumer.directory_searched, consumer.exercise_completed, consumer.exercise_started, consumer.feature_used, consumer.goal_set, consumer.progress_chart_viewed, consumer.reminder_scheduled, consumer.upgrade_prompt_viewed, consumer.wearable_connected, network.alert_configured, network.benchmark_compared, network.dashboard_viewed, network.data_sharing_accepted, network.filter_applied, network.report_exported, network.scheduled_report_created, network.suppression_notice_shown, practitioner.availability_published, practitioner.dashboard_viewed, practitioner.home_program_assigned, practitioner.outcome_measure_recorded, practitioner.progress_report_generated, practitioner.protocol_created, practitioner.protocol_edited, practitioner.protocol_logged, practitioner.subscription_cancelled, practitioner.trial_converted, practitioner.trial_expired, practitioner.trial_started, system.api_request_completed, system.credential_reset_completed, system.error_occurred, system.login_failed, system.login_succeeded, system.logout_completed, system.mfa_enrolled, system.offline_sync_completed, system.screen_loaded, system.sign_in_completed, system.signup_completed; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';

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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['handoff_reason', 'programs_transferred', 'temporary']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['handoff_reason', 'programs_transferred', 'temporary']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['invite_channel', 'invited_role', 'pending_invites']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['invite_channel', 'invited_role', 'pending_invites']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['days_since_invite', 'join_method', 'role']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['days_since_invite', 'join_method', 'role']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['removal_reason', 'removed_role']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['removal_reason', 'removed_role']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['new_role', 'previous_role']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['new_role', 'previous_role']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['billing_interval', 'previous_tier', 'sales_assisted', 'seat_count']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['billing_interval', 'previous_tier', 'sales_assisted', 'seat_count']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['permission', 'protocol_category', 'share_scope']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['permission', 'protocol_category', 'share_scope']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['decision', 'review_kind', 'turnaround_hours']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['decision', 'review_kind', 'turnaround_hours']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['review_kind', 'urgency']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['review_kind', 'urgency']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['direction', 'seat_delta', 'seat_total']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['direction', 'seat_delta', 'seat_total']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['team_purpose', 'team_size']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['team_purpose', 'team_size']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard_section', 'date_range']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard_section', 'date_range']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['appointment_kind', 'lead_time_days']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['appointment_kind', 'lead_time_days']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['content_format', 'scroll_depth_percent', 'topic']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['content_format', 'scroll_depth_percent', 'topic']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['checkin_kind', 'from_reminder', 'metrics_logged']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['checkin_kind', 'from_reminder', 'metrics_logged']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['results_count', 'specialty_filter', 'visit_mode_filter']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['results_count', 'specialty_filter', 'visit_mode_filter']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['completion_percent', 'duration_seconds', 'exercise_category']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['completion_percent', 'duration_seconds', 'exercise_category']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['difficulty', 'exercise_category', 'source']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['difficulty', 'exercise_category', 'source']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['entry_point', 'feature', 'platform']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['entry_point', 'feature', 'platform']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['goal_area', 'horizon_weeks', 'target_days_per_week']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['goal_area', 'horizon_weeks', 'target_days_per_week']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['date_range', 'metric_group']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['date_range', 'metric_group']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cadence', 'channel', 'reminder_kind']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cadence', 'channel', 'reminder_kind']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['offered_tier', 'placement']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['offered_tier', 'placement']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['data_scopes', 'integration']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['data_scopes', 'integration']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['alert_metric', 'evaluation_cadence', 'threshold_direction']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['alert_metric', 'evaluation_cadence', 'threshold_direction']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['benchmark_metric', 'comparison']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['benchmark_metric', 'comparison']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard', 'date_range', 'sites_in_scope']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard', 'date_range', 'sites_in_scope']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['agreement_version', 'sharing_scope']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['agreement_version', 'sharing_scope']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard', 'filter_dimension', 'filters_active']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard', 'filter_dimension', 'filters_active']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['export_format', 'report', 'rows_exported']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['export_format', 'report', 'rows_exported']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cadence', 'export_format', 'recipients_count', 'report', 'start_date']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cadence', 'export_format', 'recipients_count', 'report', 'start_date']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard', 'suppressed_cells']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard', 'suppressed_cells']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['appointment_kinds', 'slot_count', 'weeks_ahead']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['appointment_kinds', 'slot_count', 'weeks_ahead']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['dashboard_view']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['dashboard_view']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  if not (p ? 'dashboard_view') then return 'missing_property:dashboard_view'; end if;
  if p ? 'dashboard_view' then
    if jsonb_typeof(p -> 'dashboard_view') is distinct from 'string' then return 'wrong_type:dashboard_view'; end if;
    if not ((p ->> 'dashboard_view') = any (array['today', 'this_week', 'overdue_follow_ups', 'home_program_adherence', 'outcome_trends']::text[])) then return 'bad_enum:dashboard_view'; end if;
  end if;
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
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['delivery_channel', 'exercise_count', 'program_weeks']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['delivery_channel', 'exercise_count', 'program_weeks']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['administration', 'instrument', 'timepoint']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['administration', 'instrument', 'timepoint']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['output_format', 'report_kind', 'sessions_covered']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['output_format', 'report_kind', 'sessions_covered']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['origin', 'protocol_category', 'protocol_id', 'step_count']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['origin', 'protocol_category', 'protocol_id', 'step_count']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['change_kinds', 'protocol_id', 'template_version']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['change_kinds', 'protocol_id', 'template_version']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['logging_mode', 'protocol_category', 'protocol_id', 'session_minutes', 'steps_completed', 'visit_mode']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['logging_mode', 'protocol_category', 'protocol_id', 'session_minutes', 'steps_completed', 'visit_mode']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cancel_reason', 'tenure_months']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cancel_reason', 'tenure_months']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['billing_interval', 'days_into_trial']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['billing_interval', 'days_into_trial']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['active_trial_days', 'protocols_logged_count']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['active_trial_days', 'protocols_logged_count']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['billing_interval', 'entry_point', 'trial_length_days']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['billing_interval', 'entry_point', 'trial_length_days']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cache_hit', 'duration_ms', 'endpoint', 'method', 'response_bytes', 'status_class']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cache_hit', 'duration_ms', 'endpoint', 'method', 'response_bytes', 'status_class']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['reset_trigger']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['reset_trigger']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  if not (p ? 'reset_trigger') then return 'missing_property:reset_trigger'; end if;
  if p ? 'reset_trigger' then
    if jsonb_typeof(p -> 'reset_trigger') is distinct from 'string' then return 'wrong_type:reset_trigger'; end if;
    if not ((p ->> 'reset_trigger') = any (array['forgotten', 'expiry_policy', 'admin_forced', 'breach_precaution']::text[])) then return 'bad_enum:reset_trigger'; end if;
  end if;
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
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['app_version', 'error_code', 'http_status', 'recoverable', 'severity', 'surface']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['app_version', 'error_code', 'http_status', 'recoverable', 'severity', 'surface']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['attempt_number', 'auth_method', 'failure_reason']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['attempt_number', 'auth_method', 'failure_reason']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['auth_method', 'mfa_used', 'platform']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['auth_method', 'mfa_used', 'platform']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['logout_trigger', 'session_minutes']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['logout_trigger', 'session_minutes']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['mfa_factor', 'required_by_policy']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['mfa_factor', 'required_by_policy']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['conflicts', 'platform', 'queued_actions', 'sync_ms']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['conflicts', 'platform', 'queued_actions', 'sync_ms']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['cold_start', 'load_ms', 'platform', 'screen']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['cold_start', 'load_ms', 'platform', 'screen']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['sign_in_method']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['sign_in_method']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
  if not (p ? 'sign_in_method') then return 'missing_property:sign_in_method'; end if;
  if p ? 'sign_in_method' then
    if jsonb_typeof(p -> 'sign_in_method') is distinct from 'string' then return 'wrong_type:sign_in_method'; end if;
    if not ((p ->> 'sign_in_method') = any (array['credentials', 'google_sso', 'apple_sso']::text[])) then return 'bad_enum:sign_in_method'; end if;
  end if;
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
begin
  -- the common case, no unknown key, costs one expression; otherwise the first one in jsonb's key order
  if p - array['auth_method', 'invited', 'platform']::text[] <> '{}'::jsonb then
    for k in select jsonb_object_keys(p) loop
      if not (k = any (array['auth_method', 'invited', 'platform']::text[])) then
        return 'unknown_property:' || left(k, 63);
      end if;
    end loop;
  end if;
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
  ok_pos integer[];
  ok_key uuid[];
  ok_event text[];
  ok_time timestamptz[];
  ok_plan text[];
  ok_payload jsonb[];
  stored_pos integer[];
  bad_pos integer[];
  bad_reason text[];
  bad_field text[];
  bad_event_label text[];
  bad_field_label text[];
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

  -- Every item is checked in one statement (set-based: a PL/pgSQL loop over the items cost about
  -- three quarters of the call, see docs/ingestion.md). Per item, the first failing check in
  -- this order gives the reason, as the README's list of reason codes says: each CASE branch
  -- is evaluated only when the ones before it were false, so a cast never sees a value an
  -- earlier check refused. The payload check runs only for items that passed everything else.
  with items as (
    select (e.n - 1)::integer as pos, e.value as item,
           jsonb_typeof(e.value) = 'object' as is_object
      from jsonb_array_elements(events) with ordinality as e (value, n)
  ), envelope as (
    select i.*, x.k as stray_key,
           case when batch_reason is null and i.is_object and x.k is null
                     and jsonb_typeof(i.item -> 'event_id') = 'string'
                then i.item ->> 'event_id' end as event_name
      from items as i
      left join lateral (
        select k from jsonb_object_keys(case when i.is_object then i.item end) as k
         where not (k = any (array['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']::text[])) order by k limit 1) as x on true
  ), checked as materialized (
    select v.pos, v.item, v.stray_key, v.event_name, et.id as known_event,
           case
             when batch_reason is not null then batch_reason
             when not v.is_object then 'not_an_object'
             when v.stray_key is not null then 'unknown_envelope_field'
             when v.event_name is null then 'missing_event_id'
             when et.id is null then 'unknown_event'
             when et.status <> 'active' then 'deprecated_event'
             when not t.is_system and t.rank > caller_rank then 'tier_not_allowed'
             when jsonb_typeof(v.item -> 'idempotency_key') is distinct from 'string' then 'bad_idempotency_key'
             when (v.item ->> 'idempotency_key') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then 'bad_idempotency_key'
             when jsonb_typeof(v.item -> 'occurred_at') is distinct from 'string' then 'bad_timestamp'
             when (v.item ->> 'occurred_at') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$' then 'bad_timestamp'
             -- the calendar check (is_timestamp, a cast in a subtransaction) only where a plain
             -- pattern cannot vouch for the value: days 29-31, offsets beyond 15:59, other years
             when case when (v.item ->> 'occurred_at') ~ '^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$' then false
                       else not analytics_private.is_timestamp(v.item ->> 'occurred_at') end then 'bad_timestamp'
             when (v.item ->> 'occurred_at')::timestamptz > now() + interval '5 minutes' then 'timestamp_in_future'
             when (v.item ->> 'occurred_at')::timestamptz < now() - interval '7 days' then 'timestamp_too_old'
             when not (v.item ? 'plan_version') then null
             when jsonb_typeof(v.item -> 'plan_version') is distinct from 'string' then 'bad_plan_version'
             when (v.item ->> 'plan_version') !~ '^[A-Za-z0-9._-]{1,64}$' then 'bad_plan_version'
           end as envelope_reason
      from envelope as v
      left join analytics.event_types as et on et.id = v.event_name
      left join analytics.tiers as t on t.name = et.tier
  ), payload as materialized (
    select c.*,
           case
             when c.envelope_reason is not null then null
             when jsonb_typeof(c.item -> 'payload') is distinct from 'object' then 'payload_not_object'
             when octet_length((c.item -> 'payload')::text) > 4096 then 'payload_too_large'
             else case c.event_name
               when 'clinic.caseload_handed_off' then analytics_private.check_clinic__caseload_handed_off(c.item -> 'payload')
               when 'clinic.member_invited' then analytics_private.check_clinic__member_invited(c.item -> 'payload')
               when 'clinic.member_joined' then analytics_private.check_clinic__member_joined(c.item -> 'payload')
               when 'clinic.member_removed' then analytics_private.check_clinic__member_removed(c.item -> 'payload')
               when 'clinic.member_role_changed' then analytics_private.check_clinic__member_role_changed(c.item -> 'payload')
               when 'clinic.plan_upgraded' then analytics_private.check_clinic__plan_upgraded(c.item -> 'payload')
               when 'clinic.protocol_shared' then analytics_private.check_clinic__protocol_shared(c.item -> 'payload')
               when 'clinic.review_completed' then analytics_private.check_clinic__review_completed(c.item -> 'payload')
               when 'clinic.review_requested' then analytics_private.check_clinic__review_requested(c.item -> 'payload')
               when 'clinic.seats_changed' then analytics_private.check_clinic__seats_changed(c.item -> 'payload')
               when 'clinic.team_created' then analytics_private.check_clinic__team_created(c.item -> 'payload')
               when 'clinic.utilization_dashboard_viewed' then analytics_private.check_clinic__utilization_dashboard_viewed(c.item -> 'payload')
               when 'consumer.appointment_requested' then analytics_private.check_consumer__appointment_requested(c.item -> 'payload')
               when 'consumer.article_viewed' then analytics_private.check_consumer__article_viewed(c.item -> 'payload')
               when 'consumer.checkin_logged' then analytics_private.check_consumer__checkin_logged(c.item -> 'payload')
               when 'consumer.directory_searched' then analytics_private.check_consumer__directory_searched(c.item -> 'payload')
               when 'consumer.exercise_completed' then analytics_private.check_consumer__exercise_completed(c.item -> 'payload')
               when 'consumer.exercise_started' then analytics_private.check_consumer__exercise_started(c.item -> 'payload')
               when 'consumer.feature_used' then analytics_private.check_consumer__feature_used(c.item -> 'payload')
               when 'consumer.goal_set' then analytics_private.check_consumer__goal_set(c.item -> 'payload')
               when 'consumer.progress_chart_viewed' then analytics_private.check_consumer__progress_chart_viewed(c.item -> 'payload')
               when 'consumer.reminder_scheduled' then analytics_private.check_consumer__reminder_scheduled(c.item -> 'payload')
               when 'consumer.upgrade_prompt_viewed' then analytics_private.check_consumer__upgrade_prompt_viewed(c.item -> 'payload')
               when 'consumer.wearable_connected' then analytics_private.check_consumer__wearable_connected(c.item -> 'payload')
               when 'network.alert_configured' then analytics_private.check_network__alert_configured(c.item -> 'payload')
               when 'network.benchmark_compared' then analytics_private.check_network__benchmark_compared(c.item -> 'payload')
               when 'network.dashboard_viewed' then analytics_private.check_network__dashboard_viewed(c.item -> 'payload')
               when 'network.data_sharing_accepted' then analytics_private.check_network__data_sharing_accepted(c.item -> 'payload')
               when 'network.filter_applied' then analytics_private.check_network__filter_applied(c.item -> 'payload')
               when 'network.report_exported' then analytics_private.check_network__report_exported(c.item -> 'payload')
               when 'network.scheduled_report_created' then analytics_private.check_network__scheduled_report_created(c.item -> 'payload')
               when 'network.suppression_notice_shown' then analytics_private.check_network__suppression_notice_shown(c.item -> 'payload')
               when 'practitioner.availability_published' then analytics_private.check_practitioner__availability_published(c.item -> 'payload')
               when 'practitioner.dashboard_viewed' then analytics_private.check_practitioner__dashboard_viewed(c.item -> 'payload')
               when 'practitioner.home_program_assigned' then analytics_private.check_practitioner__home_program_assigned(c.item -> 'payload')
               when 'practitioner.outcome_measure_recorded' then analytics_private.check_practitioner__outcome_measure_recorded(c.item -> 'payload')
               when 'practitioner.progress_report_generated' then analytics_private.check_practitioner__progress_report_generated(c.item -> 'payload')
               when 'practitioner.protocol_created' then analytics_private.check_practitioner__protocol_created(c.item -> 'payload')
               when 'practitioner.protocol_edited' then analytics_private.check_practitioner__protocol_edited(c.item -> 'payload')
               when 'practitioner.protocol_logged' then analytics_private.check_practitioner__protocol_logged(c.item -> 'payload')
               when 'practitioner.subscription_cancelled' then analytics_private.check_practitioner__subscription_cancelled(c.item -> 'payload')
               when 'practitioner.trial_converted' then analytics_private.check_practitioner__trial_converted(c.item -> 'payload')
               when 'practitioner.trial_expired' then analytics_private.check_practitioner__trial_expired(c.item -> 'payload')
               when 'practitioner.trial_started' then analytics_private.check_practitioner__trial_started(c.item -> 'payload')
               when 'system.api_request_completed' then analytics_private.check_system__api_request_completed(c.item -> 'payload')
               when 'system.credential_reset_completed' then analytics_private.check_system__credential_reset_completed(c.item -> 'payload')
               when 'system.error_occurred' then analytics_private.check_system__error_occurred(c.item -> 'payload')
               when 'system.login_failed' then analytics_private.check_system__login_failed(c.item -> 'payload')
               when 'system.login_succeeded' then analytics_private.check_system__login_succeeded(c.item -> 'payload')
               when 'system.logout_completed' then analytics_private.check_system__logout_completed(c.item -> 'payload')
               when 'system.mfa_enrolled' then analytics_private.check_system__mfa_enrolled(c.item -> 'payload')
               when 'system.offline_sync_completed' then analytics_private.check_system__offline_sync_completed(c.item -> 'payload')
               when 'system.screen_loaded' then analytics_private.check_system__screen_loaded(c.item -> 'payload')
               when 'system.sign_in_completed' then analytics_private.check_system__sign_in_completed(c.item -> 'payload')
               when 'system.signup_completed' then analytics_private.check_system__signup_completed(c.item -> 'payload')
             end
           end as payload_result
      from checked as c
  ), judged as (
    select p.pos, p.item, p.event_name, p.known_event,
           coalesce(p.envelope_reason, split_part(p.payload_result, ':', 1)) as reason,
           case
             when p.envelope_reason = 'unknown_envelope_field' then p.stray_key
             when p.envelope_reason is null then nullif(split_part(p.payload_result, ':', 2), '')
           end as field
      from payload as p
  )
  select array_agg(j.pos order by j.pos) filter (where j.reason is null),
         array_agg((j.item ->> 'idempotency_key')::uuid order by j.pos) filter (where j.reason is null),
         array_agg(j.event_name order by j.pos) filter (where j.reason is null),
         array_agg((j.item ->> 'occurred_at')::timestamptz order by j.pos) filter (where j.reason is null),
         array_agg(j.item ->> 'plan_version' order by j.pos) filter (where j.reason is null),
         array_agg(j.item -> 'payload' order by j.pos) filter (where j.reason is null),
         array_agg(j.pos order by j.pos) filter (where j.reason is not null),
         array_agg(j.reason order by j.pos) filter (where j.reason is not null),
         array_agg(j.field order by j.pos) filter (where j.reason is not null),
         -- Counters keep only names the taxonomy knows (the event id, a property of that event), else
         -- '<unknown>': never a name the caller chose (an unknown key can spell out a person).
         array_agg(coalesce(j.known_event, '<unknown>') order by j.pos) filter (where j.reason is not null),
         -- (the event's schema is read only for a rejection that names a field: rare, and large to read)
         array_agg(case when j.field is null then ''
                        when exists (select from analytics.event_types as et
                                      where et.id = j.known_event and (et.payload_schema -> 'properties') ? j.field)
                          then j.field
                        else '<unknown>' end order by j.pos) filter (where j.reason is not null)
    into ok_pos, ok_key, ok_event, ok_time, ok_plan, ok_payload,
         bad_pos, bad_reason, bad_field, bad_event_label, bad_field_label
    from judged as j;

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
    join unnest(stored_pos) as s (pos) on s.pos = v.pos
    order by v.k;

  -- Rejections are counted per day, site, event, reason and field, upserted in a fixed order.
  insert into analytics_private.rejections as r (day, site_id, event_id, reason, field, rejected)
  select (now() at time zone 'UTC')::date, caller_site, b.e, b.r, b.f, count(*)
    from unnest(bad_event_label, bad_reason, bad_field_label) as b (e, r, f)
    group by b.e, b.r, b.f
    order by b.e, b.r, b.f
  on conflict on constraint rejections_counter_key
    do update set rejected = r.rejected + excluded.rejected, last_seen = now();

  -- One entry per input, in input order.
  select coalesce(jsonb_agg(x.entry order by x.pos), '[]'::jsonb) into result
    from (
      select o.pos, jsonb_build_object('index', o.pos,
               'status', case when s.pos is null then 'duplicate' else 'accepted' end, 'reason', null) as entry
        from unnest(ok_pos) as o (pos)
        left join unnest(stored_pos) as s (pos) on s.pos = o.pos
      union all
      select b.pos, jsonb_strip_nulls(jsonb_build_object('index', b.pos, 'status', 'rejected',
               'reason', b.r, 'field', b.f))
        from unnest(bad_pos, bad_reason, bad_field) as b (pos, r, f)
    ) as x;
  return result;
end
$fn$;
