// The host as setup-host leaves it: the real Docker engine, the offline demo images,
// both templates rendered by the real compose, and the demo template run for real.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../helpers/nginx.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEMPLATES = path.join(ROOT, 'config/templates');
const IMAGES = ['probe/demo-shop:1', 'probe/demo-redis:1'];

// Only what docker and compose need, so a stray ID or PORT_APP in the caller's
// environment cannot override the .env file under test.
const CLEAN_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
};

let compose: string[] = [];
let tmp = '';

/** Runs the compose flavour this host has (`docker compose` v2, else docker-compose v1). */
function runCompose(args: string[]) {
  return execa(compose[0], [...compose.slice(1), ...args], {
    env: CLEAN_ENV,
    extendEnv: false,
    reject: false,
  });
}

/** A TCP port free on 127.0.0.1 right now. */

async function writeEnv(name: string, vars: Record<string, string | number>): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(
    file,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return file;
}

/** Host IPs of every published port in a `compose config` output (v1 short or v2 long syntax). */
function publishedHostIps(service: { ports?: unknown[] }): string[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'string') return /^(?:(\d+\.\d+\.\d+\.\d+):)?\d+:\d+/.exec(p)?.[1] ?? '0.0.0.0';
    return (p as { host_ip?: string }).host_ip ?? '0.0.0.0';
  });
}

