// The swarm lab (scripts/host/swarm-lab.sh): a real three-node Docker Swarm on this one
// machine — the host engine as manager, two worker engines in their own network
// namespaces. A stack spans two nodes and talks across them over the overlay by service
// name; a worker is stopped and started; `down` leaves nothing behind.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { serviceNodes } from './helpers/cluster.js';
import {
  docker,
  lab,
  labLeftovers,
  labPossible,
  nodeDocker,
  nodeStates,
  secondsIn,
  waitFor,
  type Run,
} from '../helpers/swarm.js';

const STACK = 'probelab';

// Every second: resolve `db`, connect to it, send a Redis PING and print the answer.
const CLIENT = `
const net = require('node:net');
const dns = require('node:dns');
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {
  dns.lookup('db', (err, addr) => {
    if (err) return console.log('lookup db failed: ' + err.code);
    const s = net.connect(6379, 'db', () => s.write('PING\\r\\n'));
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
    s.on('data', (d) => { console.log('db at ' + addr + ' answered ' + d.toString().trim()); s.end(); });
    s.on('error', (e) => console.log('db at ' + addr + ': ' + e.message));
  });
}, 1000);
`;

const on = (node: string) => ({ constraints: [`node.labels.probe.lab.node == ${node}`] });

// The ingress routing mesh needs IPVS, which this kernel lacks: dnsrr, no ingress ports.
const STACK_FILE = {
  version: '3.8',
  services: {
    db: {
      image: 'probe/demo-redis:1',
      networks: ['net'],
      stop_grace_period: '2s',
      deploy: { endpoint_mode: 'dnsrr', placement: on('probe-w1') },
    },
    client: {
      image: 'probe/demo-shop:1',
      entrypoint: ['/usr/bin/node', '-e', CLIENT],
      networks: ['net'],
      stop_grace_period: '2s',
      deploy: { endpoint_mode: 'dnsrr', placement: on('probe-w2') },
    },
  },
  networks: { net: { driver: 'overlay' } },
};

const timings: Record<string, string> = {};
let up: Run;
let tmp = '';
let gwbridgeBefore = true;

/** The client's PONG lines since `since` (an RFC 3339 time), or undefined while there is none. */
async function pongs(since?: string): Promise<string[] | undefined> {
  const args = ['service', 'logs', '--raw', ...(since ? ['--since', since] : []), `${STACK}_client`];
  const lines = (await docker(...args)).split('\n').filter((l) => l.includes('answered +PONG'));
  return lines.length > 0 ? lines : undefined;
}

