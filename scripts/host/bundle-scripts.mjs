// Bundles each compiled task script (dist/scripts/*.js) into one file in place, execa and yaml
// included: a task then loads one file instead of ~40 modules and the packages' ~150, which
// thirds its start-up (docs/benchmarks.md, "Task start cost"). Both are still evaluated only
// when first used (scripts/lib/lazy.ts); better-sqlite3, a native addon, stays in node_modules.
// dist/scripts/lib/ (the unbundled build) stays for the benchmarks.
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
  external: ['better-sqlite3'],
  // execa's CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as probeRequire } from 'node:module'; const require = probeRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
