import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lazy, sqlite, yaml } from '../../../scripts/lib/lazy.js';

const SCRIPTS = path.resolve(import.meta.dirname, '../../../scripts');
/** Packages a task loads only on the code path that uses them (docs/benchmarks.md, "Task start cost"). */
const HEAVY = ['execa', 'yaml', 'better-sqlite3'];

/** The modules a source file imports for their values (`import type` is erased at build). */
function valueImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+'([^']+)';/gms))
    found.push(m[1]);
  for (const m of text.matchAll(/^import\s+'([^']+)';/gm)) found.push(m[1]);
  return found;
}

/** Every package on a script's static import graph, with the chain that brings it in. */
function staticPackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith('.')) {
        walk(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')), `${chain} -> ${spec}`);
      } else if (!spec.startsWith('node:')) {
        packages.set(spec, `${chain} -> ${spec}`);
      }
    }
  };
  walk(entry, path.basename(entry));
  return packages;
}

describe('task scripts load heavy packages on first use only', () => {
  const entries = fs.readdirSync(SCRIPTS).filter((f) => f.endsWith('.ts'));

  it('finds the task scripts', () => {
    expect(entries).toEqual(expect.arrayContaining(['deploy.ts', 'info.ts', 'provision.ts', 'teardown.ts']));
  });

  it.each(entries)('%s imports none of execa, yaml or better-sqlite3 statically', (entry) => {
    const packages = staticPackages(path.join(SCRIPTS, entry));
    const heavy = HEAVY.filter((p) => packages.has(p)).map((p) => packages.get(p));
    expect(heavy).toEqual([]);
  });

  it('the graph walk does see a static import (it can fail)', () => {
    const packages = staticPackages(path.join(SCRIPTS, 'lib/lazy.ts'));
    expect([...packages.keys()]).toEqual([]);
    expect(valueImports(path.join(SCRIPTS, 'lib/lazy.ts'))).toEqual(['node:module']);
  });
});

describe('lazy', () => {
  it('loads on the first call only, and reuses what it loaded', () => {
    let calls = 0;
    const load = lazy<{ n: number }>(() => ({ n: ++calls }));
    expect(calls).toBe(0);
    const first = load();
    expect(load()).toBe(first);
    expect(calls).toBe(1);
  });

  it('gives the real packages outside a bundle', () => {
    expect(yaml().parse('a: 1')).toEqual({ a: 1 });
    expect(yaml().stringify({ b: 2 })).toBe('b: 2\n');
    expect(typeof sqlite()).toBe('function');
  });
});
