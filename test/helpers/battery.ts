import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { expect } from 'vitest';
import type { TestAgent } from './agent.js';
import { CLI } from './cli.js';

/** One answer, read to its end: status, headers, raw text and the JSON body when there is one. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface Send {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One raw HTTP request to the agent (no URL normalisation, any header or body bytes). */
export function send(
  base: string,
  { method = 'POST', path = '/v1/runs', headers = {}, body }: Send,
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers, agent: keepAlive, timeout: 30_000 },
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
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON POST /v1/runs with a bearer token. */
export function postRun(
  base: string,
  token: string | undefined,
  body: unknown,
  path = '/v1/runs',
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return send(base, { path, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The events of a streamed (ndjson) run answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function events(reply: Reply): any[] {
  return reply.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown) as never[];
}

/** What a refused request must answer: the catalogue's status and code (none for Node's own 431). */
export interface Refusal {
  status: number;
  code?: string;
}

/**
 * Sends one bad request and checks the whole refusal: exact status and error code, the Bearer
 * challenge on a 401, no process spawned, and the agent still healthy afterwards.
 */
export async function expectRefused(agent: TestAgent, attempt: () => Promise<Reply>, want: Refusal) {
  const before = agent.ctx.manager.spawned;
  const reply = await attempt();
  const seen = { status: reply.status, code: reply.body?.error?.code as string | undefined };
  expect(seen, reply.text.slice(0, 300)).toEqual({ status: want.status, code: want.code });
  if (want.code) expect(Object.keys(reply.body.error)).toEqual(expect.arrayContaining(['code', 'message']));
  if (want.status === 401) expect(reply.headers['www-authenticate']).toMatch(/^Bearer /);
  expect(reply.text).not.toMatch(/\bat .+\.(js|ts):\d+/); // no stack trace reaches a client
  expect(agent.ctx.manager.spawned).toBe(before);
  const health = await send(agent.url, { method: 'GET', path: '/healthz' });
  expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: { status: 'ok' } });
  return reply;
}

/** Counts cases and their outcome, for the one summary line each battery part prints. */
export class Tally {
  ok = 0;
  total = 0;
  constructor(readonly label: string) {}

  /** Runs one case; a failure is counted, then rethrown so the test fails too. */
  async check<T>(run: () => Promise<T>): Promise<T> {
    this.total++;
    const value = await run();
    this.ok++;
    return value;
  }

  /** Counts one case whose outcome is already known; returns it. */
  count(ok: boolean): boolean {
    this.total++;
    if (ok) this.ok++;
    return ok;
  }

  /**
   * A checker for one fast-check property: it counts each generated case until the first
   * failure, so the shrinking runs that follow do not inflate the count.
   */
  forProperty(): <T>(run: () => Promise<T>) => Promise<T> {
    let failed = false;
    return async (run) => {
      if (failed) return run();
      try {
        return await this.check(run);
      } catch (err) {
        failed = true;
        throw err;
      }
    };
  }

  line(): string {
    return `${this.label}: ${this.ok}/${this.total}`;
  }
}

/** A short printable name for a case built from arbitrary input. */
export function show(value: unknown, max = 50): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

export const nowSec = () => Math.floor(Date.now() / 1000);

/** A base64url JSON segment of a hand-made token. */
export const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const HMAC = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;
export type HsAlgorithm = keyof typeof HMAC;

/** Signs a token by hand, so nothing on the signing side can refuse an odd claim or header. */
export function signHs(
  payload: Record<string, unknown>,
  key: Buffer | string,
  header: Record<string, unknown> = {},
  alg: HsAlgorithm = 'HS256',
): string {
  const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${input}.${createHmac(HMAC[alg], key).update(input).digest('base64url')}`;
}

export { freePort } from './nginx.js';

export interface ServedAgent {
  child: ChildProcess;
  url: string;
  pid: number;
  logs(): string;
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  /** CLI args after `serve`; none means the config comes from PROBE_CONFIG. */
  args?: string[];
  /** Added to this process's environment: the agent's own environment. */
  env?: Record<string, string>;
  /** Starts the agent under this umask (through `sh -c 'umask …; exec …'`). */
  umask?: string;
}

function spawnCli(args: string[], options: ServeOptions): ChildProcess {
  const env = { ...process.env, ...options.env };
  const argv = [CLI, ...args];
  if (options.umask === undefined) {
    return spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return spawn('/bin/sh', ['-c', `umask ${options.umask} && exec "$@"`, 'sh', process.execPath, ...argv], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts `probe serve` as its own process, with its own environment, and resolves once it listens. */
export function serveAgent(options: ServeOptions = {}): Promise<ServedAgent> {
  const child = spawnCli(['serve', ...(options.args ?? [])], options);
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let listening = false;
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m && !listening) {
        listening = true;
        resolve({
          child,
          url: m[1],
          pid: child.pid!,
          logs: () => out,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      if (!listening) reject(new Error(`agent exited ${code} before listening: ${out}`));
    });
  });
}

/** Runs `probe serve` expecting it to refuse to start; kills it at once if it listens after all (or after 10 s). */
export function serveRefused(
  options: ServeOptions,
): Promise<{ code: number | null; stdout: string; stderr: string; listened: boolean }> {
  const child = spawnCli(['serve', ...(options.args ?? [])], options);
  let stdout = '';
  let stderr = '';
  let listened = false;
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (!listened && stdout.includes('"listening"')) {
      listened = true;
      stop();
    }
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(stop, 10_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, listened });
    }),
  );
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
