// The swarm runtime on the lab (scripts/host/swarm-lab.sh): six demo tenants provisioned
// through the task scripts are spread evenly over the nodes, each pinned with its database,
// served through a private nginx on the manager whose upstreams are the node addresses; their
// data survives a restart of their stack; info reads them with a fixed number of engine calls;
// teardown leaves nothing on any node.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostingSettings } from '../../scripts/lib/settings.js';
import { runTask } from '../helpers/hosting.js';
import { getWhenReady, request } from '../helpers/http.js';
import { REPO, startNginx, type PrivateNginx } from '../helpers/nginx.js';
import { docker, lab, labPossible, nodeDocker, type Worker } from '../helpers/swarm.js';
import {
  clusterLeftovers,
  dockerCallLog,
  managerName,
  managerRunsOffline,
  nodeAddresses,
  portClosed,
  row,
  serviceNodes,
  setManagerAvailability,
  stopStack,
  swarmSettings,
} from './helpers/cluster.js';

const run = promisify(execFile);
const IDS = ['sw-a', 'sw-b', 'sw-c', 'sw-d', 'sw-e', 'sw-f'];
const ALL = [...IDS, 'sw-g'];
const host = (id: string) => `${id}.saas.localhost`;
const timings: Record<string, string> = {};
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

let nginx: PrivateNginx;
let settings: HostingSettings;
let manager = '';
let offline = false;
let addresses: Record<string, string> = {};
let shim: { dir: string; calls: () => string[]; reset: () => void };

/** docker on the node's own engine: the host's for the manager, the worker's socket otherwise. */
const on = (node: string, ...args: string[]) =>
  node === manager ? docker(...args) : nodeDocker(node as Worker, ...args);

