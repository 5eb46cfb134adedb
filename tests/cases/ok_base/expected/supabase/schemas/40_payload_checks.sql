-- Payload validation, one function per event, generated from the event's JSON Schema.
-- Each returns null for a valid payload, else 'reason' or 'reason:field' (never a value).

create or replace function analytics_private.is_timestamp(value text)
returns boolean
language plpgsql
stable
set search_path = ''
as $fn$
begin
  perform value::timestamptz;
  return true;
exception when others then
  return false;
end
$fn$;

create or replace function analytics_private.is_date(value text)
returns boolean
language plpgsql
stable
set search_path = ''
as $fn$
begin
  perform to_date(value, 'YYYY-MM-DD');
  return to_char(to_date(value, 'YYYY-MM-DD'), 'YYYY-MM-DD') = value;
exception when others then
  return false;
end
$fn$;

-- clinic.protocol_shared
create or replace function analytics_private.check_clinic__protocol_shared(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['recipients_count', 'share_scope']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'recipients_count') then return 'missing_property:recipients_count'; end if;
  if not (p ? 'share_scope') then return 'missing_property:share_scope'; end if;
  if p ? 'recipients_count' then
    if jsonb_typeof(p -> 'recipients_count') is distinct from 'number' then return 'wrong_type:recipients_count'; end if;
    if ((p ->> 'recipients_count'))::numeric % 1 <> 0 then return 'wrong_type:recipients_count'; end if;
    if ((p ->> 'recipients_count'))::numeric < 1 then return 'out_of_range:recipients_count'; end if;
    if ((p ->> 'recipients_count'))::numeric > 100 then return 'out_of_range:recipients_count'; end if;
  end if;
  if p ? 'share_scope' then
    if jsonb_typeof(p -> 'share_scope') is distinct from 'string' then return 'wrong_type:share_scope'; end if;
    if not ((p ->> 'share_scope') = any (array['team', 'site']::text[])) then return 'bad_enum:share_scope'; end if;
  end if;
  return null;
end
$fn$;

-- consumer.feature_used
create or replace function analytics_private.check_consumer__feature_used(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['feature', 'platform']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'feature') then return 'missing_property:feature'; end if;
  if not (p ? 'platform') then return 'missing_property:platform'; end if;
  if p ? 'feature' then
    if jsonb_typeof(p -> 'feature') is distinct from 'string' then return 'wrong_type:feature'; end if;
    if not ((p ->> 'feature') = any (array['check_in', 'exercise_library', 'goals']::text[])) then return 'bad_enum:feature'; end if;
  end if;
  if p ? 'platform' then
    if jsonb_typeof(p -> 'platform') is distinct from 'string' then return 'wrong_type:platform'; end if;
    if not ((p ->> 'platform') = any (array['web', 'ios', 'android']::text[])) then return 'bad_enum:platform'; end if;
  end if;
  return null;
end
$fn$;

-- consumer.goal_completed
create or replace function analytics_private.check_consumer__goal_completed(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['goal_kind', 'streak_days']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'goal_kind') then return 'missing_property:goal_kind'; end if;
  if not (p ? 'streak_days') then return 'missing_property:streak_days'; end if;
  if p ? 'goal_kind' then
    if jsonb_typeof(p -> 'goal_kind') is distinct from 'string' then return 'wrong_type:goal_kind'; end if;
    if not ((p ->> 'goal_kind') = any (array['mobility', 'strength', 'habit']::text[])) then return 'bad_enum:goal_kind'; end if;
  end if;
  if p ? 'streak_days' then
    if jsonb_typeof(p -> 'streak_days') is distinct from 'number' then return 'wrong_type:streak_days'; end if;
    if ((p ->> 'streak_days'))::numeric % 1 <> 0 then return 'wrong_type:streak_days'; end if;
    if ((p ->> 'streak_days'))::numeric < 0 then return 'out_of_range:streak_days'; end if;
    if ((p ->> 'streak_days'))::numeric > 365 then return 'out_of_range:streak_days'; end if;
  end if;
  return null;
