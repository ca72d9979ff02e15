import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostingSettings } from '../../../../scripts/lib/settings.js';
import { EXIT } from '../../../../scripts/lib/task.js';
import { openHosting, type Hosting } from '../../../../scripts/lib/tasks/context.js';
import { deploy } from '../../../../scripts/lib/tasks/deploy.js';
import { nginxConfig } from '../../../../scripts/lib/tasks/nginx-config.js';
import { provision } from '../../../../scripts/lib/tasks/provision.js';
import { teardown } from '../../../../scripts/lib/tasks/teardown.js';
import { STREAK, verifyServed } from '../../../../scripts/lib/tasks/verify.js';
import { FakeRuntime } from '../../../helpers/fake-runtime.js';

const REPO = path.resolve(import.meta.dirname, '../../../..');
let open: { h: Hosting; runtime: FakeRuntime; dir: string }[] = [];
const lines: string[] = [];
const log = (line: string) => lines.push(line);

/** A hosting context over temp folders, the fake runtime and nginx stand-ins (`true`/`false`). */
function hosting(nginxTestPasses = true) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-tasks-'));
  const base = 40_000 + Math.floor(Math.random() * 20_000);
  const settings: HostingSettings = {
    stateDir: path.join(dir, 'state'),
    domain: 'saas.localhost',
    defaultTemplate: 'demo',
    templatesDir: path.join(REPO, 'config/templates'),
    ports: { from: base, to: base + 100 },
    reserved: ['www'],
    runtime: 'compose',
    nginx: {
      confDir: path.join(dir, 'conf.d'),
      listen: 8080,
      test: [nginxTestPasses ? 'true' : 'false'],
      reload: ['true'],
      vhostTemplate: path.join(REPO, 'config/templates/nginx/vhost.conf'),
      logDir: path.join(dir, 'logs'),
    },
  };
  const runtime = new FakeRuntime();
  const h = openHosting(settings, runtime);
  open.push({ h, runtime, dir });
  return { h, runtime, settings };
}

/** Plays nginx for verify: answers every request with `status` and notes the Host headers. */
async function standInProxy(status: number) {
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    res.statusCode = status;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, hosts, port: (server.address() as AddressInfo).port };
}

