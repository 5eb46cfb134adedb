// Transpile the TypeScript tests and the generated client to ES modules for Node's test runner.
//   node tools/build.mjs <outdir> [--outbase <dir>] <file.ts>...
// Paths below the repository root (or --outbase) are kept under outdir.
// Type checking is tsc's job (tsconfig.json); this only strips types, fast.
import { build } from 'esbuild';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const outdir = args.shift();
let outbase = root;
if (args[0] === '--outbase') {
  args.shift();
  outbase = resolve(args.shift() ?? '.');
}
const entries = args;
if (!outdir || entries.length === 0) {
  console.error('usage: node tools/build.mjs <outdir> <file.ts>...');
  process.exit(2);
}
await build({
  entryPoints: entries.map((e) => resolve(e)),
  outdir: resolve(outdir),
  outbase,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  logLevel: 'warning',
});
