// Compiler-API checks that plain tsc cannot make (TypeScript 5.9 from clients/node_modules):
//   node tools/diagnostics.mjs expect-errors <file.ts>   each "@ts-expect-error TSnnnn" line errs with that code
//   node tools/diagnostics.mjs deprecations <file.ts>    editor (tsserver) suggestion diagnostics 6385/6387
// Prints one JSON report on stdout.
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [mode, fileArg] = process.argv.slice(2);
const file = resolve(fileArg);
const config = ts.getParsedCommandLineOfConfigFile(resolve(here, '..', 'tsconfig.json'), {}, {
  ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
});
const original = readFileSync(file, 'utf8');

function service(text) {
  const host = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => '1',
    getScriptSnapshot: (name) => {
      const content = name === file ? text : ts.sys.readFile(name);
      return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content);
    },
    getCurrentDirectory: () => dirname(file),
    getCompilationSettings: () => config.options,
    getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
    fileExists: (name) => name === file || ts.sys.fileExists(name),
    readFile: (name) => (name === file ? text : ts.sys.readFile(name)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  return ts.createLanguageService(host, ts.createDocumentRegistry());
}

const lineOf = (sf, pos) => sf.getLineAndCharacterOfPosition(pos).line + 1;

if (mode === 'expect-errors') {
  // neutralise the directives, then see which errors each following line really has
  const stripped = original.replace(/\/\/ @ts-expect-error/g, '// ts-expect-error');
  const ls = service(stripped);
  const sf = ls.getProgram().getSourceFile(file);
  const found = new Map();
  for (const d of ls.getSemanticDiagnostics(file).concat(ls.getSyntacticDiagnostics(file))) {
    const line = lineOf(sf, d.start ?? 0);
    found.set(line, [...(found.get(line) ?? []), `TS${d.code}`]);
  }
  const expectations = [];
  original.split('\n').forEach((text, i) => {
    const m = /\/\/ @ts-expect-error (TS\d+) (.*)$/.exec(text);
    if (m) expectations.push({ line: i + 2, code: m[1], why: m[2], got: found.get(i + 2) ?? [] });
  });
  const unexpected = [...found.entries()].filter(([line]) => !expectations.some((e) => e.line === line));
  console.log(JSON.stringify({ expectations, unexpected }));
} else if (mode === 'deprecations') {
  const ls = service(original);
  const sf = ls.getProgram().getSourceFile(file);
  const suggestions = ls.getSuggestionDiagnostics(file)
    .filter((d) => d.reportsDeprecated)
    .map((d) => ({ line: lineOf(sf, d.start ?? 0), code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, ' ') }));
  const marked = original.split('\n').flatMap((text, i) => (text.includes('// DEPRECATED') ? [i + 1] : []));
  // what an editor shows on hover: the @deprecated tag text
  const at = original.indexOf('signInCompleted(');
  const info = ls.getQuickInfoAtPosition(file, at);
  const tag = (info?.tags ?? []).find((t) => t.name === 'deprecated');
  console.log(JSON.stringify({ suggestions, marked, hoverDeprecated: tag ? ts.displayPartsToString(tag.text) : null }));
} else {
  console.error('usage: node tools/diagnostics.mjs expect-errors|deprecations <file.ts>');
  process.exit(2);
}
