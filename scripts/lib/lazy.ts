import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded on first use. A task script pays for a package only on the code
 * path that needs it, so a script that stops on a usage error, or never parses YAML, starts
 * at about the cost of `node -e 0` (see docs/benchmarks.md, "Task start cost").
 */
export function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}

/** The YAML parser, for templates and rendered compose files. */
export const yaml = lazy<typeof import('yaml')>('yaml');
