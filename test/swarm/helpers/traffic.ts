// Visitors for the node-failure tests: GETs through nginx, one fresh connection each (as a
// new visitor), counted per tenant; and `info` run on a timer, as monitoring would run it.
import http from 'node:http';
import type { HostingSettings } from '../../../scripts/lib/settings.js';
import { runTask, type TaskRun } from '../../helpers/hosting.js';

export interface Answer {
  status: number;
  body: string;
}

/** One GET through nginx on 127.0.0.1:port with Host <id>.saas.localhost, on a new connection. */
export function visit(port: number, id: string, urlPath = '/api/items', timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, agent: false, headers: { host: `${id}.saas.localhost` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', (err) => resolve({ status: 0, body: err.message }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

/** Keeps visiting each tenant, one request after the other, until stopped; counts the failures. */
export class Visitors {
  readonly sent: Record<string, number> = {};
  readonly failed: Record<string, string[]> = {};
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(port: number, ids: string[], pauseMs = 50) {
    this.loops = ids.map(async (id) => {
      this.sent[id] = 0;
      this.failed[id] = [];
      while (this.running) {
        const a = await visit(port, id);
        this.sent[id]++;
        if (a.status !== 200)
          this.failed[id].push(`${new Date().toISOString()} ${a.status} ${a.body.slice(0, 80)}`);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** Runs `info` every `everyMs` (after the previous run ends) and keeps each result with its time. */
export class InfoTimer {
  readonly runs: { at: number; run: TaskRun }[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(settings: HostingSettings, everyMs = 2000) {
    this.loop = (async () => {
      while (this.running) {
        const run = await runTask('info', {}, settings);
        this.runs.push({ at: Date.now(), run });
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  /** The first run at or after `since` whose result satisfies `test`, polled until `timeoutMs`. */
  async first(since: number, test: (result: any) => boolean, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.runs.find((r) => r.at >= since && r.run.result && test(r.run.result));
      if (hit) return hit;
      if (Date.now() > deadline) {
        const last = this.runs.at(-1)?.run;
        throw new Error(`no info run matched within ${timeoutMs} ms; last: ${last?.stdout}\n${last?.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