end
$fn$;

-- practitioner.protocol_logged
create or replace function analytics_private.check_practitioner__protocol_logged(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['exercise_count', 'logging_mode', 'notes_attached', 'protocol_ref', 'tags']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'exercise_count') then return 'missing_property:exercise_count'; end if;
  if not (p ? 'logging_mode') then return 'missing_property:logging_mode'; end if;
  if not (p ? 'protocol_ref') then return 'missing_property:protocol_ref'; end if;
  if not (p ? 'tags') then return 'missing_property:tags'; end if;
  if p ? 'exercise_count' then
    if jsonb_typeof(p -> 'exercise_count') is distinct from 'number' then return 'wrong_type:exercise_count'; end if;
    if ((p ->> 'exercise_count'))::numeric % 1 <> 0 then return 'wrong_type:exercise_count'; end if;
    if ((p ->> 'exercise_count'))::numeric < 1 then return 'out_of_range:exercise_count'; end if;
    if ((p ->> 'exercise_count'))::numeric > 50 then return 'out_of_range:exercise_count'; end if;
  end if;
  if p ? 'logging_mode' then
    if jsonb_typeof(p -> 'logging_mode') is distinct from 'string' then return 'wrong_type:logging_mode'; end if;
    if not ((p ->> 'logging_mode') = any (array['live', 'after_session', 'bulk_import']::text[])) then return 'bad_enum:logging_mode'; end if;
  end if;
  if p ? 'notes_attached' then
    if jsonb_typeof(p -> 'notes_attached') is distinct from 'boolean' then return 'wrong_type:notes_attached'; end if;
  end if;
  if p ? 'protocol_ref' then
    if jsonb_typeof(p -> 'protocol_ref') is distinct from 'string' then return 'wrong_type:protocol_ref'; end if;
    if (p ->> 'protocol_ref') !~ '^prt_[0-9a-f]{8}$' then return 'bad_pattern:protocol_ref'; end if;
  end if;
  if p ? 'tags' then
    if jsonb_typeof(p -> 'tags') is distinct from 'array' then return 'wrong_type:tags'; end if;
    if jsonb_array_length(p -> 'tags') > 5 then return 'too_many_items:tags'; end if;
    if (select count(distinct e) <> count(*) from jsonb_array_elements(p -> 'tags') as e) then return 'duplicate_items:tags'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'tags') as e where jsonb_typeof(e) is distinct from 'string') then return 'wrong_type:tags'; end if;
    if exists (select 1 from jsonb_array_elements(p -> 'tags') as e where not ((e #>> '{}') = any (array['mobility', 'strength', 'balance', 'cardio']::text[]))) then return 'bad_enum:tags'; end if;
  end if;
  return null;
end
$fn$;

-- practitioner.trial_started
create or replace function analytics_private.check_practitioner__trial_started(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['trial_length_days']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'trial_length_days') then return 'missing_property:trial_length_days'; end if;
  if p ? 'trial_length_days' then
    if jsonb_typeof(p -> 'trial_length_days') is distinct from 'number' then return 'wrong_type:trial_length_days'; end if;
    if ((p ->> 'trial_length_days'))::numeric % 1 <> 0 then return 'wrong_type:trial_length_days'; end if;
    if ((p ->> 'trial_length_days'))::numeric < 1 then return 'out_of_range:trial_length_days'; end if;
    if ((p ->> 'trial_length_days'))::numeric > 60 then return 'out_of_range:trial_length_days'; end if;
  end if;
  return null;
end
$fn$;

-- system.api_request_completed
create or replace function analytics_private.check_system__api_request_completed(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['duration_ms', 'endpoint_group', 'request_id']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'duration_ms') then return 'missing_property:duration_ms'; end if;
  if not (p ? 'endpoint_group') then return 'missing_property:endpoint_group'; end if;
  if not (p ? 'request_id') then return 'missing_property:request_id'; end if;
  if p ? 'duration_ms' then
    if jsonb_typeof(p -> 'duration_ms') is distinct from 'number' then return 'wrong_type:duration_ms'; end if;
    if ((p ->> 'duration_ms'))::numeric < 0 then return 'out_of_range:duration_ms'; end if;
    if ((p ->> 'duration_ms'))::numeric > 600000 then return 'out_of_range:duration_ms'; end if;
  end if;
  if p ? 'endpoint_group' then
    if jsonb_typeof(p -> 'endpoint_group') is distinct from 'string' then return 'wrong_type:endpoint_group'; end if;
    if not ((p ->> 'endpoint_group') = any (array['auth', 'protocols', 'sharing', 'reports']::text[])) then return 'bad_enum:endpoint_group'; end if;
  end if;
  if p ? 'request_id' then
    if jsonb_typeof(p -> 'request_id') is distinct from 'string' then return 'wrong_type:request_id'; end if;
    if (p ->> 'request_id') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then return 'bad_format:request_id'; end if;
  end if;
  return null;
end
$fn$;

-- system.session_pinged
create or replace function analytics_private.check_system__session_pinged(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['idle_seconds']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'idle_seconds') then return 'missing_property:idle_seconds'; end if;
  if p ? 'idle_seconds' then
    if jsonb_typeof(p -> 'idle_seconds') is distinct from 'number' then return 'wrong_type:idle_seconds'; end if;
    if ((p ->> 'idle_seconds'))::numeric % 1 <> 0 then return 'wrong_type:idle_seconds'; end if;
    if ((p ->> 'idle_seconds'))::numeric < 0 then return 'out_of_range:idle_seconds'; end if;
    if ((p ->> 'idle_seconds'))::numeric > 86400 then return 'out_of_range:idle_seconds'; end if;
  end if;
  return null;
end
$fn$;

-- system.signup_completed
create or replace function analytics_private.check_system__signup_completed(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['auth_method', 'invited']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'auth_method') then return 'missing_property:auth_method'; end if;
  if not (p ? 'invited') then return 'missing_property:invited'; end if;
  if p ? 'auth_method' then
    if jsonb_typeof(p -> 'auth_method') is distinct from 'string' then return 'wrong_type:auth_method'; end if;
    if not ((p ->> 'auth_method') = any (array['credentials', 'google_sso', 'magic_link']::text[])) then return 'bad_enum:auth_method'; end if;
  end if;
  if p ? 'invited' then
    if jsonb_typeof(p -> 'invited') is distinct from 'boolean' then return 'wrong_type:invited'; end if;
  end if;
  return null;
end
$fn$;

-- Dispatch by event id; unknown ids never reach here (track_events checks event_types first).
create or replace function analytics_private.payload_problem(event_id text, p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
begin
  case event_id
    when 'clinic.protocol_shared' then return analytics_private.check_clinic__protocol_shared(p);
    when 'consumer.feature_used' then return analytics_private.check_consumer__feature_used(p);
    when 'consumer.goal_completed' then return analytics_private.check_consumer__goal_completed(p);
    when 'practitioner.protocol_logged' then return analytics_private.check_practitioner__protocol_logged(p);
    when 'practitioner.trial_started' then return analytics_private.check_practitioner__trial_started(p);
    when 'system.api_request_completed' then return analytics_private.check_system__api_request_completed(p);
    when 'system.session_pinged' then return analytics_private.check_system__session_pinged(p);
    when 'system.signup_completed' then return analytics_private.check_system__signup_completed(p);
    else return 'unknown_event';
  end case;
end
$fn$;
revoke all on function analytics_private.check_clinic__protocol_shared(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_consumer__feature_used(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_consumer__goal_completed(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_practitioner__protocol_logged(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_practitioner__trial_started(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_system__api_request_completed(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_system__session_pinged(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_system__signup_completed(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.payload_problem(text, jsonb) from public, anon, authenticated;
revoke all on function analytics_private.is_timestamp(text) from public, anon, authenticated;
revoke all on function analytics_private.is_date(text) from public, anon, authenticated;
