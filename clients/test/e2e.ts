// End-to-end driver: the generated client with the real supabase-js (or the fetch transport),
// against the gateway that tests/client/test_e2e.py starts in front of a real PostgreSQL.
//   node e2e.js '<json config>'   -> prints {"rejections": [...], "pending": n} on stdout
import { createClient } from '@supabase/supabase-js';

import { createTracker, fetchTransport, keepaliveFetch } from '../../generated/frontend/src/lib/analytics/index.js';
import type { EventId, Rejection, Tracker, ValidationMode } from '../../generated/frontend/src/lib/analytics/index.js';

interface Config {
  url: string;
  anonKey: string;
  token: string;
  transport: 'supabase' | 'fetch';
  validation: ValidationMode;
  calls: [tier: string, method: string, payload: object][];
  tracks: [id: string, payload: object][];
  batchSize?: number;
  retryBaseMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const rejections: Rejection[] = [];
const common = {
  validation: config.validation,
  consent: { product: true, system: true },
  lifecycle: null,
  retryBaseMs: config.retryBaseMs ?? 50,
  batchSize: config.batchSize ?? 100,
  onReject: (r: Rejection) => rejections.push(r),
  logger: { warn: () => undefined },
};
let tracker: Tracker;
if (config.transport === 'fetch') {
  tracker = createTracker({ ...common, transport: fetchTransport({ url: `${config.url}/rest/v1`, apiKey: config.anonKey, accessToken: () => config.token }) });
} else {
  const supabase = createClient(config.url, config.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${config.token}` }, fetch: keepaliveFetch() },
  });
  tracker = createTracker({ ...common, supabase });
}

const namespaces = tracker as unknown as Record<string, Record<string, (payload: object) => void>>;
for (const [tier, method, payload] of config.calls) {
  const fn = namespaces[tier]?.[method];
  if (fn === undefined) throw new Error(`no tracker.${tier}.${method}`);
  fn(payload);
}
for (const [id, payload] of config.tracks) tracker.track(id as EventId, payload as never);

const deadline = Date.now() + 30_000;
await tracker.flush();
while (tracker.pending() > 0 && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 25));
  await tracker.flush();
}
const pending = tracker.pending();
await tracker.shutdown();
process.stdout.write(JSON.stringify({ rejections, pending }) + '\n');
