// How nginx follows a tenant to another node: repointVhost rewrites an existing vhost for a
// new upstream through the same test, reload and restore path as writeVhost, and never
// brings back a vhost that was removed. nginx is stood in for by `true`/`false` and `touch`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentUpstream, repointVhost, writeVhost } from '../../scripts/lib/proxy/index.js';
import type { NginxSettings } from '../../scripts/lib/settings.js';
import { VHOST_TEMPLATE } from '../helpers/nginx.js';

const dirs: string[] = [];
const quiet = () => {};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function setup(testPasses = true) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-repoint-'));
  dirs.push(dir);
  const reloads = path.join(dir, 'reloads');
  const nginx: NginxSettings = {
    confDir: path.join(dir, 'conf.d'),
    listen: 8080,
    test: [testPasses ? 'true' : 'false'],
    reload: ['sh', '-c', `echo reload >> ${reloads}`],
    vhostTemplate: VHOST_TEMPLATE,
    logDir: path.join(dir, 'logs'),
  };
  const reloadCount = () =>
    fs.existsSync(reloads) ? fs.readFileSync(reloads, 'utf8').split('\n').length - 1 : 0;
  return { stateDir: path.join(dir, 'state'), nginx, reloadCount };
}

const site = { id: 'acme', serverName: 'acme.saas.localhost', appPort: 21000, address: '10.203.0.2' };
const vhost = (nginx: NginxSettings) => fs.readFileSync(path.join(nginx.confDir, 'acme.conf'), 'utf8');

describe('repointVhost', () => {
  it('proxies to the node address and re-points to the new node, reloading only on a change', async () => {
    const { stateDir, nginx, reloadCount } = setup();
    await writeVhost(stateDir, nginx, site, quiet);
    expect(vhost(nginx)).toContain('proxy_pass http://10.203.0.2:21000;');
    expect(currentUpstream(nginx, 'acme')).toBe('10.203.0.2:21000');
    expect(await repointVhost(stateDir, nginx, site, quiet)).toBe('unchanged');
    expect(reloadCount()).toBe(1);
    const lines: string[] = [];
    expect(
      await repointVhost(stateDir, nginx, { ...site, address: '10.203.0.3' }, (l) => lines.push(l)),
    ).toBe('repointed');
    expect(vhost(nginx)).toContain('proxy_pass http://10.203.0.3:21000;');
    expect(reloadCount()).toBe(2);
    expect(lines).toEqual([
      're-pointing acme.saas.localhost: 10.203.0.2:21000 -> 10.203.0.3:21000',
      'nginx configuration test passed',
      'nginx reloaded',
    ]);
  });

  it('keeps the previous vhost when nginx rejects the new one', async () => {
    const good = setup();
    await writeVhost(good.stateDir, good.nginx, site, quiet);
    const bad = { ...good.nginx, test: ['false'] };
    await expect(repointVhost(good.stateDir, bad, { ...site, address: '10.203.0.3' }, quiet)).rejects.toThrow(
      /previous files restored/,
    );
    expect(currentUpstream(good.nginx, 'acme')).toBe('10.203.0.2:21000');
  });

  it('never brings back a vhost that is gone', async () => {
    const { stateDir, nginx, reloadCount } = setup();
    expect(await repointVhost(stateDir, nginx, site, quiet)).toBe('absent');
    expect(fs.existsSync(path.join(nginx.confDir, 'acme.conf'))).toBe(false);
    expect(reloadCount()).toBe(0);
  });
});
