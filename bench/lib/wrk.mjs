// wrk runner: a generated Lua script sends the request (method, headers, body), checks
// every response's status and body, caps the request count, and prints one JSON summary.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './proc.mjs';

const MARK = 'WRKJSON ';

/** A Lua string literal (the values here are ASCII). */
function lua(s) {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/**
 * Writes the Lua script for one target and returns its path.
 * @param {string} dir
 * @param {string} name
 * @param {{ method: string, headers: Record<string, string>, body: string, expect: string, maxPerThread: number }} spec
 */
export function writeLua(dir, name, spec) {
  const file = join(dir, `${name}.lua`);
  const headers = Object.entries(spec.headers)
    .map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`)
    .join('\n');
  writeFileSync(
    file,
    `wrk.method = ${lua(spec.method)}
wrk.body = ${lua(spec.body)}
${headers}
local expect = ${lua(spec.expect)}
local max_per_thread = ${spec.maxPerThread}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  bad = 0
end

function response(status, headers, body)
  n = n + 1
  if status ~= 200 or body ~= expect then bad = bad + 1 end
  if n >= max_per_thread then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    '${MARK}{"requests":%d,"durationUs":%d,"bad":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, b, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`,
  );
  return file;
}

/**
 * Loads url for `seconds` with wrk and returns req/s and latency percentiles (ms).
 * @param {{ url: string, script: string, threads: number, connections: number, seconds: number }} o
 */
export function runWrk(o) {
  const wrk = requireTool('wrk', 'apt-get install -y wrk');
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    o.script,
    o.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 20) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (code !== 0 || !line) return reject(new Error(`wrk ${args.join(' ')} failed (${code}):\n${out}`));
      const r = JSON.parse(line.slice(MARK.length));
      const errors = r.bad + r.connect + r.read + r.write + r.timeout;
      resolve({
        rps: r.requests / (r.durationUs / 1e6),
        requests: r.requests,
        errors,
        p50: r.p50 / 1000,
        p99: r.p99 / 1000,
        max: r.max / 1000,
        command: ['wrk', ...args],
      });
    });
  });
}
