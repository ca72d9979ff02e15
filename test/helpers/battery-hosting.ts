import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { loadKeys } from '../../agent/auth/keys.js';
import { signToken } from '../../agent/auth/token.js';
import { loadConfig, type AgentConfig } from '../../agent/config/load.js';
import { DEFAULT_SERVER_FILE } from '../../scripts/lib/proxy/index.js';
import { renderDefaultServer } from '../../scripts/lib/proxy/render.js';
import type { TenantRow } from '../../scripts/lib/registry.js';
import type { HostingSettings, NginxSettings } from '../../scripts/lib/settings.js';
import { writeConfig } from './agent.js';
import { serveAgent, type ServedAgent } from './battery.js';
import { docker, dockerLeftovers } from './hosting.js';
import { request } from './http.js';
import { REPO, startNginx, VHOST_TEMPLATE, type PrivateNginx } from './nginx.js';

const exec = promisify(execFile);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const hostOf = (id: string) => `${id}.saas.localhost`;

// ---------------------------------------------------------------------------------------------
// An agent with the hosting tasks, run as its own process.

export interface HostingAgentOptions {
  nginx: NginxSettings;
  ports: { from: number; to: number };
  templatesDir: string;
  /** Absolute; default: `state/` beside the config file. */
  stateDir?: string;
  /** Extra variables for every hosting task (e.g. DOCKER_HOST). */
  taskEnv?: Record<string, string>;
  server?: Record<string, unknown>;
  /** Per-task timeout (default 3m). */
  timeout?: string;
  /** More tasks beside the hosting ones (e.g. the fixture tasks). */
  extraTasks?: Record<string, unknown>;
}

export interface HostingAgentConfig {
  file: string;
  dir: string;
  config: AgentConfig;
  settings: HostingSettings;
  /** A token for every hosting task and every run. */
  token: string;
}

/** Writes an agent config with provision, teardown and info (as config/agent.yaml declares them). */
export function hostingAgentConfig(o: HostingAgentOptions): HostingAgentConfig {
  const script = (name: string) => ['node', path.join(REPO, `dist/scripts/${name}.js`)];
  const tenant = { id: { type: 'tenant', required: true } };
  const common = { hosting: true, timeout: o.timeout ?? '3m', env: o.taskEnv ?? {} };
  const { dir, file } = writeConfig({
    server: { host: '127.0.0.1', port: 0, ...o.server },
    ...(o.stateDir ? { stateDir: o.stateDir } : {}),
    log: { level: 'info', requests: false },
    tasks: {
      ...o.extraTasks,
      provision: {
        ...common,
        command: script('provision'),
        args: { ...tenant, template: { type: 'string' }, restoreData: { type: 'boolean', default: false } },
        lock: 'tenant:{id}',
      },
      teardown: {
        ...common,
        command: script('teardown'),
        args: { ...tenant, keepData: { type: 'boolean', default: false } },
        lock: 'tenant:{id}',
      },
      info: { ...common, command: script('info'), args: { id: { type: 'tenant' } } },
    },
    hosting: {
      domain: 'saas.localhost',
      templatesDir: o.templatesDir,
      ports: o.ports,
      reserved: ['www', 'api', 'admin'],
      nginx: { ...o.nginx, vhostTemplate: o.nginx.vhostTemplate ?? VHOST_TEMPLATE },
    },
  });
  const config = loadConfig(file);
  const token = signToken(config.auth, loadKeys(config.auth), {
    sub: 'battery',
    scope: '* runs:read runs:cancel',
  });
  return { file, dir, config, settings: config.hosting!, token };
}

/** `probe serve` as its own process (so it can be SIGKILLed); `kill` waits for it to be gone. */
export interface AgentProcess extends ServedAgent {
  kill(signal?: NodeJS.Signals): Promise<void>;
  alive(): boolean;
}

