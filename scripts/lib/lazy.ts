import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';

const nodeRequire = createRequire(import.meta.url);

/**
 * A package loaded on first use. A task script pays for a package only on the code path that
 * needs it, so a script that stops on a usage error, or never parses YAML, starts at about the
 * cost of `node -e 0` (see docs/benchmarks.md, "Task start cost").
 */
export function lazy<T>(load: () => unknown): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load() as T);
}

/** better-sqlite3, a native addon: always required from node_modules. */
export const sqlite: () => typeof Database = lazy(() => nodeRequire('better-sqlite3'));

/**
 * The YAML parser, for templates and rendered compose files. In a built script the literal
 * `require('yaml')` is bundled by esbuild (scripts/host/bundle-scripts.mjs) and still runs only
 * when first called, at a fraction of the cost of loading the package's many files; elsewhere
 * (tests, the unbundled build) there is no `require` and the package comes from node_modules.
 */
export const yaml = lazy<typeof import('yaml')>(() =>
  typeof require === 'function' ? require('yaml') : nodeRequire('yaml'),
);
