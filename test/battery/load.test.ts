import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tally } from '../helpers/battery.js';
import {
  api,
  callRun,
  ControlledNginx,
  hostingAgentConfig,
  hostOf,
  leftovers,
  rssMb,
  servedBy,
  startAgentProcess,
  type AgentProcess,
  type HostingAgentConfig,
  type RunAnswer,
} from '../helpers/battery-hosting.js';
import { demoImagesReady, forceRemoveTenants, runTask as runScript } from '../helpers/hosting.js';
import { REPO } from '../helpers/nginx.js';

// Load, bounded in count and time, on loopback only. Real dockerd, a private
// nginx on 21990, tenants lod-*, ports 21000-21899, one agent as its own process.

const run = promisify(execFile);
const tally = new Tally('load held');
const report: string[] = [];
const RSS_BOUND_MB = 300;
const FINAL = ['succeeded', 'failed', 'timed_out', 'canceled', 'interrupted'];
const used = new Set<string>();
let nginx: ControlledNginx;
let cfg: HostingAgentConfig;
let agent: AgentProcess;

const via = (task: string, args: Record<string, unknown>) => callRun(agent.url, cfg.token, task, args);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function ended(r: RunAnswer, status: string): void {
  expect({ http: r.status, error: r.error, status: r.end?.status }, r.output).toEqual({
    http: 200,
    error: undefined,
    status,
  });
}

async function expectClean(id: string, ports: number[] = []) {
  expect(await leftovers(cfg.settings, id, ports), `leftovers of ${id}`).toEqual([]);
}

/** Samples the agent's VmRSS every 100 ms until stopped; resolves the highest value seen. */
function sampleRss(pid: number): { stop(): number } {
  let max = rssMb(pid) ?? 0;
  const timer = setInterval(() => (max = Math.max(max, rssMb(pid) ?? 0)), 100);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(max, rssMb(pid) ?? 0);
    },
  };
}

interface Traffic {
  requests: number;
  failures: number;
  /** Requests sent again on a new connection because nginx had closed the idle one they went out on. */
  retried: number;
  firstFailures: string[];
  slowestMs: number;
}

/** Nginx closed an idle keep-alive connection (a reload ends the old workers) as a request went out on it. */
class ClosedIdleConnection extends Error {}

/**
 * `workers` loops of keep-alive GETs of tenant `id`'s home page through nginx, until `stop`
 * resolves: each answer must be a 200 with the tenant's own page. Like browsers and curl, a
 * client sends an idempotent request once more on a new connection when the server closed
 * the connection before answering anything (RFC 9112, 9.3.1); such requests are counted apart.
 */
async function hammer(id: string, workers: number, stop: Promise<unknown>): Promise<Traffic> {
  const t: Traffic = { requests: 0, failures: 0, retried: 0, firstFailures: [], slowestMs: 0 };
  let stopping = false;
  void stop.then(() => (stopping = true));
  const fail = (why: string) => {
    t.failures++;
    if (t.firstFailures.length < 5) t.firstFailures.push(why);
  };
  const worker = async () => {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (!stopping) {
        const began = performance.now();
        try {
          // A connection closed before any answer is sent again on a new one (twice at most).
          let page: { status: number; body: string } | undefined;
          for (let attempt = 1; !page; attempt++) {
            page = await get(keepAlive, id).catch((err: Error) => {
              if (!(err instanceof ClosedIdleConnection) || attempt === 3) throw err;
              t.retried++;
              return undefined;
            });
          }
          if (page.status !== 200 || !page.body.includes(`data-tenant="${id}"`)) {
            fail(`HTTP ${page.status}: ${page.body.slice(0, 80)}`);
          }
        } catch (err) {
          fail((err as Error).message);
        }
        t.requests++;
        t.slowestMs = Math.max(t.slowestMs, performance.now() - began);
      }
    } finally {
      keepAlive.destroy();
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return t;
}

function get(keepAlive: http.Agent, id: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.get(
      { host: '127.0.0.1', port: nginx.port, path: '/', headers: { host: hostOf(id) }, agent: keepAlive },
      (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // nginx's graceful reload closes idle connections in the old workers, kept-alive ones and,
      // rarely, one it had just accepted but not read: either way nothing was answered.
      const closedIdle = !answered && err.code === 'ECONNRESET';
      reject(
        closedIdle
          ? new ClosedIdleConnection(err.message)
          : new Error(
              `${err.message} (${err.code ?? 'no code'}, ${req.reusedSocket ? 'reused' : 'new'} connection)`,
            ),
      );
    });
  });
}

beforeAll(async () => {
  if (!(await demoImagesReady())) {
    throw new Error('docker engine or the demo images missing: run npm run setup-host');
  }
  await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO }).catch(() => {});
  nginx = await ControlledNginx.start(21990);
  cfg = hostingAgentConfig({
    nginx: nginx.settings,
    ports: { from: 21000, to: 21899 },
    templatesDir: path.join(REPO, 'config/templates'),
    server: { maxConcurrentRuns: 256 }, // and no rate limit
  });
  agent = await startAgentProcess(cfg.file);
}, 180_000);

afterAll(async () => {
  console.log([...report, tally.line()].join('\n'));
  if (!cfg) return;
  await Promise.all(
    [...used].map((id) => runScript('teardown', { id }, cfg.settings).catch(() => undefined)),
  );
  await forceRemoveTenants([...used]);
  await agent?.kill('SIGTERM').catch(() => undefined);
  await nginx?.stop().catch(() => undefined);
  fs.rmSync(cfg.dir, { recursive: true, force: true });
}, 180_000);