export async function startAgentProcess(file: string): Promise<AgentProcess> {
  const served = await serveAgent({ args: ['--config', file] });
  const gone = new Promise<void>((resolve) => {
    if (served.child.exitCode !== null || served.child.signalCode !== null) resolve();
    else served.child.once('exit', () => resolve());
  });
  return {
    ...served,
    alive: () => served.child.exitCode === null && served.child.signalCode === null,
    kill: async (signal = 'SIGKILL') => {
      if (served.child.exitCode === null && served.child.signalCode === null) served.child.kill(signal);
      await gone;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The agent's API over plain HTTP (one connection per request, so hundreds can be in flight).

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export function api(base: string, token: string, method: string, urlPath: string, json?: unknown) {
  const url = new URL(urlPath, base);
  const body = json === undefined ? undefined : JSON.stringify(json);
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: `${url.pathname}${url.search}`,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/x-ndjson',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface RunEnd {
  status: string;
  exitCode: number | null;
  durationMs: number;
}

/** What a streamed run answered: the HTTP status, its run id, its lines, result and end. */
export interface RunAnswer {
  status: number;
  id?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  result?: any;
  end?: RunEnd;
  output: string;
  error?: { code: string; message: string; runId?: string };
}

/** POST /v1/runs and follow the stream to its end (or answer the refusal). */
export async function callRun(base: string, token: string, task: string, args: Record<string, unknown>) {
  const a = await api(base, token, 'POST', '/v1/runs', { task, args });
  const out: RunAnswer = { status: a.status, output: '' };
  if (a.status !== 200) {
    out.error = a.body?.error;
    return out;
  }
  const lines: string[] = [];
  for (const line of a.text.split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    if (e.type === 'run') out.id = e.id as string;
    else if (e.type === 'output') lines.push(e.text as string);
    else if (e.type === 'result') out.result = e.data;
    else if (e.type === 'end') out.end = e as unknown as RunEnd;
  }
  out.output = lines.join('\n');
  return out;
}

/** POST /v1/runs?wait=0: the run id, or the refusal. */
export async function startRun(base: string, token: string, task: string, args: Record<string, unknown>) {
  const a = await api(base, token, 'POST', '/v1/runs?wait=0', { task, args });
  if (a.status !== 202) throw new Error(`run ${task} refused: ${a.status} ${a.text}`);
  return a.body.id as string;
}

export interface RunView {
  id: string;
  status: string;
  exitCode: number | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  result: any;
  output: string;
}

export async function getRun(base: string, token: string, id: string): Promise<RunView> {
  const a = await api(base, token, 'GET', `/v1/runs/${id}`);
  if (a.status !== 200) throw new Error(`GET run ${id}: ${a.status} ${a.text}`);
  return a.body as RunView;
}

/** Polls a run until its output matches `pattern` (resolves the output) or it ends (throws). */
export async function waitForLine(base: string, token: string, id: string, pattern: RegExp, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await getRun(base, token, id);
    if (pattern.test(run.output)) return run.output;
    if (run.status !== 'running') throw new Error(`run ended ${run.status} before ${pattern}: ${run.output}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms: ${run.output}`);
    await sleep(50);
  }
}

/** Polls a run until it has a final status. */
export async function waitForEnd(base: string, token: string, id: string, ms = 170_000): Promise<RunView> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await getRun(base, token, id);
    if (run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still running after ${ms} ms`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// What a tenant left behind: docker objects, vhost, folder, registry row, ports.

/** A tenant's registry row, read directly (none when there is no registry yet). */
export function registryRow(stateDir: string, id: string): TenantRow | undefined {
  const file = path.join(stateDir, 'registry.db');
  if (!fs.existsSync(file)) return undefined;
  const db = new Database(file, { timeout: 20_000 });
  try {
    return db
      .prepare(
        `SELECT id, template, app_port AS appPort, db_port AS dbPort, status, url, node, data_key AS dataKey,
         created_at AS createdAt, updated_at AS updatedAt FROM tenants WHERE id = ?`,
      )
      .get(id) as TenantRow | undefined;
  } finally {
    db.close();
  }
}

export function registryPorts(stateDir: string): Set<number> {
  const file = path.join(stateDir, 'registry.db');
  if (!fs.existsSync(file)) return new Set();
  const db = new Database(file, { timeout: 20_000 });
  try {
    const rows = db.prepare('SELECT app_port AS a, db_port AS d FROM tenants').all() as {
      a: number;
      d: number;
    }[];
    return new Set(rows.flatMap((r) => [r.a, r.d]));
  } finally {
    db.close();
  }
}

/** True when something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Everything of a tenant that is still there, one line each: docker objects (by label and by
 * compose project), its vhost, its folder, its registry row, and a listener on a port it had.
 */
export async function leftovers(
  settings: HostingSettings,
  id: string,
  ports: number[] = [],
): Promise<string[]> {
  const found = await dockerLeftovers(id);
  if (fs.existsSync(path.join(settings.nginx.confDir, `${id}.conf`))) found.push(`vhost ${id}.conf`);
  if (fs.existsSync(path.join(settings.stateDir, 'tenants', id))) found.push(`folder tenants/${id}`);
  const row = registryRow(settings.stateDir, id);
  if (row) found.push(`registry row (${row.status})`);
  for (const port of ports) if (await listening(port)) found.push(`listener on port ${port}`);
  return found;
}

/** The tenant's containers as `service:state`. */
export async function containerStates(id: string): Promise<string[]> {
  const lines = await docker(
    'ps',
    '-a',
    '--filter',
    `label=io.probe.tenant=${id}`,
    '--format',
    '{{.Label "com.docker.compose.service"}}:{{.State}}',
  );
  return lines.sort();
}

/** GET / through nginx with the tenant's Host header: its status and whether the page is the tenant's. */
export async function servedBy(nginxPort: number, id: string): Promise<{ status: number; own: boolean }> {
  try {
    const page = await request(nginxPort, hostOf(id), 'GET', '/');
    return { status: page.status, own: page.body.includes(`data-tenant="${id}"`) };
  } catch {
    return { status: 0, own: false }; // the catch-all server drops unknown hosts (444)
  }
}

/** Retries servedBy briefly: nginx applies a reload asynchronously. */
export async function servedSoon(nginxPort: number, id: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last = await servedBy(nginxPort, id);
  while (!(last.status === 200 && last.own) && Date.now() < deadline) {
    await sleep(250);
    last = await servedBy(nginxPort, id);
  }
  return last;
}

export type Picture = 'there' | 'gone' | 'inconsistent';

/**
 * All-or-nothing: the registry, docker, the vhost, the folder and nginx agree that the tenant is
 * fully there and serving, or that it is fully gone. Anything else is described.
 */
export async function picture(settings: HostingSettings, nginxPort: number, id: string) {
  const row = registryRow(settings.stateDir, id);
  const containers = await containerStates(id);
  const objects = await dockerLeftovers(id);
  const vhost = fs.existsSync(path.join(settings.nginx.confDir, `${id}.conf`));
  const folder = fs.existsSync(path.join(settings.stateDir, 'tenants', id));
  const served = await servedBy(nginxPort, id);
  const facts: Record<string, unknown> = {
    row: row?.status ?? null,
    containers,
    objects: objects.length,
    vhost,
    folder,
    served,
  };
  const errorLog = path.join(settings.nginx.logDir, `${id}.error.log`);
  if (served.status !== 200 && fs.existsSync(errorLog)) {
    facts.nginxErrors = fs.readFileSync(errorLog, 'utf8').trim().split('\n').slice(-3);
  }
  const there =
    row?.status === 'running' &&
    containers.join(' ') === 'app:running db:running' &&
    vhost &&
    folder &&
    served.status === 200 &&
    served.own;
  const gone = !row && objects.length === 0 && !vhost && !folder && !served.own;
  const state: Picture = there ? 'there' : gone ? 'gone' : 'inconsistent';
  return { state, facts };
}

// ---------------------------------------------------------------------------------------------
// Faults: nginx that can be stopped and started again, a docker socket that can be cut,
// a full disk, a locked registry, the pid of a task process.

/**
 * A private nginx (see startNginx) on a port of our choosing, below the kernel's ephemeral range
 * so that no outgoing connection can take it, and bound from the start (the catch-all server
 * the proxy writes anyway) rather than at the first tenant's reload. It can be halted and
 * resumed over the same folder.
 */
export class ControlledNginx {
  private resumed?: ChildProcess;
  readonly settings: NginxSettings;
  private constructor(
    private readonly inner: PrivateNginx,
    readonly port: number,
  ) {
    this.settings = { ...inner.settings, listen: port };
  }

  static async start(port: number): Promise<ControlledNginx> {
    const nginx = new ControlledNginx(await startNginx(), port);
    const { confDir, logDir } = nginx.settings;
    fs.writeFileSync(path.join(confDir, DEFAULT_SERVER_FILE), renderDefaultServer(port, logDir));
    await exec(nginx.settings.reload[0], nginx.settings.reload.slice(1));
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (Date.now() > deadline) throw new Error(`private nginx does not listen on ${port}`);
      await sleep(50);
    }
    return nginx;
  }

  get dir(): string {
    return this.inner.dir;
  }
  private get pidFile(): string {
    return path.join(this.inner.dir, 'nginx.pid');
  }
  private pidInFile(): number {
    return fs.existsSync(this.pidFile) ? Number(fs.readFileSync(this.pidFile, 'utf8').trim()) : 0;
  }

  /** Stops the master gracefully (SIGQUIT) and waits until it and its pid file are gone. */
  async halt(): Promise<void> {
    const pid = Number(fs.readFileSync(this.pidFile, 'utf8').trim());
    process.kill(pid, 'SIGQUIT');
    const deadline = Date.now() + 10_000;
    while ((processAlive(pid) || fs.existsSync(this.pidFile)) && Date.now() < deadline) await sleep(50);
    if (processAlive(pid)) throw new Error(`nginx ${pid} did not stop`);
  }

  /** Starts nginx again with the same prefix and config (in the foreground, as our child). */
  async resume(): Promise<void> {
    const base = this.inner.settings.test.slice(1, -1); // nginx <base…> -t
    const child = spawn('nginx', base, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    this.resumed = child;
    const deadline = Date.now() + 10_000;
    // `nginx -t` leaves an empty pid file behind: wait for the master's own pid and its port.
    while (this.pidInFile() !== child.pid || !(await listening(this.port))) {
      if (child.exitCode !== null) throw new Error(`nginx exited at start: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const child = this.resumed;
    if (child && child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await this.inner.stop();
  }
}

/** True while a process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The direct children of a process, with their argv. */
export function childrenOf(parent: number): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      found.push({ pid: Number(entry), argv });
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

/** Every process below `root` (children, their children, …), with their argv. */
export function descendantsOf(root: number): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (let queue = [root]; queue.length;) {
    const kids = childrenOf(queue.shift()!);
    found.push(...kids);
    queue.push(...kids.map((k) => k.pid));
  }
  return found;
}

/** The pid of the task process an agent runs for `script` with `--id=<id>` (directly or through a helper). */
export function taskPid(agentPid: number, script: string, id: string): number {
  const below = descendantsOf(agentPid);
  const match = below.find(
    (c) => c.argv.some((a) => a.endsWith(`dist/scripts/${script}.js`)) && c.argv.includes(`--id=${id}`),
  );
  if (!match) {
    const seen = below.map((c) => `${c.pid}: ${c.argv.join(' ').slice(0, 80)}`).join('; ') || 'none';
    throw new Error(`no ${script} process for ${id} under agent ${agentPid} (below it: ${seen})`);
  }
  return match.pid;
}

/** The processes still in a process group (a task's group is its leader's pid). */
export function groupMembers(pgid: number): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) !== pgid || state === 'Z') continue;
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      found.push({ pid: Number(entry), argv });
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

