// Runtime tests of the generated client (node --test): the real engine against a test transport,
// a manual clock, fake page-lifecycle targets and an in-memory Web Storage.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  AnalyticsValidationError,
  DEFAULT_VALIDATION,
  KEEPALIVE_BUDGET_BYTES,
  MAX_BATCH_SIZE,
  PLAN_VERSION,
  bodyBytes,
  createTracker,
  localStorageQueue,
  testTransport,
} from '../../generated/frontend/src/lib/analytics/index.js';
import type { Rejection, SendResult, TrackerOptions, WireEvent } from '../../generated/frontend/src/lib/analytics/index.js';
import {
  FakeTarget,
  ManualClock,
  MemoryStorage,
  networkError,
  protocolLogged,
  screenLoaded,
  sequentialUuid,
  serverError,
  settle,
} from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Overrides = { [K in keyof Omit<TrackerOptions, 'supabase' | 'transport'>]?: TrackerOptions[K] | undefined };

function setup(overrides: Overrides = {}, respond?: (events: readonly WireEvent[], call: number) => SendResult) {
  const clock = new ManualClock();
  const transport = testTransport(respond);
  const rejections: Rejection[] = [];
  const warnings: string[] = [];
  const tracker = createTracker({
    transport,
    clock,
    lifecycle: null,
    validation: 'throw',
    consent: { product: true, system: true },
    uuid: sequentialUuid(),
    random: () => 0.5,
    onReject: (r) => rejections.push(r),
    logger: { warn: (m) => warnings.push(m) },
    ...overrides,
  } as TrackerOptions);
  return { clock, transport, tracker, rejections, warnings };
}

const keysOf = (events: readonly WireEvent[]): string[] => events.map((e) => e.idempotency_key);

describe('batching', () => {
  it('sends full batches at once and the rest after the flush interval', async () => {
    const { clock, transport, tracker } = setup({ batchSize: 3, flushIntervalMs: 5000 });
    for (let i = 0; i < 7; i++) tracker.practitioner.protocolLogged({ ...protocolLogged, stepsCompleted: i });
    await settle();
    assert.deepEqual(transport.calls.map((c) => c.events.length), [3, 3]);
    assert.equal(tracker.pending(), 1);
    await clock.advance(4999);
    assert.equal(transport.calls.length, 2, 'the last event waits for the interval');
    await clock.advance(1);
    assert.deepEqual(transport.calls.map((c) => c.events.length), [3, 3, 1]);
    assert.equal(tracker.pending(), 0);
    assert.deepEqual(transport.calls.flatMap((c) => c.events.map((e) => e.payload['steps_completed'])), [0, 1, 2, 3, 4, 5, 6]);
  });

  it('puts the wire format on every event: snake_case payload, key, time and plan version', async () => {
    const { clock, transport, tracker } = setup({ uuid: undefined });
    tracker.practitioner.protocolLogged(protocolLogged);
    await tracker.flush();
    const [event] = transport.calls[0]?.events ?? [];
    assert.ok(event);
    assert.deepEqual(Object.keys(event).sort(), ['event_id', 'idempotency_key', 'occurred_at', 'payload', 'plan_version']);
    assert.equal(event.event_id, 'practitioner.protocol_logged');
    assert.deepEqual(event.payload, {
      protocol_id: protocolLogged.protocolId, protocol_category: 'post_surgical', logging_mode: 'live',
      steps_completed: 8, session_minutes: 45, visit_mode: 'on_site',
    });
    assert.match(event.idempotency_key, UUID);
    assert.equal(event.occurred_at, new Date(clock.now()).toISOString());
    assert.equal(event.plan_version, PLAN_VERSION);
    assert.match(PLAN_VERSION, /^[A-Za-z0-9._-]{1,64}$/);
  });

  it('never sends more than the database accepts in one call', async () => {
    const { transport, tracker } = setup({ batchSize: 100_000 });
    for (let i = 0; i < MAX_BATCH_SIZE + 7; i++) tracker.track('system.screen_loaded', screenLoaded);
    await tracker.flush();
    assert.deepEqual(transport.calls.map((c) => c.events.length), [MAX_BATCH_SIZE, 7]);
  });
});

