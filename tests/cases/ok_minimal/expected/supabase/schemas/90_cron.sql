-- pg_cron jobs owned by this schema: one name per job, so re-running updates in place.

-- keep 3 monthly event partitions ready ahead of now
select cron.schedule('analytics_event_partitions', '17 3 * * *', 'select analytics_private.ensure_event_partitions()');

-- forget idempotency keys of events too old to be accepted again
select cron.schedule('analytics_purge_event_keys', '43 3 * * *', 'delete from analytics_private.event_keys where occurred_at < now() - (interval ''7 days'' + interval ''1 day'')');

-- keep 90 days of rejection counters (storage.rejections_retention)
select cron.schedule('analytics_purge_rejections', '29 3 * * *', 'delete from analytics_private.rejections where day < ((now() at time zone ''UTC'') - interval ''90 days'')::date');

-- keep 7 days of run history, for this schema's jobs only
select cron.schedule('analytics_purge_cron_history', '11 4 * * *', 'delete from cron.job_run_details where end_time < now() - interval ''7 days'' and jobid in (select jobid from cron.job where jobname in (''analytics_event_partitions'', ''analytics_purge_cron_history'', ''analytics_purge_event_keys'', ''analytics_purge_rejections''))');
