-- trackgen migration 20261201053255: KPIs stickiness_dau_28d; core objects.
-- Generated from taxonomy/ as the difference from the released catalog. Do not edit.
set lock_timeout = '5s';
set statement_timeout = '5min';

-- KPI stickiness_dau_28d
create or replace function analytics.kpi_stickiness_dau_28d_live("from" date, "to" date)
returns table (site_id uuid, period date, tier text, numerator bigint, denominator bigint, value numeric, as_of timestamptz)
language sql
stable
security invoker
set search_path = ''
as $fn$
  select x.*,
         (select f.refreshed_at from analytics_private.kpi_freshness() as f where f.kpi = 'stickiness_dau_28d') as as_of
  from (  select keys.site_id, keys.period, keys.tier,
         coalesce(n.value, 0) as numerator, coalesce(d.value, 0) as denominator,
         coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value
  from (select n.site_id, n.period, n.tier from analytics_private.kpi_daily_active_actors_between("from", "to") as n
        union
        select d.site_id, d.period, d.tier from analytics_private.kpi_active_actors_28d_between("from", "to") as d) as keys
  left join analytics_private.kpi_daily_active_actors_between("from", "to") as n on keys.site_id = n.site_id and keys.period = n.period and keys.tier is not distinct from n.tier
  left join analytics_private.kpi_active_actors_28d_between("from", "to") as d on keys.site_id = d.site_id and keys.period = d.period and keys.tier is not distinct from d.tier
  where ((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic', 'network']::text[])) as x;
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