describe('load held', () => {
  it('1. 200 info runs with 20 provisions at once: all recorded, the provisioned serve, RSS bounded', () =>
    tally.check(async () => {
      const ids = Array.from({ length: 20 }, (_, i) => `lod-p${String(i).padStart(2, '0')}`);
      ids.forEach((id) => used.add(id));
      const rss = sampleRss(agent.pid);
      const began = Date.now();
      const [provisions, infos] = await Promise.all([
        Promise.all(ids.map((id) => via('provision', { id }))),
        Promise.all(Array.from({ length: 200 }, () => via('info', {}))),
      ]);
      const took = Date.now() - began;
      const maxRss = rss.stop();

      // Every request was taken (no 429, no error answer) and streamed to its end.
      const all = [...provisions, ...infos];
      const listed = await api(agent.url, cfg.token, 'GET', '/v1/runs?limit=500');
      const records = new Map<string, { status: string }>(
        (listed.body.runs as { id: string; status: string }[]).map((r) => [r.id, r]),
      );
      const recorded = all.filter((r) => FINAL.includes(records.get(r.id!)?.status ?? '-'));
      const ok = provisions.filter((r) => r.end?.status === 'succeeded');
      const failed = provisions.filter((r) => r.end?.status !== 'succeeded');
      const why = failed.map((r) =>
        r.output
          .split('\n')
          .filter((l) => /^error: /.test(l))
          .pop(),
      );
      const infoOk = infos.filter((r) => r.end?.status === 'succeeded');
      const engineSeen = infoOk.filter((r) => r.result?.engine === 'ok');
      report.push(
        `  200 info + 20 provisions at once: ${seconds(took)}; info succeeded ${infoOk.length}/200 ` +
          `(${engineSeen.length} with container states, the others said why the engine could not be asked); ` +
          `provisions succeeded ${ok.length}/20; runs recorded with a final status ${recorded.length}/${all.length}; ` +
          `agent RSS max ${maxRss.toFixed(0)} MB (bound ${RSS_BOUND_MB} MB)` +
          (failed.length ? `; failed provisions: ${[...new Set(why)].join(' | ')}` : ''),
      );
      expect(
        all.filter((r) => r.status !== 200 || !r.end).map((r) => `${r.status} ${r.error?.code}`),
      ).toEqual([]);
      expect(infos.filter((r) => r.end!.status !== 'succeeded').map((r) => r.output.slice(-300))).toEqual([]);

      // Every run is recorded, with the final status its stream ended with.
      expect(recorded).toHaveLength(all.length);
      expect(all.filter((r) => records.get(r.id!)!.status !== r.end!.status)).toEqual([]);

      // Every provision that succeeded serves its own page through nginx; one that failed says
      // why and left nothing behind.
      for (const r of ok) expect(await servedBy(nginx.port, r.result.id)).toEqual({ status: 200, own: true });
      for (const r of failed) await expectClean(ids[provisions.indexOf(r)]);
      expect(why.filter((line) => !line)).toEqual([]);
      const ports = ok.flatMap((r) => [r.result.ports.app, r.result.ports.db]);
      expect(new Set(ports).size).toBe(ports.length);
      expect(maxRss).toBeLessThan(RSS_BOUND_MB);

      const downBegan = Date.now();
      const downs = await Promise.all(ids.map((id) => via('teardown', { id })));
      downs.forEach((r) => ended(r, 'succeeded'));
      for (const id of ids) await expectClean(id);
      report.push(`  20 teardowns at once: ${seconds(Date.now() - downBegan)}, nothing left`);
    }));

  it('2. steady traffic to tenant A while 10 tenants come and go: zero failed requests', () =>
    tally.check(async () => {
      const a = 'lod-a';
      used.add(a);
      const site = await via('provision', { id: a });
      ended(site, 'succeeded');
      expect(await servedBy(nginx.port, a)).toEqual({ status: 200, own: true });

      const others = 'bcdefghijk'.split('').map((c) => `lod-${c}`);
      others.forEach((id) => used.add(id));
      let churnDone!: () => void;
      const churned = new Promise<void>((resolve) => (churnDone = resolve));
      const cap = new Promise<void>((resolve) => setTimeout(resolve, 150_000).unref());
      const began = Date.now();
      const traffic = hammer(a, 20, Promise.race([churned, cap]));
      let reloads = 0;
      try {
        const ups = await Promise.all(others.map((id) => via('provision', { id })));
        ups.forEach((r) => ended(r, 'succeeded'));
        for (const id of others) expect(await servedBy(nginx.port, id)).toEqual({ status: 200, own: true });
        const downs = await Promise.all(others.map((id) => via('teardown', { id })));
        downs.forEach((r) => ended(r, 'succeeded'));
        reloads = [...ups, ...downs].reduce(
          (n, r) => n + (r.output.match(/^(\[[\w-]+\] )?nginx reloaded$/gm)?.length ?? 0),
          0,
        );
      } finally {
        churnDone();
      }
      const t = await traffic;
      const took = Date.now() - began;
      report.push(
        `  tenant A under ${20} keep-alive clients for ${seconds(took)} while 10 tenants were provisioned ` +
          `and torn down (${reloads} nginx reloads): ${t.requests} requests ` +
          `(${Math.round(t.requests / (took / 1000))}/s), ${t.failures} failed ` +
          `(${t.retried} sent again on a new connection after nginx closed one before answering), ` +
          `slowest ${Math.round(t.slowestMs)} ms` +
          (t.firstFailures.length ? `; first failures: ${t.firstFailures.join(' | ')}` : ''),
      );
      expect(t.requests).toBeGreaterThan(0);
      expect(t.failures, t.firstFailures.join('\n')).toBe(0);
      for (const id of others) await expectClean(id);
      const down = await via('teardown', { id: a });
      ended(down, 'succeeded');
      await expectClean(a, [site.result.ports.app, site.result.ports.db]);
    }));
});