describe('retries', () => {
  it('retries network errors and 5xx with exponential backoff, jitter and the same keys', async () => {
    const answers: SendResult[] = [networkError, networkError, serverError];
    const { clock, transport, tracker, rejections } = setup({ batchSize: 2, retryBaseMs: 1000 }, (events, call) =>
      answers[call] ?? { ok: true, results: events.map((_, index) => ({ index, status: 'accepted', reason: null })) });
    tracker.practitioner.protocolLogged(protocolLogged);
    tracker.system.screenLoaded(screenLoaded);
    await settle();
    assert.equal(transport.calls.length, 1);
    // random() = 0.5: each delay is 3/4 of base * 2^(n-1)
    assert.deepEqual(clock.pending(), [750]);
    await clock.advance(750);
    assert.equal(transport.calls.length, 2);
    assert.deepEqual(clock.pending(), [1500]);
    await clock.advance(1500);
    assert.deepEqual(clock.pending(), [3000]);
    await clock.advance(3000);
    assert.equal(transport.calls.length, 4);
    const keys = transport.calls.map((c) => keysOf(c.events));
    assert.ok(keys.every((k) => JSON.stringify(k) === JSON.stringify(keys[0])), 'every try carries the same idempotency keys');
    assert.equal(new Set(keys[0]).size, 2);
    assert.equal(tracker.pending(), 0);
    assert.deepEqual(rejections, []);
  });

  it('keeps the jitter within half and all of the capped delay', async () => {
    for (const [random, expected] of [[0, [500, 1000, 2000, 2500]], [0.999999, [1000, 2000, 4000, 5000]]] as const) {
      const { clock, tracker } = setup({ random: () => random, retryBaseMs: 1000, retryMaxMs: 5000 }, () => networkError);
      tracker.system.screenLoaded(screenLoaded);
      await tracker.flush();
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        const [delay] = clock.pending();
        assert.ok(delay !== undefined);
        seen.push(Math.round(delay));
        await clock.advance(delay);
      }
      assert.deepEqual(seen, expected);
    }
  });

  it('honours Retry-After on 429 and 408 but never retries other 4xx', async () => {
    const { clock, transport, tracker } = setup({}, (events, call) =>
      call === 0 ? { ok: false, status: 429, message: 'slow down', retryAfterMs: 30_000 }
        : call === 1 ? { ok: false, status: 408, message: 'timeout' }
          : { ok: true, results: events.map((_, index) => ({ index, status: 'accepted', reason: null })) });
    tracker.system.screenLoaded(screenLoaded);
    await tracker.flush();
    assert.deepEqual(clock.pending(), [30_000]);
    await clock.advance(30_000);
    await clock.advance(2000);
    assert.equal(transport.calls.length, 3);
    assert.equal(tracker.pending(), 0);

    for (const status of [400, 401, 403, 404, 406, 413]) {
      const t = setup({}, () => ({ ok: false, status, message: 'no' }));
      t.tracker.practitioner.protocolLogged(protocolLogged);
      t.tracker.system.screenLoaded(screenLoaded);
      await t.tracker.flush();
      await t.clock.advance(600_000);
      assert.equal(t.transport.calls.length, 1, `status ${status} is not retried`);
      assert.equal(t.tracker.pending(), 0);
      assert.deepEqual(t.rejections.map((r) => [r.reason, r.stage, r.status]), [
        ['http_error', 'transport', status], ['http_error', 'transport', status]]);
    }
  });

  it('gives up after maxAttempts and reports the events', async () => {
    const { clock, transport, tracker, rejections } = setup({ maxAttempts: 3 }, () => serverError);
    tracker.system.screenLoaded(screenLoaded);
    await tracker.flush();
    await clock.advance(600_000);
    assert.equal(transport.calls.length, 3);
    assert.deepEqual(rejections.map((r) => r.reason), ['retries_exhausted']);
    assert.equal(tracker.pending(), 0);
  });
});

