-- trackgen migration 20261201055535: core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';
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
