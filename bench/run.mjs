// Runs the benchmarks named on the command line (all when none), prints their tables and
// rewrites each one's section of docs/benchmarks.md.
// Usage: node bench/run.mjs [throughput] [start] [latency] [swarm]
import { relative } from 'node:path';
import { requireBuild, ROOT } from './lib/agent.mjs';
import { DOC, SECTIONS, writeSection } from './lib/report.mjs';

const names = process.argv.slice(2);
const unknown = names.filter((n) => !SECTIONS.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from: ${SECTIONS.join(', ')}`);
  process.exit(2);
}

try {
  requireBuild();
  for (const name of names.length ? SECTIONS.filter((n) => names.includes(n)) : SECTIONS) {
    const bench = await import(`./${name}.mjs`);
    console.log(`\n== ${bench.title} (${name})`);
    const began = performance.now();
    const { text, markdown } = await bench.run();
    console.log(`\n${text}\n(${((performance.now() - began) / 1000).toFixed(0)} s)`);
    writeSection(name, markdown);
    console.log(`wrote the ${name} section of ${relative(ROOT, DOC)}`);
  }
} catch (err) {
  console.error(`\nbenchmark failed: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
}
// Each benchmark has stopped its servers by now; nothing may keep this process waiting.
process.exit();
