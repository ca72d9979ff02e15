import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { FIXTURES, writeConfig } from '../../helpers/agent.js';

const load = (overrides: Record<string, unknown>) => loadConfig(writeConfig(overrides).file);

describe('loadConfig', () => {
  it('resolves relative paths against the config folder and applies defaults', () => {
    const { dir, file } = writeConfig({
      tasks: { t: { command: ['node', '../bin/x.js', '-e', './y'] } },
    });
    const c = loadConfig(file);
    expect(c.stateDir).toBe(join(dir, 'state'));
    expect(c.auth.secretFile).toBe(join(dir, 'state/jwt.secret'));
    expect(c.tasks.get('t')!.command).toEqual([
      process.execPath,
      join(dir, '../bin/x.js'),
      '-e',
      join(dir, 'y'),
    ]);
    expect(c.tasks.get('t')!.timeoutMs).toBe(60_000);
    expect(c.server.bodyLimit).toBe(64 * 1024);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ['an unknown key', { server: { prot: 1 } }, /server: unknown key "prot"/],
    ['a wrong type', { server: { port: 'x' } }, /server\.port: /],
    [
      'a bad duration',
      { tasks: { t: { command: ['x'], timeout: 'soon' } } },
      /tasks\.t\.timeout: not a duration/,
    ],
    ['a bad task name', { tasks: { 'Bad/Name': { command: ['x'] } } }, /tasks\.Bad\/Name/],
    [
      'a bad arg type',
      { tasks: { t: { command: ['x'], args: { a: { type: 'file' } } } } },
      /tasks\.t\.args\.a\.type/,
    ],
    [
      'a bad pattern',
      { tasks: { t: { command: ['x'], args: { a: { type: 'string', pattern: '(' } } } } },
      /args\.a\.pattern/,
    ],
    ['mixed algorithms', { auth: { algorithms: ['HS256', 'RS256'], secretFile: 's' } }, /mixing HMAC/],
    ['a missing public key setting', { auth: { algorithms: ['RS256'] } }, /auth\.publicKeyFile/],
    [
      'a missing command binary',
      { tasks: { t: { command: ['/nonexistent/bin'] } } },
      /tasks\.t\.command: \/nonexistent\/bin does not exist/,
    ],
    [
      'an unknown hosting key',
      { hosting: { domain: 'x.test', ports: { from: 8000, to: 8100 }, nginx: { confDir: '/x' }, extra: 1 } },
      /hosting: unknown key "extra"/,
    ],
  ])('refuses %s, naming the key', (_name, overrides, message) => {
    expect(() => load(overrides)).toThrow(message);
  });

  it('refuses a missing file', () => {
    expect(() => loadConfig('/nonexistent/agent.yaml')).toThrow(
      /config file not found: \/nonexistent\/agent.yaml/,
    );
  });

  it('refuses a config file writable by others', () => {
    const { file } = writeConfig();
    chmodSync(file, 0o666);
    expect(() => loadConfig(file)).toThrow(/writable by group or others/);
  });

  it('refuses invalid YAML', () => {
    const { file } = writeConfig();
    writeFileSync(file, 'tasks: [\n');
    expect(() => loadConfig(file)).toThrow(/not valid YAML/);
  });

  it('resolves the hosting section into the settings handed to tasks', () => {
    const { dir, file } = writeConfig({
      hosting: {
        domain: 'saas.test',
        ports: { from: 9000, to: 9100 },
        nginx: { confDir: './vhosts', listen: 8081 },
      },
    });
    const h = loadConfig(file).hosting!;
    expect(h).toMatchObject({
      stateDir: join(dir, 'state'),
      domain: 'saas.test',
      defaultTemplate: 'demo',
      templatesDir: join(dir, 'templates'),
      runtime: 'compose',
      reserved: ['www', 'api', 'admin', 'mail', 'probe'],
    });
    expect(h.nginx).toMatchObject({
      confDir: join(dir, 'vhosts'),
      listen: 8081,
      test: ['nginx', '-t'],
      vhostTemplate: join(dir, 'templates/nginx/vhost.conf'),
    });
  });

  it('loads the shipped config', () => {
    const c = loadConfig(join(FIXTURES, '../../config/agent.yaml'));
    expect([...c.tasks.keys()].sort()).toEqual([
      'deploy',
      'hello',
      'info',
      'nginx-config',
      'provision',
      'system',
      'teardown',
    ]);
    expect(c.server.rateLimit?.perMinute).toBeGreaterThan(0);
  });
});
