// Bundle one entry point with its npm imports into a single ES module (the demo's page script and
// traffic simulator): everything comes from clients/node_modules, nothing from a CDN.
//   node tools/bundle.mjs <entry.ts> <out.js> browser|node
import { build } from 'esbuild';
import { resolve } from 'node:path';

const [entry, out, platform] = process.argv.slice(2);
if (!entry || !out || (platform !== 'browser' && platform !== 'node')) {
  console.error('usage: node tools/bundle.mjs <entry.ts> <out.js> browser|node');
  process.exit(2);
}
await build({
  entryPoints: [resolve(entry)],
  outfile: resolve(out),
  bundle: true,
  format: 'esm',
  platform,
  target: platform === 'node' ? 'node20' : 'es2020',
  minify: platform === 'browser',
  logLevel: 'warning',
  // supabase-js's Node build pulls `ws` lazily for realtime, which the simulator never opens
  external: platform === 'node' ? ['ws', 'bufferutil', 'utf-8-validate'] : [],
});
