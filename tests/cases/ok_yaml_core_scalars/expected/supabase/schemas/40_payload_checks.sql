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

-- consumer.consent_answered
create or replace function analytics_private.check_consumer__consent_answered(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['answer', 'effective_from', 'reminders']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'answer') then return 'missing_property:answer'; end if;
  if not (p ? 'effective_from') then return 'missing_property:effective_from'; end if;
  if not (p ? 'reminders') then return 'missing_property:reminders'; end if;
  if p ? 'answer' then
    if jsonb_typeof(p -> 'answer') is distinct from 'string' then return 'wrong_type:answer'; end if;
    if not ((p ->> 'answer') = any (array['yes', 'no']::text[])) then return 'bad_enum:answer'; end if;
  end if;
  if p ? 'effective_from' then
    if jsonb_typeof(p -> 'effective_from') is distinct from 'string' then return 'wrong_type:effective_from'; end if;
    if (p ->> 'effective_from') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' or not analytics_private.is_date((p ->> 'effective_from')) then return 'bad_format:effective_from'; end if;
  end if;
  if p ? 'reminders' then
    if jsonb_typeof(p -> 'reminders') is distinct from 'string' then return 'wrong_type:reminders'; end if;
    if not ((p ->> 'reminders') = any (array['on', 'off']::text[])) then return 'bad_enum:reminders'; end if;
  end if;
  return null;
end
$fn$;

-- system.page_loaded
create or replace function analytics_private.check_system__page_loaded(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array['cached', 'load_ms']::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
  if not (p ? 'cached') then return 'missing_property:cached'; end if;
  if not (p ? 'load_ms') then return 'missing_property:load_ms'; end if;
  if p ? 'cached' then
    if jsonb_typeof(p -> 'cached') is distinct from 'boolean' then return 'wrong_type:cached'; end if;
  end if;
  if p ? 'load_ms' then
    if jsonb_typeof(p -> 'load_ms') is distinct from 'number' then return 'wrong_type:load_ms'; end if;
    if ((p ->> 'load_ms'))::numeric < 0 then return 'out_of_range:load_ms'; end if;
    if ((p ->> 'load_ms'))::numeric > 15000.0 then return 'out_of_range:load_ms'; end if;
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
    when 'consumer.consent_answered' then return analytics_private.check_consumer__consent_answered(p);
    when 'system.page_loaded' then return analytics_private.check_system__page_loaded(p);
    else return 'unknown_event';
  end case;
end
$fn$;
revoke all on function analytics_private.check_consumer__consent_answered(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.check_system__page_loaded(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.payload_problem(text, jsonb) from public, anon, authenticated;
revoke all on function analytics_private.is_timestamp(text) from public, anon, authenticated;
revoke all on function analytics_private.is_date(text) from public, anon, authenticated;
