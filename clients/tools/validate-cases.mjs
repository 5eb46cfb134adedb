// Runs the generated client's validators on many payloads at once, for the parity tests.
//   node tools/validate-cases.mjs <folder with catalog.js and validate.js>  < [[event_id, payload], ...]
// Prints a JSON array: per case null (valid) or "reason:field" ("reason" without a field), like the
// database's payload_problem().
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const folder = resolve(process.argv[2] ?? '.');
const { EVENTS } = await import(pathToFileURL(resolve(folder, 'catalog.js')).href);
const { validatePayload } = await import(pathToFileURL(resolve(folder, 'validate.js')).href);
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map(([id, payload]) => {
  const definition = EVENTS[id];
  if (definition === undefined) return 'unknown_event';
  const problem = validatePayload(definition, payload);
  if (problem === null) return null;
  return problem.field === undefined ? problem.reason : `${problem.reason}:${problem.field}`;
});
process.stdout.write(JSON.stringify(out));
