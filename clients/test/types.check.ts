// Type tests: each @ts-expect-error names the TypeScript error the line must produce
// (tools/diagnostics.mjs checks the codes; plain tsc checks that every line errs).
import { createTracker, testTransport, trackPractitionerProtocolLogged, createCoreTracker } from '../../generated/frontend/src/lib/analytics/index.js';
import type { AnalyticsEvent, EventId, PayloadOf } from '../../generated/frontend/src/lib/analytics/index.js';
import { createClient } from '@supabase/supabase-js';

const tracker = createTracker({ transport: testTransport(), validation: 'throw' });
const ok = {
  protocolId: '0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f',
  protocolCategory: 'post_surgical',
  loggingMode: 'live',
  stepsCompleted: 8,
  sessionMinutes: 45,
  visitMode: 'on_site',
} as const;

// accepted: the right payloads
tracker.practitioner.protocolLogged(ok);
tracker.track('practitioner.protocol_logged', ok);
tracker.consumer.articleViewed({ topic: 'sleep', contentFormat: 'video' }); // scrollDepthPercent is optional
trackPractitionerProtocolLogged(createCoreTracker({ transport: testTransport() }), ok);

// a real supabase-js client fits the supabase option
createTracker({ supabase: createClient('http://localhost:54321', 'anon-key'), validation: 'warn' });

// @ts-expect-error TS2561 wrong property name (with "did you mean")
tracker.practitioner.protocolLogged({ ...ok, sessionMinute: 45 });
// @ts-expect-error TS2561 a snake_case (wire) name is not the TypeScript name
tracker.practitioner.protocolLogged({ ...ok, session_minutes: 45 });
const { sessionMinutes: _dropped, ...missing } = ok;
// @ts-expect-error TS2345 missing required property
tracker.practitioner.protocolLogged(missing);
// @ts-expect-error TS2322 bad enum value
tracker.practitioner.protocolLogged({ ...ok, visitMode: 'house_call' });
// @ts-expect-error TS2322 wrong value type
tracker.practitioner.protocolLogged({ ...ok, stepsCompleted: '8' });
// @ts-expect-error TS2322 bad enum value through track()
tracker.track('practitioner.protocol_logged', { ...ok, loggingMode: 'later' });
// @ts-expect-error TS2345 unknown event id
tracker.track('practitioner.teleport_started', {});
// @ts-expect-error TS2339 unknown event function
tracker.practitioner.teleportStarted({});
// @ts-expect-error TS2322 array items are enum values too
tracker.practitioner.protocolEdited({ changeKinds: ['steps_added', 'rewritten'], protocolId: ok.protocolId, templateVersion: 2 });
// @ts-expect-error TS2353 the site never travels in the payload
tracker.consumer.articleViewed({ topic: 'sleep', contentFormat: 'video', siteId: 'x' });
// @ts-expect-error TS2322 validation mode is one of three
createTracker({ transport: testTransport(), validation: 'strict' });
// @ts-expect-error TS2345 a transport or a supabase client is required
createTracker({ validation: 'warn' });

// the union discriminates on `event`
function payloadOf(e: AnalyticsEvent): number | undefined {
  if (e.event === 'practitioner.protocol_logged') return e.payload.sessionMinutes;
  // @ts-expect-error TS2339 after narrowing, another event's property is not there
  if (e.event === 'consumer.article_viewed') return e.payload.sessionMinutes;
  return undefined;
}
void payloadOf;
const id: EventId = 'system.screen_loaded';
const screen: PayloadOf<typeof id> = { screen: 'protocol_editor', platform: 'web', loadMs: 3, coldStart: true };
void screen;
