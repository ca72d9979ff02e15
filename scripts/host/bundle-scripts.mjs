// Bundles each compiled task script (dist/scripts/*.js) into one file in place, execa included.
// A task then loads one file instead of ~40 modules and execa's ~100, which halves its start-up
// (docs/benchmarks.md, "Task start cost"). better-sqlite3 (native) and yaml stay packages,
// required on first use (scripts/lib/lazy.ts). dist/scripts/lib/ stays for the tests.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const out = resolve(import.meta.dirname, '../../dist/scripts');
const entryPoints = readdirSync(out)
  .filter((f) => f.endsWith('.js'))
  .map((f) => join(out, f));

await build({
  entryPoints,
  outdir: out,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'yaml'],
  // execa's CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as probeRequire } from 'node:module'; const require = probeRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