describe.skipIf(!labPossible())('swarm runtime: six tenants on three nodes', () => {
  beforeAll(async () => {
    await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO }).catch(() => {});
    const up = await lab(['up']);
    if (up.code !== 0) throw new Error(`swarm-lab.sh up failed:\n${up.stdout}\n${up.stderr}`);
    timings['lab up'] = secs(up.ms);
    manager = await managerName();
    offline = managerRunsOffline();
    // Without offline images the manager would ask a registry for each task: keep tenants off it.
    if (!offline) await setManagerAvailability('drain');
    addresses = await nodeAddresses();
    nginx = await startNginx();
    settings = swarmSettings(nginx.settings, { from: 21000, to: 21499 });
    shim = await dockerCallLog();
  }, 180_000);

  afterAll(async () => {
    if (settings)
      await Promise.all(ALL.map((id) => runTask('teardown', { id }, settings).catch(() => undefined)));
    await nginx?.stop();
    const down = await lab(['down'], 120_000);
    if (down.code !== 0) console.error(`swarm-lab.sh down failed:\n${down.stdout}\n${down.stderr}`);
    timings['lab down'] = secs(down.ms);
    if (settings) fs.rmSync(settings.stateDir, { recursive: true, force: true });
    if (shim) fs.rmSync(shim.dir, { recursive: true, force: true });
    console.log(
      `swarm hosting timings (manager ${offline ? 'takes tenants' : 'drained'}): ${JSON.stringify(timings)}`,
    );
  }, 240_000);

  it('spreads six tenants evenly, each pinned with its database and served through nginx from its node', async () => {
    const started = Date.now();
    const runs = await Promise.all(IDS.map((id) => runTask('provision', { id }, settings)));
    timings['6 provisions in parallel'] = secs(Date.now() - started);
    const nginxLog = () => fs.readFileSync(path.join(nginx.dir, 'logs/error.log'), 'utf8');
    for (const r of runs) expect(r.code, `${r.stdout}\n${r.stderr}\nnginx: ${nginxLog()}`).toBe(0);
    expect(runs[0].stdout).toMatch(/\[deploy\] app\.1 on \S+: running/);

    const nodes = offline ? [manager, 'probe-w1', 'probe-w2'] : ['probe-w1', 'probe-w2'];
    const per: Record<string, number> = {};
    for (const id of IDS) {
      const node = row(settings, id)!.node!;
      per[node] = (per[node] ?? 0) + 1;
    }
    expect(Object.keys(per).sort()).toEqual([...nodes].sort());
    expect(new Set(Object.values(per))).toEqual(new Set([IDS.length / nodes.length]));

    for (const id of IDS) {
      const { node, appPort } = row(settings, id)!;
      expect(await serviceNodes(`probe-${id}_app`)).toEqual([node]);
      expect(await serviceNodes(`probe-${id}_db`)).toEqual([node]);
      const volumes = await on(node!, 'volume', 'ls', '-q', '--filter', `label=io.probe.tenant=${id}`);
      expect(volumes).toMatch(new RegExp(`^probe-${id}-data-[0-9a-f]+$`));
      const vhost = fs.readFileSync(path.join(nginx.settings.confDir, `${id}.conf`), 'utf8');
      expect(vhost).toContain(`proxy_pass http://${addresses[node!]}:${appPort};`);
      const page = await getWhenReady(nginx.port, host(id), '/');
      expect(page.status).toBe(200);
      expect(page.body).toContain(`data-tenant="${id}"`);
      const added = await request(nginx.port, host(id), 'POST', '/items', { name: `kept by ${id}` });
      expect(added.status).toBe(201);
    }
  }, 240_000);

  it('keeps each tenant data across a restart of its stack', async () => {
    const started = Date.now();
    await Promise.all(
      IDS.map(async (id) => {
        const file = path.join(settings.stateDir, 'tenants', id, 'compose.yml');
        await stopStack(id);
        await docker('stack', 'deploy', '--resolve-image', 'never', '-c', file, `probe-${id}`);
      }),
    );
    for (const id of IDS) {
      const items = await getWhenReady(nginx.port, host(id), '/api/items', 60_000);
      expect(items.status, items.body).toBe(200);
      expect(JSON.parse(items.body).items).toEqual([`kept by ${id}`]);
    }
    timings['6 stacks removed, redeployed and serving'] = secs(Date.now() - started);
  }, 180_000);

  it('info shows every tenant with its node, up, from a fixed number of engine calls', async () => {
    shim.reset();
    const r = await runTask('info', {}, settings, { PATH: `${shim.dir}:${process.env.PATH}` });
    expect(r.code, r.stderr).toBe(0);
    const calls = shim.calls();
    timings['info engine calls for 6 tenants'] = String(calls.length);
    expect(calls.length, calls.join('\n')).toBeLessThanOrEqual(10);
    expect(r.result.nodes.map((n: { name: string; up: boolean }) => [n.name, n.up]).sort()).toEqual(
      [manager, 'probe-w1', 'probe-w2'].sort().map((n) => [n, true]),
    );
    for (const id of IDS) {
      const t = r.result.tenants.find((x: { id: string }) => x.id === id);
      expect(t).toMatchObject({ node: row(settings, id)!.node, nodeDown: false, missing: [] });
      expect(t.containers.map((c: { state: string }) => c.state)).toEqual(['running', 'running']);
    }
    expect(r.stdout).toMatch(/NODE/);
    expect(r.result.moved).toEqual([]);
  }, 60_000);

  it('restores kept data on the node that holds it, not where the placement rule would go', async () => {
    const nodes = Object.keys(addresses)
      .filter((n) => offline || n !== manager)
      .sort();
    // A tenant off the first node by name: after a refill, the rule's tie-break would pick that one.
    const id = IDS.find((x) => row(settings, x)!.node !== nodes[0])!;
    const holder = row(settings, id)!.node;
    const kept = await runTask('teardown', { id, keepData: true }, settings);
    expect(kept.code, kept.stderr).toBe(0);
    const refill = await runTask('provision', { id: 'sw-g' }, settings);
    expect(refill.code, refill.stderr).toBe(0);
    expect(row(settings, 'sw-g')!.node).toBe(holder);
    const back = await runTask('provision', { id, restoreData: true }, settings);
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect(row(settings, id)!.node).toBe(holder);
    const items = await getWhenReady(nginx.port, host(id), '/api/items', 30_000);
    expect(JSON.parse(items.body).items).toEqual([`kept by ${id}`]);
  }, 120_000);

  it('teardown leaves nothing on any node: no service, container, network, volume, vhost or port', async () => {
    const before = Object.fromEntries(ALL.map((id) => [id, row(settings, id)!]));
    const started = Date.now();
    const runs = await Promise.all(ALL.map((id) => runTask('teardown', { id }, settings)));
    timings['7 teardowns in parallel'] = secs(Date.now() - started);
    for (const r of runs) expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const id of ALL) {
      expect(await clusterLeftovers(id)).toEqual([]);
      expect(fs.existsSync(path.join(nginx.settings.confDir, `${id}.conf`))).toBe(false);
      expect(fs.existsSync(path.join(settings.stateDir, 'tenants', id))).toBe(false);
      expect(row(settings, id)).toBeUndefined();
      expect(await portClosed(addresses[before[id].node!], before[id].appPort)).toBe(true);
    }
  }, 180_000);
});
