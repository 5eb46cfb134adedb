-- Controlled reference tables: tiers and event types, seeded from the taxonomy.
-- Rows are upserted, never deleted: a removed event would orphan stored events.

create table if not exists analytics.tiers (
  name text primary key check (name ~ '^[a-z][a-z0-9_]*$'),
  rank integer not null,
  is_system boolean not null default false,
  description text not null
);
comment on table analytics.tiers is 'Caller tiers, lowest rank first; system events are accepted from any tier.';

create table if not exists analytics.event_types (
  id text primary key check (id ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9]*(_[a-z0-9]+)+$'),
  tier text not null references analytics.tiers (name),
  description text not null,
  owner text not null,
  status text not null check (status in ('active', 'deprecated')),
  schema_version text not null check (schema_version ~ '^[1-9][0-9]*-[0-9]+-[0-9]+$'),
  replaced_by text references analytics.event_types (id),
  payload_schema jsonb not null
);
comment on table analytics.event_types is 'Controlled event ids; events reference this table. Never deleted, only deprecated.';
create index if not exists event_types_tier_idx on analytics.event_types (tier);

insert into analytics.tiers (name, rank, is_system, description) values
  ('consumer', 1, false, 'Free plan with self-care tools anyone can use.'),
  ('practitioner', 2, false, 'Pro plan for an individual practitioner who logs protocols.'),
  ('clinic', 3, false, 'Clinic plan for a team sharing one site.'),
  ('system', 4, true, 'Platform events accepted from a caller of any tier.')
on conflict (name) do update
  set rank = excluded.rank, is_system = excluded.is_system, description = excluded.description;