afterEach(async () => {
  for (const { h, runtime, dir } of open) {
    await runtime.closeAll();
    h.registry.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  open = [];
  lines.length = 0;
});

describe('deploy', () => {
  it('registers, starts and marks the tenant running', async () => {
    const { h } = hosting();
    const r = await deploy(h, { id: 'acme', restoreData: false }, log);
    expect(r).toMatchObject({ id: 'acme', template: 'demo' });
    expect(h.registry.get('acme')?.status).toBe('running');
  });

  it('refuses an existing tenant with exit 3 without touching the runtime', async () => {
    const { h, runtime } = hosting();
    await deploy(h, { id: 'acme', restoreData: false }, log);
    runtime.calls.length = 0;
    await expect(deploy(h, { id: 'acme', restoreData: false }, log)).rejects.toMatchObject({
      exitCode: EXIT.exists,
    });
    expect(runtime.calls).toEqual([]);
  });

  it('undoes its own work when the runtime fails', async () => {
    const { h, runtime, settings } = hosting();
    runtime.fail.up = 'image missing';
    await expect(deploy(h, { id: 'acme', restoreData: false }, log)).rejects.toThrow(
      /deploy of acme failed: .*image missing/,
    );
    expect(h.registry.get('acme')).toBeUndefined();
    expect(fs.existsSync(path.join(settings.stateDir, 'tenants', 'acme'))).toBe(false);
    expect(runtime.calls).toEqual(['up acme', 'down acme keep=']);
  });

  it('refuses a bad id before anything else', async () => {
    const { h, runtime } = hosting();
    await expect(deploy(h, { id: 'www', restoreData: false }, log)).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
    await expect(deploy(h, { id: '../x', restoreData: false }, log)).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
    expect(runtime.calls).toEqual([]);
  });
});

describe('nginx-config', () => {
  it('says not found for an unknown tenant', async () => {
    const { h } = hosting();
    await expect(nginxConfig(h, { id: 'ghost' }, log)).rejects.toMatchObject({ exitCode: EXIT.notFound });
  });
});

describe('provision', () => {
  it('composes deploy, nginx-config and verify, and tags each line with its step', async () => {
    const { h, settings } = hosting();
    const proxy = await standInProxy(200);
    settings.nginx.listen = proxy.port;
    const r = await provision(h, { id: 'acme', restoreData: false }, log);
    expect(r).toMatchObject({
      id: 'acme',
      template: 'demo',
      url: `http://acme.saas.localhost:${proxy.port}/`,
    });
    expect(proxy.hosts).toContain('acme.saas.localhost');
    for (const tag of ['[deploy] ', '[nginx-config] ', '[verify] '])
      expect(lines.some((l) => l.startsWith(tag))).toBe(true);
    expect(h.registry.get('acme')).toMatchObject({ status: 'running', url: r.url });
    await expect(provision(h, { id: 'acme', restoreData: false }, log)).rejects.toMatchObject({
      exitCode: EXIT.exists,
    });
    proxy.server.close();
  });

  /** Makes the runtime's `up` take a while, and notes whether the vhost was there before it ended. */
  function slowUp(runtime: FakeRuntime, vhost: string, fail?: string) {
    const seen = { vhostDuringUp: false };
    const up = runtime.up.bind(runtime);
    runtime.up = async (w, l) => {
      for (let i = 0; i < 40 && !fs.existsSync(vhost); i++) await new Promise((r) => setTimeout(r, 25));
      seen.vhostDuringUp = fs.existsSync(vhost);
      if (fail) throw new Error(fail);
      return up(w, l);
    };
    return seen;
  }

  it('publishes the vhost while the containers start', async () => {
    const { h, runtime, settings } = hosting();
    const proxy = await standInProxy(200);
    settings.nginx.listen = proxy.port;
    const seen = slowUp(runtime, path.join(settings.nginx.confDir, 'acme.conf'));
    await provision(h, { id: 'acme', restoreData: false }, log);
    expect(seen.vhostDuringUp).toBe(true);
    proxy.server.close();
  });

  it('a vhost published early is gone after the rollback of failed containers', async () => {
    const { h, runtime, settings } = hosting();
    const seen = slowUp(runtime, path.join(settings.nginx.confDir, 'acme.conf'), 'image missing');
    await expect(provision(h, { id: 'acme', restoreData: false }, log)).rejects.toThrow(
      /provision of acme failed at step deploy: .*image missing/,
    );
    expect(seen.vhostDuringUp).toBe(true);
    expect(
      fs.readdirSync(settings.nginx.confDir).filter((f) => f.endsWith('.conf') && f !== '000-default.conf'),
    ).toEqual([]);
    expect(h.registry.get('acme')).toBeUndefined();
  });

  it('verify names the host and the answer when the site does not answer 2xx/3xx', async () => {
    const { settings } = hosting();
    const proxy = await standInProxy(502);
    settings.nginx.listen = proxy.port;
    await expect(verifyServed(settings, 'acme', log, 800)).rejects.toThrow(
      /Host acme.saas.localhost .*HTTP 502/,
    );
    proxy.server.close();
  });

  it('verify wants STREAK good answers in a row, each on its own connection', async () => {
    const { settings } = hosting();
    // good, dropped (a retiring worker's catch-all: 444), then good from then on
    const script = ['ok', 'drop', 'ok', 'ok', 'ok', 'ok'];
    const connections = new Set<unknown>();
    let asked = 0;
    const server = http.createServer((req, res) => {
      connections.add(req.socket);
      if (script[asked++] === 'drop') req.socket.destroy();
      else res.end('shop');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    settings.nginx.listen = (server.address() as AddressInfo).port;
    await verifyServed(settings, 'acme', log, 5000);
    expect(asked).toBe(2 + STREAK);
    expect(connections.size).toBe(asked);
    expect(lines.at(-1)).toMatch(new RegExp(`answered 200, ${STREAK} times in a row`));
    server.close();
  });

  it('rolls everything back when nginx rejects the vhost', async () => {
    const { h, runtime, settings } = hosting(false);
    await expect(provision(h, { id: 'acme', restoreData: false }, log)).rejects.toThrow(
      /provision of acme failed at step nginx-config: .*nginx rejected the configuration/,
    );
    expect(runtime.calls).toEqual(['up acme', 'down acme keep=']);
    expect(h.registry.get('acme')).toBeUndefined();
    expect(fs.readdirSync(settings.nginx.confDir)).toEqual([]);
    expect(fs.existsSync(path.join(settings.stateDir, 'tenants', 'acme'))).toBe(false);
  });
});

describe('teardown', () => {
  it('runs every step, keeps the row as failed when one fails, and a retry finishes', async () => {
    const { h, runtime, settings } = hosting();
    await deploy(h, { id: 'acme', restoreData: false }, log);
    await nginxConfig(h, { id: 'acme' }, log);
    fs.mkdirSync(path.join(settings.stateDir, 'tenants', 'acme'), { recursive: true });
    runtime.fail.down = 'engine on fire';
    const first = await teardown(h, { id: 'acme', keepData: false }, log);
    expect(first).toMatchObject({ removed: ['vhost', 'folder'], failed: ['containers'] });
    expect(first.errors.containers).toMatch(/engine on fire/);
    expect(h.registry.get('acme')?.status).toBe('failed');
    runtime.fail = {};
    const retry = await teardown(h, { id: 'acme', keepData: false }, log);
    expect(retry).toMatchObject({ removed: ['containers', 'registry'], failed: [] });
    expect(h.registry.get('acme')).toBeUndefined();
  });

  it('records kept data and hands its key to the runtime as one to keep', async () => {
    const { h, runtime } = hosting();
    await deploy(h, { id: 'acme', restoreData: false }, log);
    const key = h.registry.get('acme')?.dataKey;
    await teardown(h, { id: 'acme', keepData: true }, log);
    expect(h.registry.keptData('acme')).toMatchObject({ dataKey: key, template: 'demo' });
    expect(runtime.calls.at(-1)).toBe(`down acme keep=${key}`);
  });
});