describe('per-event results', () => {
  it('reports rejected rows with their reason and field, counts duplicates as delivered, retries neither', async () => {
    const { clock, transport, tracker, rejections } = setup({ batchSize: 3 }, (events) => ({
      ok: true,
      results: [
        { index: 0, status: 'accepted', reason: null },
        { index: 1, status: 'duplicate', reason: null },
        { index: 2, status: 'rejected', reason: 'tier_not_allowed' },
      ].slice(0, events.length) as SendResult extends { results: infer R } ? R : never,
    }));
    tracker.practitioner.protocolLogged(protocolLogged);
    tracker.practitioner.protocolLogged(protocolLogged);
    tracker.clinic.memberInvited({ invitedRole: 'practitioner', inviteChannel: 'invite_link', pendingInvites: 1 });
    await settle();
    await clock.advance(600_000);
    assert.equal(transport.calls.length, 1);
    assert.equal(tracker.pending(), 0);
    assert.deepEqual(rejections, [{
      eventId: 'clinic.member_invited', idempotencyKey: transport.calls[0]?.events[2]?.idempotency_key ?? '',
      reason: 'tier_not_allowed', stage: 'database',
    }]);
  });
});

describe('page hide', () => {
  it('flushes with keepalive on visibilitychange to hidden and on pagehide', async () => {
    const document = new FakeTarget();
    const window = new FakeTarget();
    const { transport, tracker } = setup({ lifecycle: { document, window }, flushIntervalMs: 60_000 });
    tracker.practitioner.protocolLogged(protocolLogged);
    document.dispatch('visibilitychange');
    await settle();
    assert.equal(transport.calls.length, 0, 'visible: nothing happens');
    document.visibilityState = 'hidden';
    document.dispatch('visibilitychange');
    await settle();
    assert.deepEqual(transport.calls.map((c) => [c.events.length, c.keepalive]), [[1, true]]);
    tracker.system.screenLoaded(screenLoaded);
    window.dispatch('pagehide');
    await settle();
    assert.deepEqual(transport.calls.map((c) => [c.events.length, c.keepalive]), [[1, true], [1, true]]);
    assert.equal(tracker.pending(), 0);
    await tracker.shutdown();
    assert.equal(document.count('visibilitychange') + window.count('pagehide'), 0, 'shutdown removes the listeners');
  });

  it('keeps the keepalive bodies in flight under 64 KiB and leaves the rest queued', async () => {
    const window = new FakeTarget();
    const { transport, tracker } = setup({ lifecycle: { window }, batchSize: 100, flushIntervalMs: 60_000 },
      () => networkError);
    // let the first attempts fail so that 450 events are waiting (none in flight)
    for (let i = 0; i < 450; i++) tracker.practitioner.protocolLogged({ ...protocolLogged, stepsCompleted: i % 100 });
    await settle();
    const before = transport.calls.length;
    window.dispatch('pagehide');
    const hide = transport.calls.slice(before);
    assert.ok(hide.length >= 2, `several chunks expected, got ${hide.length}`);
    assert.ok(hide.every((c) => c.keepalive && c.events.length <= 100));
    const total = hide.reduce((n, c) => n + bodyBytes(c.events), 0);
    assert.ok(total <= KEEPALIVE_BUDGET_BYTES && total <= 64 * 1024, `keepalive bodies ${total} bytes`);
    const sent = hide.reduce((n, c) => n + c.events.length, 0);
    assert.ok(sent < 450, 'not everything fits: the rest stays queued');
    const one = bodyBytes(hide[0]?.events.slice(0, 1) ?? []);
    assert.ok(total + one > KEEPALIVE_BUDGET_BYTES - 1024 || sent === 450, 'the budget is used, not wasted');
    assert.equal(tracker.pending(), 450);
  });
});

