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

-- consumer.app_opened
create or replace function analytics_private.check_consumer__app_opened(p jsonb)
returns text
language plpgsql
stable
set search_path = ''
as $fn$
declare
  k text;
begin
  for k in select jsonb_object_keys(p) loop
    if not (k = any (array[]::text[])) then
      return 'unknown_property:' || left(k, 63);
    end if;
  end loop;
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
    when 'consumer.app_opened' then return analytics_private.check_consumer__app_opened(p);
    else return 'unknown_event';
  end case;
end
$fn$;
revoke all on function analytics_private.check_consumer__app_opened(jsonb) from public, anon, authenticated;
revoke all on function analytics_private.payload_problem(text, jsonb) from public, anon, authenticated;
revoke all on function analytics_private.is_timestamp(text) from public, anon, authenticated;
revoke all on function analytics_private.is_date(text) from public, anon, authenticated;
