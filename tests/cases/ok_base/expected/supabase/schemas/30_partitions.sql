-- Monthly partitions, created ahead of time by a pg_cron job.
-- Rows that reached the default partition for a month are moved into the new partition.

create or replace function analytics_private.ensure_event_partitions(months_ahead integer default 3)
returns integer
language plpgsql
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
revoke all on function analytics_private.ensure_event_partitions(integer) from public, anon, authenticated;
grant execute on function analytics_private.ensure_event_partitions(integer) to service_role;

select analytics_private.ensure_event_partitions();
