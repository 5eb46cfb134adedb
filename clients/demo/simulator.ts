// The demo's traffic simulator: live events through the generated tracking client and the real
// supabase-js, into analytics.track_events (tools/demo.py starts it, bundled by esbuild).
//   node --experimental-websocket simulator.js <config.json>
// Prints one JSON line a second: {"tracked", "rejected", "pending"}; ends after `count` events
// (when given) once everything was delivered, or on SIGTERM/SIGINT after a last flush.
import { readFileSync } from 'node:fs';

import { createClient } from '@supabase/supabase-js';

import { createTracker, EVENTS } from '../../generated/frontend/src/lib/analytics/index.js';
import type { EventId, Tracker } from '../../generated/frontend/src/lib/analytics/index.js';

interface Actor {
  token: string;
  events: string[];
}

interface Config {
  url: string;
  anonKey: string;
  /** events per second, over all actors */
  rate: number;
  /** stop after this many events (null: run until stopped) */
  count: number | null;
  batchSize: number;
  flushIntervalMs: number;
  actors: Actor[];
  /** wire-format example payloads per event id */
  payloads: Record<string, Record<string, unknown>[]>;
  seed: number;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Config;
let state = config.seed >>> 0 || 1;
const random = (): number => {
  // xorshift32: deterministic by seed, so a test run is reproducible
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** A wire payload (snake_case keys of the JSON Schema) as the typed client's camelCase payload. */
function camel(eventId: string, wire: Record<string, unknown>): Record<string, unknown> {
  const definition = (EVENTS as Record<string, { properties: readonly { name: string; key: string }[] }>)[eventId];
  const out: Record<string, unknown> = {};
  for (const p of definition?.properties ?? []) if (p.name in wire) out[p.key] = wire[p.name];
  return out;
}

let tracked = 0;
let rejected = 0;
const trackers: Tracker[] = config.actors.map((actor) => createTracker({
  supabase: createClient(config.url, config.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${actor.token}` } },
  }),
  validation: 'throw',
  consent: { product: true, system: true },
  lifecycle: null,
  batchSize: config.batchSize,
  flushIntervalMs: config.flushIntervalMs,
  onReject: () => { rejected += 1; },
  logger: { warn: () => undefined },
}));

const pending = (): number => trackers.reduce((n, t) => n + t.pending(), 0);
const report = (): void => {
  process.stdout.write(JSON.stringify({ tracked, rejected, pending: pending() }) + '\n');
};

let stopping = false;
const started = Date.now();
const tick = 100;
let timer: ReturnType<typeof setInterval> | null = setInterval(() => {
  const due = Math.min(config.count ?? Infinity, Math.floor(((Date.now() - started) / 1000) * config.rate));
  while (tracked < due && !stopping) {
    const i = Math.floor(random() * trackers.length);
    const actor = config.actors[i] as Actor;
    const eventId = pick(actor.events);
    const payload = camel(eventId, pick(config.payloads[eventId] ?? [{}]));
    (trackers[i] as Tracker).track(eventId as EventId, payload as never);
    tracked += 1;
  }
  if (config.count !== null && tracked >= config.count) void finish();
}, tick);
const reporter = setInterval(report, 1000);

async function finish(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (timer !== null) clearInterval(timer);
  timer = null;
  const deadline = Date.now() + 20_000;
  await Promise.all(trackers.map((t) => t.flush()));
  while (pending() > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(trackers.map((t) => t.flush()));
  }
  await Promise.all(trackers.map((t) => t.shutdown()));
  clearInterval(reporter);
  report();
  process.exit(0);
}

process.on('SIGTERM', () => void finish());
process.on('SIGINT', () => void finish());
