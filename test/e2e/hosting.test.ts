import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../scripts/lib/registry.js';
import type { HostingSettings } from '../../scripts/lib/settings.js';
import {
  demoImagesReady,
  docker,
  dockerLeftovers,
  forceRemoveTenants,
  makeSettings,
  runTask,
} from '../helpers/hosting.js';
import { getWhenReady, request } from '../helpers/http.js';
import { REPO, startNginx, VHOST_TEMPLATE, type PrivateNginx } from '../helpers/nginx.js';

// Drives the compiled task scripts as the agent does, against the real dockerd and a
// private nginx, over a temp state folder and the port range 18000-18999.
const run = promisify(execFile);
const used = new Set<string>();
let nginx: PrivateNginx;
let settings: HostingSettings;
let fixtures: string;

const host = (id: string) => `${id}.saas.localhost`;
const provision = (id: string, args: Record<string, string | boolean> = {}, s = settings, env = {}) => {
  used.add(id);
  return runTask('provision', { id, ...args }, s, env);
};
const teardown = (id: string, args: Record<string, string | boolean> = {}) =>
  runTask('teardown', { id, ...args }, settings);
const info = (args: Record<string, string> = {}) => runTask('info', args, settings);

function registryRow(id: string) {
  const reg = Registry.open(settings.stateDir);
  try {
    return reg.get(id);
  } finally {
    reg.close();
  }
}

/** Nothing of the tenant may be left: no container, network, volume, vhost, folder or registry row. */
async function expectGone(id: string): Promise<void> {
  expect(await dockerLeftovers(id)).toEqual([]);
  expect(fs.existsSync(path.join(settings.nginx.confDir, `${id}.conf`))).toBe(false);
  expect(fs.existsSync(path.join(settings.stateDir, 'tenants', id))).toBe(false);
  expect(registryRow(id)).toBeUndefined();
}

async function items(id: string): Promise<string[]> {
  const answer = await getWhenReady(nginx.port, host(id), '/api/items');
  expect(answer.status, answer.body).toBe(200);
  return (JSON.parse(answer.body) as { items: string[] }).items;
}

beforeAll(async () => {
  if (!(await demoImagesReady())) {
    throw new Error(
      'docker engine or the demo images (probe/demo-shop:1, probe/demo-redis:1) missing: run npm run setup-host',
    );
  }
  await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO }).catch(() => {}); // other files' type errors do not stop emit
  nginx = await startNginx();
  settings = makeSettings(nginx.settings);
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-fixtures-'));
}, 180_000);

afterAll(async () => {
  if (!settings) return;
  await Promise.all([...used].map((id) => teardown(id).catch(() => undefined)));
  await forceRemoveTenants([...used, 'ghost']);
  await nginx.stop();
  fs.rmSync(settings.stateDir, { recursive: true, force: true });
  fs.rmSync(fixtures, { recursive: true, force: true });
}, 180_000);