export async function waitGone(pid: number, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  return !processAlive(pid);
}

/**
 * A unix socket that forwards to the real docker socket, so a task can lose its engine
 * (DOCKER_HOST=unix://<path>) without the host's dockerd being touched. `cutOn` stops the
 * forwarder the moment a request line matches, before that request reaches the engine.
 */
export class DockerForwarder {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private cut?: { pattern: RegExp; done: () => void };
  /** Request lines seen (method and path), for the report. */
  readonly requests: string[] = [];

  constructor(
    readonly socketPath: string,
    private readonly target = '/var/run/docker.sock',
  ) {}

  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  get up(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    fs.rmSync(this.socketPath, { force: true });
    const server = net.createServer((client) => {
      const engine = net.connect(this.target);
      this.sockets.add(client).add(engine);
      const drop = () => {
        client.destroy();
        engine.destroy();
        this.sockets.delete(client);
        this.sockets.delete(engine);
      };
      client.on('data', (chunk: Buffer) => {
        const line = /^(GET|POST|PUT|DELETE|HEAD) (\S+)/m.exec(chunk.toString('latin1'));
        if (line) this.requests.push(`${line[1]} ${line[2]}`);
        if (line && this.cut?.pattern.test(`${line[1]} ${line[2]}`)) {
          const done = this.cut.done;
          this.cut = undefined;
          void this.stop().then(done);
          return;
        }
        engine.write(chunk);
      });
      engine.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('end', () => engine.end());
      engine.on('end', () => client.end());
      client.on('error', drop);
      engine.on('error', drop);
      client.on('close', drop);
      engine.on('close', drop);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.server = server;
  }

  /** Resolves once a request matching `pattern` arrived and the forwarder went down. */
  cutOn(pattern: RegExp): Promise<void> {
    return new Promise((resolve) => (this.cut = { pattern, done: resolve }));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }
}

/** Mounts a tmpfs of `size` at a fresh folder (root only). */
export async function mountTmpfs(size: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-full-'));
  await exec('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  return dir;
}

export async function unmount(dir: string): Promise<void> {
  await exec('umount', [dir]).catch(() => exec('umount', ['-l', dir]));
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes `file` until the filesystem says ENOSPC; returns the bytes written. */
export function fillDisk(file: string): number {
  const fd = fs.openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x61);
      try {
        for (;;) written += fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

/** Holds an exclusive write transaction on the registry from this process until `release()`. */
export function holdRegistry(stateDir: string): { release(): void } {
  const db = new Database(path.join(stateDir, 'registry.db'), { timeout: 20_000 });
  db.exec('BEGIN EXCLUSIVE');
  return {
    release: () => {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** PRAGMA integrity_check of a SQLite file: "ok" when sound. */
export function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
  } finally {
    db.close();
  }
}

/** VmRSS of a process in MB, or undefined when it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A templates folder with the demo template and `sick`: the demo whose health path never answers 2xx. */
export function fixtureTemplates(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-templates-'));
  fs.cpSync(path.join(REPO, 'config/templates/demo'), path.join(dir, 'demo'), { recursive: true });
  const sick = path.join(dir, 'sick');
  fs.mkdirSync(sick);
  fs.copyFileSync(path.join(REPO, 'config/templates/demo/compose.yml'), path.join(sick, 'compose.yml'));
  fs.writeFileSync(
    path.join(sick, 'template.yaml'),
    'description: demo whose health path 404s\nweb: { service: app, port: 3000 }\nhealth: { path: /never, timeout: 4s }\n',
  );
  return dir;
}
