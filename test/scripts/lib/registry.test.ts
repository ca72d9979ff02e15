import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../../scripts/lib/registry.js';
import { EXIT } from '../../../scripts/lib/task.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../../..');
const COMPILED = path.join(REPO, 'dist/scripts/lib/registry.js');
const dirs: string[] = [];
const always = async () => true;

function stateDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-registry-'));
  dirs.push(dir);
  return path.join(dir, 'state');
}

function tenant(id: string, dataKey = 'k1') {
  return { id, template: 'demo', dataKey };
}

beforeAll(async () => {
  if (!fs.existsSync(COMPILED))
    await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO }).catch(() => {});
}, 120_000);
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('Registry', () => {
  it('gives the first free ports, frees them on release and reuses them', async () => {
    const reg = Registry.open(stateDir());
    const range = { from: 9000, to: 9010 };
    const a = await reg.allocate(tenant('alpha'), range, always);
    const b = await reg.allocate(tenant('beta'), range, always);
    expect([a.appPort, a.dbPort, b.appPort, b.dbPort]).toEqual([9000, 9001, 9002, 9003]);
    expect(a.status).toBe('provisioning');
    reg.release('alpha');
    const c = await reg.allocate(tenant('gamma'), range, always);
    expect([c.appPort, c.dbPort]).toEqual([9000, 9001]);
    expect(reg.all().map((r) => r.id)).toEqual(['beta', 'gamma']);
    reg.close();
  });

  it('refuses an existing tenant with exit 3 and a full range with a clear message', async () => {
    const reg = Registry.open(stateDir());
    await reg.allocate(tenant('alpha'), { from: 9000, to: 9002 }, always);
    await expect(reg.allocate(tenant('alpha'), { from: 9000, to: 9002 }, always)).rejects.toMatchObject({
      exitCode: EXIT.exists,
    });
    await expect(reg.allocate(tenant('beta'), { from: 9000, to: 9002 }, always)).rejects.toThrow(
      /no free ports left in 9000-9002/,
    );
    expect(reg.get('beta')).toBeUndefined();
    reg.close();
  });

  it('skips a port a foreign process listens on', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const busy = (server.address() as net.AddressInfo).port;
    const reg = Registry.open(stateDir());
    try {
      const row = await reg.allocate(tenant('alpha'), { from: busy, to: busy + 50 });
      expect(row.appPort).toBeGreaterThan(busy);
      expect(row.dbPort).toBeGreaterThan(row.appPort);
    } finally {
      reg.close();
      server.close();
    }
  });

  it('keeps status, url and kept-data records', async () => {
    const reg = Registry.open(stateDir());
    await reg.allocate(tenant('alpha', 'aaa'), { from: 9000, to: 9010 }, always);
    reg.setStatus('alpha', 'running');
    reg.setUrl('alpha', 'http://alpha.example/');
    expect(reg.get('alpha')).toMatchObject({
      status: 'running',
      url: 'http://alpha.example/',
      dataKey: 'aaa',
    });
    reg.keepData({ id: 'alpha', dataKey: 'aaa', template: 'demo' });
    expect(reg.keptData('alpha')).toMatchObject({ dataKey: 'aaa', template: 'demo' });
    reg.consumeKeptData('alpha', 'aaa');
    expect(reg.keptData('alpha')).toBeUndefined();
    reg.close();
  });

  it('keeps its files private (0700 folder, 0600 files)', () => {
    const dir = stateDir();
    const reg = Registry.open(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(dir).sort()).toEqual(['registry.db', 'registry.db-shm', 'registry.db-wal']);
    for (const f of fs.readdirSync(dir)) {
      expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
    }
    reg.close();
  });

  it('hands distinct ports to processes allocating at the same moment', async () => {
    const dir = stateDir();
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    const script = `
      const { Registry } = await import(${JSON.stringify(COMPILED)});
      const reg = Registry.open(process.argv[1]);
      const row = await reg.allocate({ id: process.argv[2], template: 'demo', dataKey: 'k' },
        { from: ${base}, to: ${base + 200} });
      console.log(JSON.stringify([row.appPort, row.dbPort]));
      reg.close();`;
    const runs = Array.from({ length: 8 }, (_, i) =>
      run('node', ['--input-type=module', '-e', script, dir, `t${i}`]),
    );
    const ports = (await Promise.all(runs)).flatMap((r) => JSON.parse(r.stdout) as number[]);
    expect(ports).toHaveLength(16);
    expect(new Set(ports).size).toBe(16);
    const reg = Registry.open(dir);
    expect(reg.all()).toHaveLength(8);
    reg.close();
  });
});
