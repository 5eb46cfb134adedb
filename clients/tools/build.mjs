// Transpile the TypeScript tests and the generated client to ES modules for Node's test runner.
//   node tools/build.mjs <outdir> <file.ts>...   (paths relative to the repository root are kept under outdir)
// Type checking is tsc's job (tsconfig.json); this only strips types, fast.
import { build } from 'esbuild';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [outdir, ...entries] = process.argv.slice(2);
if (!outdir || entries.length === 0) {
  console.error('usage: node tools/build.mjs <outdir> <file.ts>...');
  process.exit(2);
}
await build({
  entryPoints: entries.map((e) => resolve(e)),
  outdir: resolve(outdir),
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  logLevel: 'warning',
});
