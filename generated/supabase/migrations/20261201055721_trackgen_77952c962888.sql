-- trackgen migration 20261201055721: KPIs api_server_error_rate, clinic_collaboration_adoption, consumer_feature_adoption, error_rate, network_analytics_adoption, protocol_logging_adoption, stickiness_dau_28d.
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