describe('hosting tasks end to end', () => {
  it('provisions a demo tenant that nginx serves under its own host name', async () => {
    const r = await provision('shop-a');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.result).toMatchObject({
      id: 'shop-a',
      template: 'demo',
      url: `http://shop-a.saas.localhost:${nginx.port}/`,
    });
    expect(r.stdout).toMatch(/^\[deploy\] -----> Starting containers for shop-a/m);
    const page = await request(nginx.port, host('shop-a'), 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-tenant="shop-a"');
    await expect(request(nginx.port, host('nobody'), 'GET', '/')).rejects.toThrow(); // 444: dropped
    expect(registryRow('shop-a')).toMatchObject({ status: 'running', appPort: r.result.ports.app });

    const again = await provision('shop-a');
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/shop-a already exists/);
    expect((await request(nginx.port, host('shop-a'), 'GET', '/')).status).toBe(200);
  });

  it('keeps data written through the shop across a restart of its containers', async () => {
    const created = await request(nginx.port, host('shop-a'), 'POST', '/items', { name: 'widget' });
    expect(created.status).toBe(201);
    await docker('restart', ...(await docker('ps', '-q', '--filter', 'label=io.probe.tenant=shop-a')));
    expect(await items('shop-a')).toContain('widget');
  });

  it('keeps existing tenants served when nginx rejects a new vhost, and rolls the new tenant back', async () => {
    const bad = path.join(fixtures, 'bad-vhost.conf');
    fs.writeFileSync(
      bad,
      fs.readFileSync(VHOST_TEMPLATE, 'utf8').replace('server {', 'server {\n    bogus_directive on;'),
    );
    const r = await provision(
      'bad-vhost',
      {},
      { ...settings, nginx: { ...settings.nginx, vhostTemplate: bad } },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed at step nginx-config: .*bogus_directive/);
    expect(r.stdout).toMatch(/^\[rollback\] /m);
    await expectGone('bad-vhost');
    expect((await request(nginx.port, host('shop-a'), 'GET', '/')).status).toBe(200);
  });

  it('rolls back a tenant whose app never gets healthy and leaves nothing', async () => {
    const sick = path.join(fixtures, 'templates', 'sick');
    fs.mkdirSync(sick, { recursive: true });
    fs.copyFileSync(path.join(REPO, 'config/templates/demo/compose.yml'), path.join(sick, 'compose.yml'));
    fs.writeFileSync(
      path.join(sick, 'template.yaml'),
      'web: { service: app, port: 3000 }\nhealth: { path: /never, timeout: 4s }\n',
    );
    const r = await provision(
      'sick-shop',
      { template: 'sick' },
      { ...settings, templatesDir: path.dirname(sick) },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed at step deploy: .*did not answer \/never/);
    await expectGone('sick-shop');
  });

  it('skips a port a foreign process listens on', async () => {
    const reg = Registry.open(settings.stateDir);
    const taken = new Set(reg.all().flatMap((t) => [t.appPort, t.dbPort]));
    reg.close();
    let next = settings.ports.from;
    while (taken.has(next)) next++;
    const foreign = net.createServer();
    await new Promise<void>((resolve) => foreign.listen(next, '127.0.0.1', resolve));
    try {
      const r = await provision('port-skip');
      expect(r.code, r.stderr).toBe(0);
      expect([r.result.ports.app, r.result.ports.db]).not.toContain(next);
      expect(r.result.ports.app).toBeGreaterThan(next);
    } finally {
      foreign.close();
    }
    expect((await teardown('port-skip')).code).toBe(0);
    await expectGone('port-skip');
  });

  it('fails at once with a clear message when docker is unreachable', async () => {
    const r = await provision('no-engine', {}, settings, {
      DOCKER_HOST: 'unix:///tmp/probe-no-such-docker.sock',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/docker engine unreachable: .*npm run setup-host/);
    expect(r.ms).toBeLessThan(5000);
    expect(registryRow('no-engine')).toBeUndefined();
    const none = await runTask('provision', { id: 'no-settings' }, undefined);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/hosting section/);
  });

  it('reports tenants and drift both ways, then tears down half-broken tenants', async () => {
    const all = await info();
    expect(all.code).toBe(0);
    const shop = all.result.tenants.find((t: { id: string }) => t.id === 'shop-a');
    expect(shop.containers.map((c: { state: string }) => c.state)).toEqual(['running', 'running']);
    expect(all.stdout).toMatch(/^shop-a\s+running\s+demo/m);

    const app = await docker(
      'ps',
      '-q',
      '--filter',
      'label=io.probe.tenant=shop-a',
      '--filter',
      'label=com.docker.compose.service=app',
    );
    await docker('rm', '-f', ...app);
    used.add('ghost');
    await docker(
      'run',
      '-d',
      '--label',
      'io.probe.managed=true',
      '--label',
      'io.probe.tenant=ghost',
      'probe/demo-redis:1',
    );
    const drift = await info();
    expect(drift.result.tenants.find((t: { id: string }) => t.id === 'shop-a').missing).toEqual(['app']);
    // Other projects on this engine (a running demo, say) are orphans to this registry too.
    const orphans = drift.result.orphans.map((o: { id: string }) => o.id);
    expect(orphans).toContain('ghost');
    expect(orphans).not.toContain('shop-a');
    expect(drift.stdout).toMatch(/drift: shop-a has no container for app/);
    expect((await info({ id: 'ghost' })).code).toBe(0);
    expect((await info({ id: 'nobody' })).code).toBe(4);
    const one = await info({ id: 'shop-a' });
    expect(one.result.tenants[0].containers[0].logs.length).toBeGreaterThan(0);

    for (const id of ['ghost', 'shop-a']) {
      const r = await teardown(id);
      expect(r.code, r.stderr).toBe(0);
      await expectGone(id);
    }
  });

  it('provisions 10 tenants in parallel with distinct ports, and tears them down in parallel', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `par-${i}`);
    const runs = await Promise.all(ids.map((id) => provision(id)));
    runs.forEach((r, i) => expect(r.code, `${ids[i]}: ${r.stderr}`).toBe(0));
    const ports = runs.flatMap((r) => [r.result.ports.app, r.result.ports.db]);
    expect(new Set(ports).size).toBe(20);
    for (const id of ids)
      expect((await request(nginx.port, host(id), 'GET', '/')).body).toContain(`data-tenant="${id}"`);
    const downs = await Promise.all(ids.map((id) => teardown(id)));
    downs.forEach((r, i) => expect(r.code, `${ids[i]}: ${r.stderr}`).toBe(0));
    for (const id of ids) await expectGone(id);
  });

  it('refuses bad input, tears down an unknown id as a no-op, a row-only tenant, and twice without harm', async () => {
    const badTemplate = await runTask('deploy', { id: 'no-tpl', template: 'nope' }, settings);
    expect(badTemplate.code).toBe(2);
    expect(badTemplate.stderr).toMatch(/unknown template "nope" \(templates: .*demo/);
    expect((await runTask('nginx-config', { id: 'never-was' }, settings)).code).toBe(4);
    const reg = Registry.open(settings.stateDir); // a row without containers, as a crash could leave
    await reg.allocate({ id: 'row-only', template: 'demo', dataKey: 'dead' }, settings.ports);
    reg.close();
    used.add('row-only');
    expect((await teardown('row-only')).result.removed).toEqual(['registry']);
    await expectGone('row-only');
    const unknown = await teardown('never-was');
    expect(unknown.code).toBe(0);
    expect(unknown.result).toMatchObject({ removed: [], failed: [], existed: false });
    expect((await provision('twice')).code).toBe(0);
    expect((await teardown('twice')).result.removed).toEqual([
      'vhost',
      'containers',
      'volumes',
      'folder',
      'registry',
    ]);
    expect((await teardown('twice')).result.existed).toBe(false);
    await expectGone('twice');
  });

  it('keeps data only when asked: keepData then restoreData, and a reused id starts empty', async () => {
    expect((await provision('keeper')).code).toBe(0);
    expect((await request(nginx.port, host('keeper'), 'POST', '/items', { name: 'precious' })).status).toBe(
      201,
    );
    expect((await teardown('keeper', { keepData: true })).code).toBe(0);
    const kept = await docker('volume', 'ls', '-q', '--filter', 'label=io.probe.tenant=keeper');
    expect(kept).toHaveLength(1);

    expect((await provision('keeper')).code).toBe(0); // reused id without restoreData: fresh data
    expect(await items('keeper')).toEqual([]);
    expect((await teardown('keeper')).code).toBe(0);
    expect(await docker('volume', 'ls', '-q', '--filter', 'label=io.probe.tenant=keeper')).toEqual(kept);

    const restored = await provision('keeper', { restoreData: true });
    expect(restored.code, restored.stderr).toBe(0);
    expect(await items('keeper')).toEqual(['precious']);
    expect((await teardown('keeper')).code).toBe(0);
    await expectGone('keeper');
    const again = await provision('keeper', { restoreData: true });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no data of keeper was kept/);
  });
});
