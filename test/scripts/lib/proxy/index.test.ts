import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeVhost, writeVhost } from '../../../../scripts/lib/proxy/index.js';
import type { NginxSettings } from '../../../../scripts/lib/settings.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../../../..');
const VHOST = path.join(REPO, 'config/templates/nginx/vhost.conf');
const COMPILED_LOCK = path.join(REPO, 'dist/scripts/lib/proxy/lock.js');
const dirs: string[] = [];
const quiet = () => {};

/** nginx stand-ins: `test` is `true` or `false`, `reload` touches a marker file. */
function setup(testPasses: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-proxy-'));
  dirs.push(dir);
  const reloaded = path.join(dir, 'reloaded');
  const nginx: NginxSettings = {
    confDir: path.join(dir, 'conf.d'),
    listen: 8080,
    test: [testPasses ? 'true' : 'false'],
    reload: ['touch', reloaded],
    vhostTemplate: VHOST,
    logDir: path.join(dir, 'logs'),
  };
  return { stateDir: path.join(dir, 'state'), nginx, reloaded };
}

const site = { id: 'acme', serverName: 'acme.saas.localhost', appPort: 18000 };

beforeAll(async () => {
  if (!fs.existsSync(COMPILED_LOCK))
    await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO }).catch(() => {});
}, 120_000);
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('writeVhost / removeVhost', () => {
  it('writes the vhost and the default server, then reloads', async () => {
    const { stateDir, nginx, reloaded } = setup(true);
    const file = await writeVhost(stateDir, nginx, site, quiet);
    expect(file).toBe(path.join(nginx.confDir, 'acme.conf'));
    expect(fs.readdirSync(nginx.confDir).sort()).toEqual(['000-default.conf', 'acme.conf']);
    expect(fs.readFileSync(file, 'utf8')).toContain('proxy_pass http://127.0.0.1:18000;');
    expect(fs.existsSync(reloaded)).toBe(true);
  });

  it('restores the previous files and does not reload when the test fails', async () => {
    const good = setup(true);
    await writeVhost(good.stateDir, good.nginx, site, quiet);
    const before = fs.readFileSync(path.join(good.nginx.confDir, 'acme.conf'), 'utf8');
    fs.rmSync(good.reloaded);
    const bad = { ...good.nginx, test: ['false'] };
    await expect(writeVhost(good.stateDir, bad, { ...site, appPort: 18500 }, quiet)).rejects.toThrow(
      /nginx rejected the configuration/,
    );
    expect(fs.readFileSync(path.join(good.nginx.confDir, 'acme.conf'), 'utf8')).toBe(before);
    expect(fs.existsSync(good.reloaded)).toBe(false);
    expect(fs.readdirSync(good.nginx.confDir).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('removes a new vhost the test rejects', async () => {
    const { stateDir, nginx, reloaded } = setup(false);
    await expect(writeVhost(stateDir, nginx, site, quiet)).rejects.toThrow(/not reloaded/);
    expect(fs.existsSync(nginx.confDir) ? fs.readdirSync(nginx.confDir) : []).toEqual([]);
    expect(fs.existsSync(reloaded)).toBe(false);
  });

  it('removes a vhost with a reload, and says false when there is none', async () => {
    const { stateDir, nginx, reloaded } = setup(true);
    await writeVhost(stateDir, nginx, site, quiet);
    fs.rmSync(reloaded);
    expect(await removeVhost(stateDir, nginx, 'acme', quiet)).toBe(true);
    expect(fs.existsSync(path.join(nginx.confDir, 'acme.conf'))).toBe(false);
    expect(fs.existsSync(reloaded)).toBe(true);
    expect(await removeVhost(stateDir, nginx, 'acme', quiet)).toBe(false);
  });

  it('serialises reloads across processes with one lock', async () => {
    const { stateDir } = setup(true);
    const script = `
      const { withNginxLock } = await import(${JSON.stringify(COMPILED_LOCK)});
      await withNginxLock(process.argv[1], async () => {
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 200));
        console.log(JSON.stringify([start, Date.now()]));
      });`;
    const runs = Array.from({ length: 4 }, () =>
      run('node', ['--input-type=module', '-e', script, stateDir]),
    );
    const spans = (await Promise.all(runs)).map((r) => JSON.parse(r.stdout) as [number, number]);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });
});
