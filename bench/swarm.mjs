// Provision and teardown time of one demo tenant on the swarm runtime (the three-node lab of
// scripts/host/swarm-lab.sh) against the compose runtime on the host engine: same template,
// same task scripts, a private nginx, alternating rounds; the figures are swarm/compose ratios.
// Usage: node bench/swarm.mjs (root, after setup-host and npm run build). BENCH_ROUNDS=3.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, requireBuild } from './lib/agent.mjs';
import { startNginx } from './lib/hosting.mjs';
import { machine, mdTable, textTable } from './lib/report.mjs';
import { alternate, knob } from './lib/rounds.mjs';
import { fmt, median } from './lib/stats.mjs';

export const title = 'Swarm runtime: provision and teardown against compose';

const ROUNDS = knob('BENCH_ROUNDS', 3);
const LAB = join(ROOT, 'scripts/host/swarm-lab.sh');
const WORKERS = ['probe-w1', 'probe-w2'];

const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

function hostingSettings(runtime, nginx, ports) {
  return {
    stateDir: mkdtempSync(join(tmpdir(), `probe-bench-${runtime}-`)),
    domain: 'saas.localhost',
    defaultTemplate: 'demo',
    templatesDir: join(ROOT, 'config/templates'),
    ports,
    reserved: [],
    runtime,
    nginx,
    ...(runtime === 'swarm'
      ? {
          swarm: {
            nodes: Object.fromEntries(WORKERS.map((n) => [n, { docker: `unix:///run/probe-lab/${n}.sock` }])),
            constraints: ['node.labels.probe.lab == 1'],
            limits: { memory: '256M', cpus: 1 },
          },
        }
      : {}),
  };
}

/** Runs one task script as the agent does; resolves with its wall time, throws on failure. */
function task(name, id, settings) {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
    env.PROBE_HOSTING = JSON.stringify(settings);
    const child = spawn(process.execPath, [join(ROOT, 'dist/scripts', `${name}.js`), `--id=${id}`], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - began);
      else reject(new Error(`${name} ${id} on ${settings.runtime} exited ${code}:\n${out.slice(-2000)}`));
    });
  });
}

/** Whether the host engine runs swarm tasks without asking a registry first. */
function managerRunsOffline() {
  try {
    const pid = readFileSync('/var/run/docker.pid', 'utf8').trim();
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .includes('DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1');
  } catch {
    return false;
  }
}

export async function run({ log = console.log } = {}) {
  requireBuild();
  const wasUp =
    existsSync('/run/probe-lab/state') && docker('info', '-f', '{{.Swarm.LocalNodeState}}') === 'active';
  log(`lab: ${wasUp ? 'already up' : 'bringing it up'}`);
  execFileSync('bash', [LAB, 'up'], { stdio: 'ignore' });
  const self = docker('node', 'inspect', 'self', '-f', '{{.ID}}');
  const availability = docker('node', 'inspect', 'self', '-f', '{{.Spec.Availability}}');
  const offline = managerRunsOffline();
  if (!offline) docker('node', 'update', '--availability', 'drain', self);
  const nginx = await startNginx();
  const targets = [
    { name: 'compose', settings: hostingSettings('compose', nginx.settings, { from: 22000, to: 22499 }) },
    { name: 'swarm', settings: hostingSettings('swarm', nginx.settings, { from: 22500, to: 22999 }) },
  ];
  let samples;
  try {
    samples = await alternate(targets, ROUNDS, async (t, round) => {
      const id = `bench-${t.name}-${round}`;
      const provision = await task('provision', id, t.settings);
      const teardown = await task('teardown', id, t.settings);
      log(
        `round ${round + 1}/${ROUNDS} ${t.name}: provision ${fmt(provision / 1000)} s, teardown ${fmt(teardown / 1000)} s`,
      );
      return { provision, teardown };
    });
  } finally {
    nginx.stop();
    for (const t of targets) rmSync(t.settings.stateDir, { recursive: true, force: true });
    if (!offline && availability !== 'drain') docker('node', 'update', '--availability', availability, self);
    if (!wasUp) execFileSync('bash', [LAB, 'down'], { stdio: 'ignore' });
  }
  const med = (name, what) => median(samples.get(name).map((s) => s[what])) / 1000;
  const all = (name, what) =>
    samples
      .get(name)
      .map((s) => fmt(s[what] / 1000))
      .join(', ');
  const head = [
    '',
    'compose median (s)',
    'swarm median (s)',
    'swarm / compose',
    'compose samples',
    'swarm samples',
  ];
  const rows = ['provision', 'teardown'].map((what) => [
    what,
    fmt(med('compose', what)),
    fmt(med('swarm', what)),
    (med('swarm', what) / med('compose', what)).toFixed(2),
    all('compose', what),
    all('swarm', what),
  ]);
  const where = `${machine()}; ${ROUNDS} alternating rounds; swarm nodes: ${offline ? 'manager and two workers' : 'two workers (manager drained: its engine lacks DOCKER_SERVICE_PREFER_OFFLINE_IMAGE)'}`;
  const markdown = [
    `## ${title}`,
    '',
    'One `demo` tenant (web app and Redis with a volume) provisioned (deploy, nginx-config, verify through a',
    'private nginx) and torn down by the task scripts, once per round on each runtime. Swarm pays for',
    '`docker stack deploy` through the manager, the task scheduling and the per-node volume removal.',
    '',
    mdTable(head, rows),
    '',
    `Measured on ${where}.`,
    '',
  ].join('\n');
  return { text: textTable(head, rows), markdown };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { markdown } = await run();
  console.log(`\n${markdown}`);
}