describe('consent', () => {
  it('queues and sends nothing without consent, and only the allowed kind', async () => {
    const { clock, transport, tracker } = setup({ consent: undefined });
    assert.deepEqual(tracker.consent, { product: false, system: false });
    tracker.practitioner.protocolLogged(protocolLogged);
    tracker.system.screenLoaded(screenLoaded);
    assert.equal(tracker.pending(), 0);
    await clock.advance(60_000);
    assert.equal(transport.calls.length, 0);

    tracker.setConsent({ system: true });
    tracker.practitioner.protocolLogged(protocolLogged);
    tracker.system.screenLoaded(screenLoaded);
    await tracker.flush();
    assert.deepEqual(transport.calls.flatMap((c) => c.events.map((e) => e.event_id)), ['system.screen_loaded']);
  });

  it('drops the queued events of a kind when its consent is withdrawn', async () => {
    const { transport, tracker } = setup({ flushIntervalMs: 60_000 });
    tracker.practitioner.protocolLogged(protocolLogged);
    tracker.system.screenLoaded(screenLoaded);
    tracker.setConsent({ product: false });
    assert.equal(tracker.pending(), 1);
    await tracker.flush();
    assert.deepEqual(transport.calls.flatMap((c) => c.events.map((e) => e.event_id)), ['system.screen_loaded']);
  });
});

describe('persistent queue', () => {
  it('keeps at most maxEvents (the newest) and survives a reload with the same keys', async () => {
    const storage = new MemoryStorage();
    const store = localStorageQueue({ storage, maxEvents: 5 });
    const first = setup({ store, batchSize: 100, flushIntervalMs: 60_000 }, () => networkError);
    for (let i = 0; i < 8; i++) first.tracker.practitioner.protocolLogged({ ...protocolLogged, stepsCompleted: i });
    const saved = JSON.parse(storage.getItem('trackgen:clinical-platform:queue') ?? '[]') as WireEvent[];
    assert.equal(saved.length, 5);
    assert.deepEqual(saved.map((e) => e.payload['steps_completed']), [3, 4, 5, 6, 7]);
    // the page goes away without delivering: a new page load finds the queue
    const second = setup({ store: localStorageQueue({ storage, maxEvents: 5 }), uuid: () => 'never-used' });
    assert.equal(second.tracker.pending(), 5);
    await second.tracker.flush();
    assert.deepEqual(second.transport.calls.flatMap((c) => keysOf(c.events)), keysOf(saved));
    assert.equal(storage.getItem('trackgen:clinical-platform:queue'), null, 'delivered events leave the store');
  });

  it('stays within maxBytes and ignores a corrupt store', async () => {
    const storage = new MemoryStorage();
    const first = setup({ store: localStorageQueue({ storage, maxBytes: 2000 }), flushIntervalMs: 60_000 });
    for (let i = 0; i < 30; i++) first.tracker.system.screenLoaded(screenLoaded);
    const text = storage.getItem('trackgen:clinical-platform:queue') ?? '';
    assert.ok(text.length > 0 && text.length <= 2000, `stored ${text.length} characters`);
    storage.setItem('trackgen:clinical-platform:queue', '{not json');
    const second = setup({ store: localStorageQueue({ storage }) });
    assert.equal(second.tracker.pending(), 0);
  });

  it('does not restore events the consent at creation no longer allows', () => {
    const storage = new MemoryStorage();
    const first = setup({ store: localStorageQueue({ storage }), flushIntervalMs: 60_000 });
    first.tracker.practitioner.protocolLogged(protocolLogged);
    first.tracker.system.screenLoaded(screenLoaded);
    const second = setup({ store: localStorageQueue({ storage }), consent: { system: true } });
    assert.equal(second.tracker.pending(), 1);
  });
});

