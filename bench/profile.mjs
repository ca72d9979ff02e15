// Where the agent's CPU goes under the trigger load of the throughput benchmark (a): the agent
// runs with `node --cpu-prof`, wrk posts `/bin/echo hello` runs for BENCH_SECONDS (8), and the
// profile's self time is summed by function and by package. The .cpuprofile file is kept for a
// closer look (Chrome DevTools, Performance tab, or speedscope).
// Usage: node bench/profile.mjs (after npm run build; needs wrk).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBuild, startAgent } from './lib/agent.mjs';
import { textTable } from './lib/report.mjs';
import { knob } from './lib/rounds.mjs';
import { runWrk, writeLua } from './lib/wrk.mjs';

const SECONDS = knob('BENCH_SECONDS', 8);

/** Self time (ms) per key of a V8 CPU profile. */
function selfTime(profile, keyOf) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map();
  profile.samples.forEach((id, i) => {
    const key = keyOf(nodes.get(id).callFrame);
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

const where = (url) =>
  url
    .replace(/^.*\/node_modules\//, '')
    .replace(/^file:\/\/.*?\/dist\//, 'dist/')
    .replace(/^(node:[\w/]+).*/, '$1');
const pkg = (url) => {
  const w = where(url);
  if (!w) return '(native, GC, idle)';
  if (w.startsWith('dist/') || w.startsWith('node:'))
    return w
      .split('/')
      .slice(0, w.startsWith('dist/') ? 3 : 1)
      .join('/');
  return w.startsWith('@') ? w.split('/').slice(0, 2).join('/') : w.split('/')[0];
};

function table(map, total, rows) {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([k, ms]) => [`${((ms / total) * 100).toFixed(1)} %`, ms.toFixed(0), k]);
}

requireBuild();
const dir = mkdtempSync(join(tmpdir(), 'probe-profile-'));
const agent = await startAgent(
  { echo: { description: 'profiled task', command: ['/bin/echo', 'hello'], timeout: '30s' } },
  {},
  { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] },
);
let result;
try {
  const script = writeLua(dir, 'agent', {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${agent.token}`,
      'Content-Type': 'application/json',
      Accept: 'text/plain',
    },
    body: JSON.stringify({ task: 'echo' }),
    expect: 'hello\n',
    maxPerThread: 100_000,
  });
  result = await runWrk({
    url: `${agent.url}/v1/runs`,
    script,
    threads: 2,
    connections: 16,
    seconds: SECONDS,
  });
} finally {
  await agent.stop(); // the profile is written when the agent exits
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const byFunction = selfTime(
  profile,
  (f) => `${f.functionName || '(anonymous)'} ${where(f.url)}:${f.lineNumber + 1}`,
);
const idle = byFunction.get('(idle) :0') ?? 0;
byFunction.delete('(idle) :0');
const busy = [...byFunction.values()].reduce((a, b) => a + b, 0);
const byPackage = selfTime(profile, (f) => (f.functionName === '(idle)' ? '(idle)' : pkg(f.url)));
byPackage.delete('(idle)');
console.log(
  `${result.requests} runs in ${SECONDS} s (${result.rps.toFixed(0)}/s, ${result.errors} errors); agent busy ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms: ${((busy / result.requests) * 1000).toFixed(0)} µs of agent CPU per run`,
);
console.log(`\nself time by function (share of the agent's busy time):\n`);
console.log(textTable(['share', 'ms', 'function'], table(byFunction, busy, 30)));
console.log(`\nby package or file:\n`);
console.log(textTable(['share', 'ms', 'where'], table(byPackage, busy, 20)));
console.log(`\nprofile: ${join(dir, file)}`);
process.exit();