describe.skipIf(!labPossible())('swarm lab', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'probe-swarm-'));
    gwbridgeBefore = (await docker('network', 'ls', '-q', '--filter', 'name=^docker_gwbridge$')) !== '';
    up = await lab(['up']);
    if (up.code !== 0) throw new Error(`swarm-lab.sh up failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
    timings['lab up'] = `${(up.ms / 1000).toFixed(1)}s`;
    timings['image load per worker'] = secondsIn(up.stdout, /loaded .* in ([\d.]+)s/g)
      .map((s) => `${s}s`)
      .join(', ');
  }, 150_000);

  afterAll(async () => {
    const down = await lab(['down'], 90_000);
    if (down.code !== 0) console.error(`swarm-lab.sh down failed:\n${down.stdout}\n${down.stderr}`);
    if (tmp) await rm(tmp, { recursive: true, force: true });
    console.log(`swarm lab timings: ${JSON.stringify(timings)}`);
  }, 100_000);

  it('brings up three Ready nodes: the host engine as manager and two workers', async () => {
    expect(up.stdout).toMatch(/Lab up in/);
    const states = await nodeStates();
    expect(Object.values(states)).toEqual(['ready', 'ready', 'ready']);
    expect(states['probe-w1']).toBe('ready');
    expect(states['probe-w2']).toBe('ready');
    const roles = await docker(
      'node',
      'ls',
      '--format',
      '{{.Hostname}} {{.ManagerStatus}} {{.Availability}}',
    );
    expect(roles.split('\n').filter((l) => l.includes('Leader'))).toHaveLength(1);
    expect(roles).not.toMatch(/Drain|Pause/);
    const labels = await docker('node', 'ls', '-q', '--filter', 'node.label=probe.lab=1');
    expect(labels.split('\n')).toHaveLength(3);
    for (const n of ['probe-w1', 'probe-w2'] as const) {
      const images = await nodeDocker(n, 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}');
      expect(images.split('\n').sort()).toEqual(['probe/demo-redis:1', 'probe/demo-shop:1']);
    }
    // A second `up` finds everything in place and changes nothing.
    const again = await lab(['up']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already the manager of the lab swarm/);
    expect(again.stdout).not.toMatch(/joined as worker|loaded /);
  }, 60_000);

  it('runs a stack across nodes: a client on probe-w2 reaches redis on probe-w1 by service name', async () => {
    const file = path.join(tmp, 'stack.yml');
    await writeFile(file, stringify(STACK_FILE));
    // --resolve-image never: no registry is asked for a digest.
    await docker('stack', 'deploy', '--resolve-image', 'never', '-c', file, STACK);
    const { value: lines, ms } = await waitFor('a PONG from db', () => pongs(), 60_000, 500);
    timings['stack answering'] = `${(ms / 1000).toFixed(1)}s`;
    expect(lines[0]).toMatch(/^db at 10\.202\.\d+\.\d+ answered \+PONG$/);
    expect(await serviceNodes(`${STACK}_db`)).toEqual(['probe-w1']);
    expect(await serviceNodes(`${STACK}_client`)).toEqual(['probe-w2']);
    // Each task really runs in that worker's own engine.
    const filter = (s: string) => [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.swarm.service.name=${STACK}_${s}`,
    ];
    expect(await nodeDocker('probe-w1', ...filter('db'))).not.toBe('');
    expect(await nodeDocker('probe-w2', ...filter('client'))).not.toBe('');
    expect(await nodeDocker('probe-w2', ...filter('db'))).toBe('');
  }, 90_000);

  it('sees a stopped worker go Down, and Ready again when it is started', async () => {
    const started = Date.now();
    const stop = await lab(['stop-node', 'probe-w2'], 45_000);
    expect(stop.code, stop.stderr).toBe(0);
    const down = await waitFor(
      'probe-w2 Down',
      async () => (await nodeStates())['probe-w2'] === 'down',
      40_000,
    );
    timings['stop-node'] = `${(stop.ms / 1000).toFixed(1)}s`;
    timings['node down detected after stop-node returned'] = `${(down.ms / 1000).toFixed(1)}s`;
    timings['node down detected after stop began'] = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    expect((await nodeStates())['probe-w1']).toBe('ready');

    const since = new Date().toISOString();
    const start = await lab(['start-node', 'probe-w2'], 75_000);
    expect(start.code, start.stderr).toBe(0);
    expect((await nodeStates())['probe-w2']).toBe('ready');
    timings['start-node until Ready'] = `${(start.ms / 1000).toFixed(1)}s`;
    // The client task comes back on probe-w2 and reaches db across the overlay again.
    const back = await waitFor('a PONG after the restart', () => pongs(since), 45_000, 500);
    timings['client answering again after start-node'] = `${(back.ms / 1000).toFixed(1)}s`;
  }, 200_000);

  it('down removes everything the lab created', async () => {
    const down = await lab(['down'], 90_000);
    expect(down.code, `${down.stdout}\n${down.stderr}`).toBe(0);
    timings['lab down'] = `${(down.ms / 1000).toFixed(1)}s`;
    expect(await labLeftovers()).toEqual([]);
    if (!gwbridgeBefore)
      expect(await docker('network', 'ls', '-q', '--filter', 'name=^docker_gwbridge$')).toBe('');
    const status = await lab(['status']);
    expect(status.stdout).toMatch(/down \(no lab state\)/);
  }, 100_000);
});