describe('validation modes', () => {
  const bad = { ...protocolLogged, visitMode: 'house_call' } as unknown as typeof protocolLogged;

  it('defaults to warn', () => {
    assert.equal(DEFAULT_VALIDATION, 'warn');
  });

  it('throw: refuses at the call with the database reason and field', () => {
    const { tracker } = setup({ validation: 'throw' });
    assert.throws(() => tracker.practitioner.protocolLogged(bad), (e: unknown) =>
      e instanceof AnalyticsValidationError && e.reason === 'bad_enum' && e.field === 'visit_mode');
    const { sessionMinutes: _, ...missing } = protocolLogged;
    assert.throws(() => tracker.track('practitioner.protocol_logged', missing as typeof protocolLogged),
      (e: unknown) => e instanceof AnalyticsValidationError && e.reason === 'missing_property' && e.field === 'session_minutes');
    assert.throws(() => tracker.track('practitioner.protocol_logged', { ...protocolLogged, patientName: 'x' } as typeof protocolLogged),
      (e: unknown) => e instanceof AnalyticsValidationError && e.reason === 'unknown_property' && e.field === 'patientName');
    assert.throws(() => tracker.track('practitioner.nope' as 'practitioner.protocol_logged', protocolLogged),
      (e: unknown) => e instanceof AnalyticsValidationError && e.reason === 'unknown_event');
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    assert.throws(() => tracker.system.signInCompleted({ signInMethod: 'credentials' }),
      (e: unknown) => e instanceof AnalyticsValidationError && e.reason === 'deprecated_event');
    assert.equal(tracker.pending(), 0);
  });

  it('warn: logs, reports and drops; the good event still goes', async () => {
    const { tracker, transport, rejections, warnings } = setup({ validation: 'warn' });
    tracker.practitioner.protocolLogged(bad);
    tracker.practitioner.protocolLogged(protocolLogged);
    await tracker.flush();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /practitioner\.protocol_logged.*bad_enum.*visit_mode/);
    assert.deepEqual(rejections, [{ eventId: 'practitioner.protocol_logged', idempotencyKey: null, reason: 'bad_enum', field: 'visit_mode', stage: 'validation' }]);
    assert.deepEqual(transport.calls.flatMap((c) => c.events.map((e) => e.payload['visit_mode'])), ['on_site']);
  });

  it('off: sends the payload as given and lets the database decide', async () => {
    const { tracker, transport, rejections } = setup({ validation: 'off' });
    tracker.practitioner.protocolLogged(bad);
    await tracker.flush();
    assert.deepEqual(transport.calls.flatMap((c) => c.events.map((e) => e.payload['visit_mode'])), ['house_call']);
    assert.deepEqual(rejections, []);
  });
});

describe('supabase-js transport', () => {
  it('sends through supabase.schema().rpc() and gives page-hide requests keepalive via keepaliveFetch', async () => {
    const { createClient } = await import('@supabase/supabase-js');
    const { keepaliveFetch } = await import('../../generated/frontend/src/lib/analytics/index.js');
    const seen: { url: string; keepalive: boolean; profile: string | null; body: string }[] = [];
    const recording = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      const body = String(init?.body ?? '');
      seen.push({ url: String(input), keepalive: init?.keepalive === true, profile: headers.get('Content-Profile'), body });
      const events = (JSON.parse(body) as { events: unknown[] }).events;
      const results = events.map((_, index) => ({ index, status: 'accepted', reason: null }));
      return new Response(JSON.stringify(results), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }) as typeof fetch;
    const supabase = createClient('http://127.0.0.1:9', 'anon-key', {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { fetch: keepaliveFetch(recording) },
    });
    const window = new FakeTarget();
    const tracker = createTracker({ supabase, lifecycle: { window }, validation: 'throw', consent: { product: true, system: true }, flushIntervalMs: 60_000 });
    tracker.practitioner.protocolLogged(protocolLogged);
    await tracker.flush();
    tracker.system.screenLoaded(screenLoaded);
    window.dispatch('pagehide');
    for (let i = 0; i < 20 && tracker.pending() > 0; i++) await settle();
    assert.deepEqual(seen.map((s) => [s.url, s.keepalive, s.profile]), [
      ['http://127.0.0.1:9/rest/v1/rpc/track_events', false, 'analytics'],
      ['http://127.0.0.1:9/rest/v1/rpc/track_events', true, 'analytics'],
    ]);
    assert.equal(tracker.pending(), 0);
    await tracker.shutdown();
  });
});