insert into analytics.event_types (id, tier, description, owner, status, schema_version, replaced_by, payload_schema) values
  ('clinic.protocol_shared', 'clinic', 'A protocol template was shared with the rest of the clinic team.', 'collaboration', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:clinic.protocol_shared:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A protocol template was shared with the rest of the clinic team.","examples":[{"recipients_count":4,"share_scope":"team"}],"properties":{"recipients_count":{"description":"Number of colleagues who received the protocol.","maximum":100,"minimum":1,"type":"integer"},"share_scope":{"description":"Who the protocol was shared with.","enum":["team","site"],"type":"string"}},"required":["recipients_count","share_scope"],"title":"clinic.protocol_shared","type":"object","x-trackgen":{"owner":"collaboration","status":"active","tier":"clinic","version":"1-0-0"}}'::jsonb),
  ('consumer.feature_used', 'consumer', 'A free feature surface was opened and used.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:consumer.feature_used:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A free feature surface was opened and used.","examples":[{"feature":"check_in","platform":"web"},{"feature":"goals","platform":"ios"}],"properties":{"feature":{"description":"Which free feature surface was used.","enum":["check_in","exercise_library","goals"],"type":"string"},"platform":{"description":"Client the feature was used on.","enum":["web","ios","android"],"type":"string"}},"required":["feature","platform"],"title":"consumer.feature_used","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('consumer.goal_completed', 'consumer', 'A self-care goal was marked as completed.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:consumer.goal_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A self-care goal was marked as completed.","examples":[{"goal_kind":"habit","streak_days":12}],"properties":{"goal_kind":{"description":"Kind of goal that was completed.","enum":["mobility","strength","habit"],"type":"string"},"streak_days":{"description":"Consecutive days the goal was worked on, capped at 365.","maximum":365,"minimum":0,"type":"integer"}},"required":["goal_kind","streak_days"],"title":"consumer.goal_completed","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"consumer","version":"1-0-0"}}'::jsonb),
  ('practitioner.protocol_logged', 'practitioner', 'A treatment protocol session was logged by a practitioner.', 'clinical-product', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:practitioner.protocol_logged:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A treatment protocol session was logged by a practitioner.","examples":[{"exercise_count":12,"logging_mode":"live","protocol_ref":"prt_0a1b2c3d","tags":["mobility"]},{"exercise_count":3,"logging_mode":"bulk_import","notes_attached":true,"protocol_ref":"prt_99887766","tags":[]}],"properties":{"exercise_count":{"description":"Number of exercises in the logged session.","maximum":50,"minimum":1,"type":"integer"},"logging_mode":{"description":"How the session was logged.","enum":["live","after_session","bulk_import"],"type":"string"},"notes_attached":{"description":"True when free-form session notes exist (their text is never sent).","type":"boolean"},"protocol_ref":{"description":"Opaque reference of the protocol template used.","pattern":"^prt_[0-9a-f]{8}$","type":"string"},"tags":{"description":"Categories of the protocol, from a fixed list.","items":{"enum":["mobility","strength","balance","cardio"],"type":"string"},"maxItems":5,"type":"array","uniqueItems":true}},"required":["exercise_count","logging_mode","protocol_ref","tags"],"title":"practitioner.protocol_logged","type":"object","x-trackgen":{"owner":"clinical-product","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('practitioner.trial_started', 'practitioner', 'A free trial of the pro plan was started.', 'growth', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:practitioner.trial_started:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A free trial of the pro plan was started.","examples":[{"trial_length_days":14}],"properties":{"trial_length_days":{"description":"Length of the trial that was granted, in days.","maximum":60,"minimum":1,"type":"integer"}},"required":["trial_length_days"],"title":"practitioner.trial_started","type":"object","x-trackgen":{"owner":"growth","status":"active","tier":"practitioner","version":"1-0-0"}}'::jsonb),
  ('system.api_request_completed', 'system', 'An API request finished, successfully or not.', 'platform-reliability', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:system.api_request_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"An API request finished, successfully or not.","examples":[{"duration_ms":42.5,"endpoint_group":"protocols","request_id":"3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6b"}],"properties":{"duration_ms":{"description":"Server-side duration of the request in milliseconds.","maximum":600000,"minimum":0,"type":"number"},"endpoint_group":{"description":"Coarse group of the endpoint that served the request.","enum":["auth","protocols","sharing","reports"],"type":"string"},"request_id":{"description":"Random id of the request, for joining with server logs.","format":"uuid","type":"string"}},"required":["duration_ms","endpoint_group","request_id"],"title":"system.api_request_completed","type":"object","x-trackgen":{"owner":"platform-reliability","status":"active","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.session_pinged', 'system', 'A keep-alive ping from an open session; superseded by request timings.', 'platform-reliability', 'deprecated', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:system.session_pinged:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"deprecated":true,"description":"A keep-alive ping from an open session; superseded by request timings.","examples":[{"idle_seconds":30}],"properties":{"idle_seconds":{"description":"Seconds since the last user interaction.","maximum":86400,"minimum":0,"type":"integer"}},"required":["idle_seconds"],"title":"system.session_pinged","type":"object","x-trackgen":{"owner":"platform-reliability","status":"deprecated","tier":"system","version":"1-0-0"}}'::jsonb),
  ('system.signup_completed', 'system', 'A new sign-up finished and its first session started.', 'identity', 'active', '1-0-0', null, '{"$id":"urn:trackgen:golden-clinic:event:system.signup_completed:1-0-0","$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"description":"A new sign-up finished and its first session started.","examples":[{"auth_method":"google_sso","invited":false}],"properties":{"auth_method":{"description":"How the new identity authenticates.","enum":["credentials","google_sso","magic_link"],"type":"string"},"invited":{"description":"True when the sign-up came from a clinic invitation.","type":"boolean"}},"required":["auth_method","invited"],"title":"system.signup_completed","type":"object","x-trackgen":{"owner":"identity","status":"active","tier":"system","version":"1-0-0"}}'::jsonb)
on conflict (id) do update
  set description = excluded.description, owner = excluded.owner, status = excluded.status,
      schema_version = excluded.schema_version, payload_schema = excluded.payload_schema;
update analytics.event_types set replaced_by = 'system.api_request_completed' where id = 'system.session_pinged';

alter table analytics.tiers enable row level security;
alter table analytics.event_types enable row level security;
revoke all on analytics.tiers, analytics.event_types from public, anon, authenticated;
grant select on analytics.tiers, analytics.event_types to anon, authenticated;
grant all on analytics.tiers, analytics.event_types to service_role;
drop policy if exists tiers_read on analytics.tiers;
create policy tiers_read on analytics.tiers for select to anon, authenticated using (true);
drop policy if exists event_types_read on analytics.event_types;
create policy event_types_read on analytics.event_types for select to anon, authenticated using (true);
drop policy if exists tiers_service on analytics.tiers;
create policy tiers_service on analytics.tiers for all to service_role using (true) with check (true);
drop policy if exists event_types_service on analytics.event_types;
create policy event_types_service on analytics.event_types for all to service_role using (true) with check (true);
