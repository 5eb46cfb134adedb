// Gzipped size of the generated client as an app would ship it (esbuild: bundle, minify, tree-shake).
//   node tools/size.mjs [client folder]   -> a table on stdout, JSON with --json
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const client = resolve(args.find((a) => !a.startsWith('--')) ?? resolve(here, '..', '..', 'generated', 'frontend', 'src', 'lib', 'analytics'));

const entries = {
  'whole client: createTracker, every event': `
    import { createTracker } from './index.ts';
    const tracker = createTracker({ supabase: globalThis.supabase, validation: 'warn' });
    tracker.practitioner.protocolLogged(globalThis.payload);
    globalThis.tracker = tracker;`,
  'one event alone: engine + supabase transport + practitioner.protocol_logged': `
    import { createCoreTracker } from './runtime.ts';
    import { supabaseTransport } from './transports.ts';
    import { trackPractitionerProtocolLogged } from './catalog.ts';
    const core = createCoreTracker({ transport: supabaseTransport(globalThis.supabase), validation: 'warn' });
    trackPractitionerProtocolLogged(core, globalThis.payload);`,
  'types only (events.ts)': `
    import type { AnalyticsEvent } from './events.ts';
    globalThis.x = (e: AnalyticsEvent) => e.event;`,
};

const rows = [];
for (const [name, contents] of Object.entries(entries)) {
  for (const minify of [true, false]) {
    const result = await build({
      stdin: { contents, resolveDir: client, loader: 'ts', sourcefile: 'entry.ts' },
      bundle: true, minify, treeShaking: true, format: 'esm', platform: 'browser', target: 'es2020', write: false,
    });
    const code = result.outputFiles[0].contents;
    const text = new TextDecoder().decode(code);
    const eventIds = [...new Set(text.match(/"[a-z][a-z0-9_]*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)+"/g) ?? [])].sort();
    rows.push({ name, minify, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length, eventIds });
  }
}
if (json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`client: ${client}`);
  for (const r of rows) {
    console.log(`${r.minify ? 'minified' : 'readable'}  ${String(r.bytes).padStart(7)} B  gzip ${String(r.gzip).padStart(6)} B  ${String(r.eventIds.length).padStart(3)} events  ${r.name}`);
  }
}