/** Polls url until it answers 200 or the deadline passes; returns the last status. */
async function waitFor200(url: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (Date.now() < deadline) {
    status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
  return status;
}

beforeAll(async () => {
  const info = await execa('docker', ['info'], { reject: false });
  if (info.exitCode !== 0) {
    throw new Error(
      `no Docker engine answers (docker info: ${info.stderr.trim()}); run \`npm run setup-host\` first`,
    );
  }
  const v2 = await execa('docker', ['compose', 'version'], { reject: false });
  compose = v2.exitCode === 0 ? ['docker', 'compose'] : ['docker-compose'];
  tmp = await mkdtemp(path.join(tmpdir(), 'probe-hosttest-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('templates render with the real compose', () => {
  it.each(['demo', 'aquila'])('%s binds published ports to 127.0.0.1 only', async (template) => {
    const env = await writeEnv(`${template}.env`, { ID: 'hosttest', PORT_APP: 18080, PORT_DB: 18081 });
    const file = path.join(TEMPLATES, template, 'compose.yml');
    const out = await runCompose(['-f', file, '--env-file', env, 'config']);
    expect(out.exitCode, out.stderr).toBe(0);
    const services = parse(out.stdout).services as Record<string, { ports?: unknown[] }>;
    const ips = Object.values(services).flatMap(publishedHostIps);
    expect(ips.length).toBeGreaterThan(0);
    expect(
      ips.every((ip) => ip === '127.0.0.1'),
      `published on ${ips.join(', ')}`,
    ).toBe(true);
    if (template === 'aquila') expect(services.mongo.ports ?? []).toEqual([]);
  });

  it('refuses to render without the tenant id', async () => {
    const env = await writeEnv('no-id.env', { PORT_APP: 18080, PORT_DB: 18081 });
    const out = await runCompose([
      '-f',
      path.join(TEMPLATES, 'demo/compose.yml'),
      '--env-file',
      env,
      'config',
    ]);
    expect(out.exitCode).not.toBe(0);
    expect(out.stderr).toContain('ID (the tenant id) is not set');
  });
});

describe('demo template runs offline', () => {
  const id = `hosttest-${randomBytes(3).toString('hex')}`;
  const project = `probe-${id}`;
  let base = '';
  let args: string[] = [];

  beforeAll(async () => {
    for (const image of IMAGES) {
      const r = await execa('docker', ['image', 'inspect', image], { reject: false });
      if (r.exitCode !== 0) throw new Error(`image ${image} is missing; run \`npm run setup-host\``);
    }
    const [app, db] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${app}`;
    const env = await writeEnv(`${id}.env`, { ID: id, PORT_APP: app, PORT_DB: db });
    args = ['-p', project, '-f', path.join(TEMPLATES, 'demo/compose.yml'), '--env-file', env];
  });

  afterAll(async () => {
    if (args.length) await runCompose([...args, 'down', '-v', '--remove-orphans', '-t', '2']);
  });

  it('comes up healthy and shows the tenant', async () => {
    const up = await runCompose([...args, 'up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await waitFor200(`${base}/healthz`)).toBe(200);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain(`<h1>Shop ${id}</h1>`);
    expect(page).toContain(`data-tenant="${id}"`);
  });

  it('resolves the db service by name inside the app container', async () => {
    const script = "require('node:dns').promises.lookup('db').then((a) => console.log(a.address))";
    const r = await runCompose([...args, 'exec', '-T', 'app', '/usr/bin/node', '-e', script]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('keeps an added item across a restart', async () => {
    const post = await fetch(`${base}/items`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'Green <tea> & co' }),
      redirect: 'manual',
    });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/');
    const restart = await runCompose([...args, 'restart']);
    expect(restart.exitCode, restart.stderr).toBe(0);
    expect(await waitFor200(`${base}/healthz`)).toBe(200);
    const body = (await (await fetch(`${base}/api/items`)).json()) as { tenant: string; items: string[] };
    expect(body).toEqual({ tenant: id, items: ['Green <tea> & co'] });
    expect(await (await fetch(`${base}/`)).text()).toContain('<li>Green &lt;tea&gt; &amp; co</li>');
  });

  it('reports unhealthy while its database is down, and recovers', async () => {
    const stop = await runCompose([...args, 'stop', 'db']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    const start = await runCompose([...args, 'start', 'db']);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(await waitFor200(`${base}/healthz`)).toBe(200);
  });

  it('goes down promptly and leaves nothing behind', async () => {
    const t0 = Date.now();
    const down = await runCompose([...args, 'down', '-v']);
    const took = Date.now() - t0;
    expect(down.exitCode, down.stderr).toBe(0);
    expect(took).toBeLessThan(5000);
    const label = `label=com.docker.compose.project=${project}`;
    for (const kind of [
      ['ps', '-a'],
      ['network', 'ls'],
      ['volume', 'ls'],
    ]) {
      const r = await execa('docker', [...kind, '-q', '--filter', label]);
      expect(r.stdout.trim(), `${kind.join(' ')} still lists ${project}`).toBe('');
    }
  });
});

describe('setup-host', () => {
  it('is idempotent and fast the second time', async () => {
    const script = path.join(ROOT, 'scripts/host/setup-host.sh');
    // The first run may rebuild an image whose sources changed; the second must only check.
    const first = await execa('bash', [script], { reject: false });
    expect(first.exitCode, `${first.stdout}\n${first.stderr}`).toBe(0);
    const t0 = Date.now();
    const again = await execa('bash', [script], { reject: false });
    expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(again.stdout).toContain('-----> Host ready');
    for (const image of IMAGES) expect(again.stdout).toContain(`${image} is up to date`);
  });
});

describe('nginx snippet', () => {
  const snippet = path.join(ROOT, 'config/nginx/probe.conf');

  it('is installed by setup-host and defines no server of its own', async () => {
    const text = await readFile(snippet, 'utf8');
    expect(await readFile('/etc/nginx/conf.d/probe.conf', 'utf8')).toBe(text);
    expect(text).not.toMatch(/^\s*server\s*\{/m);
    expect(text).toContain('include /etc/nginx/probe.d/*.conf;');
  });

  it('holds 1,000 tenant server names of ~60 characters without a hash warning', async () => {
    // A private nginx prefix: the snippet's hash sizes, 1,000 vhosts, only `nginx -t`.
    const prefix = path.join(tmp, 'nginx-hash');
    await mkdir(path.join(prefix, 'logs'), { recursive: true });
    const hashLines = (await readFile(snippet, 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('server_names_hash'));
    const servers = Array.from(
      { length: 1000 },
      (_, i) =>
        `server { listen 127.0.0.1:9; server_name shop-${i}-${randomBytes(4).toString('hex')}.customers.hosting-platform.example.com; }`,
    );
    const conf = path.join(prefix, 'nginx.conf');
    await writeFile(
      conf,
      `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents {}\nhttp {\n${hashLines.join('\n')}\n${servers.join('\n')}\n}\n`,
    );
    const r = await execa('nginx', ['-t', '-p', prefix, '-c', conf], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('could not build optimal server_names_hash');
  });
});
