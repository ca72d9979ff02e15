// What the hosting benchmarks share: a private nginx (own prefix, pid and port, the shipped
// server_names_hash sizes), an agent with a hosting section over it, and a run client that
// timestamps each output line as it arrives.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createClient } from '../../dist/agent/client/index.js';
import { ROOT, startAgent } from './agent.mjs';
import { freePort } from './proc.mjs';

/** The http-context settings of the snippet setup-host installs, without its include line. */
function shippedNginxSettings() {
  return readFileSync(join(ROOT, 'config/nginx/probe.conf'), 'utf8')
    .split('\n')
    .filter((l) => /^\s*server_names_hash/.test(l))
    .join(' ');
}

/**
 * A private nginx, started by pid and stopped by pid, with the settings the tasks need.
 * @returns {Promise<{ settings: Record<string, unknown>, dir: string, run(args: string[]): string, stop(): void }>}
 */
export async function startNginx() {
  const dir = mkdtempSync(join(tmpdir(), 'probe-bench-nginx-'));
  for (const d of ['conf.d', 'logs']) mkdirSync(join(dir, d));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
    (t) => `${t}_temp_path ${dir}/${t};`,
  );
  const http = ['access_log off;', shippedNginxSettings(), ...temps, `include ${dir}/conf.d/*.conf;`];
  writeFileSync(
    conf,
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log warn;\n` +
      `events { worker_connections 1024; }\nhttp { ${http.join(' ')} }\n`,
  );
  const base = ['-p', dir, '-c', conf, '-e', join(dir, 'logs/error.log')];
  const child = spawn('nginx', base, { stdio: 'ignore' });
  const settings = {
    confDir: join(dir, 'conf.d'),
    listen: port,
    test: ['nginx', ...base, '-t'],
    reload: ['nginx', ...base, '-s', 'reload'],
    vhostTemplate: join(ROOT, 'config/templates/nginx/vhost.conf'),
    logDir: join(dir, 'logs'),
  };
  return {
    settings,
    dir,
    /** nginx with this instance's prefix and config, e.g. run(['-t']); returns what it printed (nginx reports on stderr). */
    run(args) {
      const r = spawnSync('nginx', [...base, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      if (r.status !== 0) throw new Error(`nginx ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
      return `${r.stdout}${r.stderr}`;
    },
    stop() {
      child.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The shipped hosting tasks (config/agent.yaml) with absolute commands. */
function shippedHostingTasks() {
  const config = parse(readFileSync(join(ROOT, 'config/agent.yaml'), 'utf8'));
  const tasks = {};
  for (const [name, spec] of Object.entries(config.tasks)) {
    if (!spec.hosting) continue;
    const [node, script] = spec.command;
    tasks[name] = { ...spec, command: [node, join(ROOT, 'config', script)] };
  }
  return tasks;
}

/**
 * An agent (`probe serve`) with the shipped hosting tasks over a private nginx and a port range.
 * @param {{ settings: Record<string, unknown> }} nginx
 * @param {{ from: number, to: number }} ports
 */
export async function startHostingAgent(nginx, ports) {
  const { vhostTemplate, ...nginxSettings } = nginx.settings;
  const hosting = {
    domain: 'saas.localhost',
    defaultTemplate: 'demo',
    templatesDir: join(ROOT, 'config/templates'),
    ports,
    reserved: ['www'],
    runtime: 'compose',
    nginx: { ...nginxSettings, vhostTemplate },
  };
  const agent = await startAgent(shippedHostingTasks(), { maxConcurrentRuns: 64 }, { config: { hosting } });
  return { ...agent, stateDir: join(agent.dir, 'state'), hosting };
}

/**
 * Runs a task through the API with the project's client (ndjson) and times each output line
 * from the request.
 * @returns {Promise<{ ms: number, status: string, exitCode: number | null, result: any,
 *   lines: { at: number, text: string }[] }>}
 */
export async function runTask(agent, task, args = {}) {
  agent.client ??= createClient({ url: agent.url, token: agent.token });
  const began = performance.now();
  const lines = [];
  const onOutput = (event) => {
    const at = performance.now() - began;
    for (const text of event.text.split('\n')) if (text) lines.push({ at, text });
  };
  const { end, result } = await agent.client.run(task, args, { onOutput, allowFailure: true });
  return { ms: performance.now() - began, status: end.status, exitCode: end.exitCode, result, lines };
}

/** Throws with the run's last lines unless it succeeded. */
export function mustSucceed(run, what) {
  if (run.status === 'succeeded') return run;
  const tail = run.lines
    .slice(-8)
    .map((l) => l.text)
    .join('\n');
  throw new Error(`${what} ended ${run.status} (exit ${run.exitCode}):\n${tail}`);
}

/**
 * Where a provision's time went, from the arrival times of its step lines (the stream adds
 * ~1 ms, see the latency section). Each phase runs from a line (or the POST) to a line (or the
 * end of the run). The vhost is published while the containers start, so the nginx phases run
 * inside `compose up` and the phases add up to more than the run.
 */
const line = (re) => (run) => run.lines.find((l) => re.test(l.text))?.at;
const latest =
  (...marks) =>
  (run) =>
    Math.max(...marks.map((m) => m(run)));
const M = {
  begin: () => 0,
  provisioning: line(/^-----> Provisioning /),
  allocating: line(/^\[deploy\] -----> Allocating ports/),
  allocated: line(/^\[deploy\] app port /),
  starting: line(/^\[deploy\] -----> Starting containers/),
  rendered: line(/^\[deploy\] wrote compose\.yml/),
  waiting: line(/^\[deploy\] -----> Waiting for /),
  healthy: line(/^\[deploy\] \S+ answered /),
  writing: line(/^\[nginx-config\] -----> Writing nginx vhost/),
  written: line(/^\[nginx-config\] wrote /),
  tested: line(/^\[nginx-config\] nginx configuration test passed/),
  reloaded: line(/^\[nginx-config\] nginx reloaded/),
  verified: line(/^\[verify\] GET .* answered /),
  end: (run) => run.ms,
};
const PHASES = [
  ['start', M.begin, M.provisioning], // process start, arguments, engine check
  ['checks', M.provisioning, M.allocating], // template, leftovers, placement
  ['allocate', M.allocating, M.allocated], // the registry transaction: first free ports
  ['render', M.starting, M.rendered], // compose.yml and .env written
  ['compose up', M.rendered, M.waiting], // docker-compose up -d
  ['health wait', M.waiting, M.healthy], // polling the app's health path
  ['vhost', M.writing, M.written], // render and write the vhost under the nginx lock
  ['nginx -t', M.written, M.tested],
  ['reload', M.tested, M.reloaded],
  // from when both the containers answer and the vhost is live: GETs through nginx as a visitor
  ['verify', latest(M.healthy, M.reloaded), M.verified],
  ['end', M.verified, M.end], // result line, exit, the end of the run
];
export const PHASE_NAMES = PHASES.map(([name]) => name);

/** {phase: ms} of one provision run; throws when a step line is missing. */
export function provisionPhases(run) {
  const out = {};
  for (const [name, from, to] of PHASES) {
    const [a, b] = [from(run), to(run)];
    if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)) {
      throw new Error(`a step line of phase ${name} is missing from the provision output`);
    }
    out[name] = b - a;
  }
  return out;
}

/**
 * Whose time each phase is: Docker's (starting the containers, the app booting), nginx's
 * (parsing every vhost on test and on reload, then switching workers, which verify waits
 * for), or the agent's own code (the rest).
 */
export const OWNER = {
  'compose up': 'Docker',
  'health wait': 'Docker',
  'nginx -t': 'nginx',
  reload: 'nginx',
  verify: 'nginx',
};
export const ownerOf = (phase) => OWNER[phase] ?? 'agent';

/** The ms of a run's phases that belong to the given owners. */
export function timeOf(phases, ...owners) {
  return Object.entries(phases)
    .filter(([p]) => owners.includes(ownerOf(p)))
    .reduce((a, [, ms]) => a + ms, 0);
}
