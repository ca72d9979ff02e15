import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../../scripts/lib/ports.js';
import type { HostingSettings } from '../../scripts/lib/settings.js';
import { FIXTURE_TASKS } from '../helpers/agent.js';
import { Tally } from '../helpers/battery.js';
import {
  api,
  callRun,
  ControlledNginx,
  DockerForwarder,
  fillDisk,
  fixtureTemplates,
  getRun,
  groupMembers,
  holdRegistry,
  hostingAgentConfig,
  integrity,
  leftovers,
  listening,
  mountTmpfs,
  picture,
  registryPorts,
  registryRow,
  servedBy,
  servedSoon,
  sleep,
  startAgentProcess,
  startRun,
  taskPid,
  unmount,
  waitForEnd,
  waitForLine,
  waitGone,
  type AgentProcess,
  type HostingAgentConfig,
  type RunAnswer,
} from '../helpers/battery-hosting.js';
import { demoImagesReady, forceRemoveTenants, runTask as runScript } from '../helpers/hosting.js';
import { REPO } from '../helpers/nginx.js';

// Faults. Each scenario breaks one thing the hosting tasks depend on (the agent,
// the task process, the docker engine, nginx, the disk, the registry, a port, a lock) and checks
// that nothing is left behind, that the message is clear and that the registry tells the truth.
// Real dockerd, a private nginx on 20990, tenants flt-*, ports 20000-20499.

const run = promisify(execFile);
const tally = new Tally('faults survived');
const owners = new Map<string, HostingSettings>(); // tenant -> the settings it lives under
const temp: string[] = [];
let nginx: ControlledNginx;
let templatesDir: string;
let main: HostingAgentConfig;
let agent: AgentProcess;
const extraAgents: AgentProcess[] = [];
let forwarder: DockerForwarder | undefined;
let tmpfs: string | undefined;

const STARTING = /\[deploy\] -----> Starting containers/;
const messages: string[] = []; // what each fault ended with, printed above the count

/** Notes the line a failure ended with (its last `error:` or `probe:` line) for the summary. */
function said(label: string, output: string): void {
  const line = output
    .split('\n')
    .filter((l) => /^(error|probe): /.test(l))
    .pop();
  messages.push(`  ${label}: ${line ?? '(no message)'}`);
}

function track(id: string, settings: HostingSettings = main.settings): string {
  owners.set(id, settings);
  return id;
}

/** A run through the main agent, followed to its end. */
const via = (task: string, args: Record<string, unknown>, a = agent, cfg = main) =>
  callRun(a.url, cfg.token, task, args);

function ended(r: RunAnswer, status: string): void {
  expect({ http: r.status, error: r.error, status: r.end?.status }, r.output).toEqual({
    http: 200,
    error: undefined,
    status,
  });
}

/** The app and db ports a run's output names ("app port 20001, db port 20002"). */
function portsIn(output: string): number[] {
  const m = /app port (\d+), db port (\d+)/.exec(output);
  return m ? [Number(m[1]), Number(m[2])] : [];
}

async function expectClean(id: string, ports: number[] = [], settings = owners.get(id) ?? main.settings) {
  expect(await leftovers(settings, id, ports), `leftovers of ${id}`).toEqual([]);
}

/** Tears a tenant down through an agent and checks that nothing of it is left. */
async function teardownClean(id: string, ports: number[] = [], a = agent, cfg = main) {
  const r = await via('teardown', { id }, a, cfg);
  ended(r, 'succeeded');
  await expectClean(id, ports, cfg.settings);
}

/** Provisions through an agent and checks the site answers through nginx with the tenant's page. */
async function provisionServed(id: string, a = agent, cfg = main) {
  track(id, cfg.settings);
  const r = await via('provision', { id }, a, cfg);
  ended(r, 'succeeded');
  expect(await servedSoon(nginx.port, id)).toEqual({ status: 200, own: true });
  return r;
}

function mkTemp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temp.push(dir);
  return dir;
}

beforeAll(async () => {
  if (!(await demoImagesReady())) {
    throw new Error('docker engine or the demo images missing: run npm run setup-host');
  }
  await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO }).catch(() => {});
  nginx = await ControlledNginx.start(20990);
  templatesDir = fixtureTemplates();
  temp.push(templatesDir);
  main = hostingAgentConfig({ nginx: nginx.settings, ports: { from: 20000, to: 20299 }, templatesDir });
  temp.push(main.dir);
  agent = await startAgentProcess(main.file);
}, 180_000);

afterAll(async () => {
  console.log([...messages, tally.line()].join('\n'));
  await forwarder?.start().catch(() => undefined); // teardown needs an engine
  for (const [id, settings] of owners) await runScript('teardown', { id }, settings).catch(() => undefined);
  await forceRemoveTenants([...owners.keys()]);
  await forwarder?.stop().catch(() => undefined);
  for (const a of [agent, ...extraAgents]) await a?.kill('SIGTERM').catch(() => undefined);
  await nginx?.stop().catch(() => undefined);
  if (tmpfs) await unmount(tmpfs).catch(() => undefined);
  for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
}, 180_000);

describe('faults survived', () => {
  it('1. the agent SIGKILLed during a provision: the run is interrupted, a reconcile ends clean', () =>
    tally.check(async () => {
      const id = track('flt-crash');
      const runId = await startRun(agent.url, main.token, 'provision', { id });
      await waitForLine(agent.url, main.token, runId, STARTING);
      const pid = taskPid(agent.pid, 'provision', id);
      await agent.kill('SIGKILL');
      agent = await startAgentProcess(main.file);
      // Its output pipe is gone, and the new agent ends a group it finds still running.
      expect(await waitGone(pid), `provision process ${pid} outlived the agent`).toBe(true);
      expect(await getRun(agent.url, main.token, runId)).toMatchObject({ status: 'interrupted' });
      // Drift: the registry still says provisioning, with no run behind it.
      const info = await via('info', {});
      ended(info, 'succeeded');
      expect(info.result.tenants).toContainEqual(expect.objectContaining({ id, status: 'provisioning' }));
      expect(info.output).toMatch(new RegExp(`^${id}\\s+provisioning\\s`, 'm'));
      expect(registryRow(main.settings.stateDir, id)?.status).toBe('provisioning');
      messages.push(
        `  agent killed: run interrupted; info: ${info.output.split('\n').find((l) => l.startsWith(id))}`,
      );
      await teardownClean(id);
      const again = await provisionServed(id);
      expect(await picture(main.settings, nginx.port, id)).toMatchObject({ state: 'there' });
      await teardownClean(id, [again.result.ports.app, again.result.ports.db]);
    }));

  it('2. the task process SIGKILLed mid-deploy: a clear end, drift reported, teardown and retry work', () =>
    tally.check(async () => {
      const id = track('flt-kill');
      const runId = await startRun(agent.url, main.token, 'provision', { id });
      await waitForLine(agent.url, main.token, runId, STARTING);
      const pid = taskPid(agent.pid, 'provision', id);
      process.kill(pid, 'SIGKILL');
      const killed = await waitForEnd(agent.url, main.token, runId);
      expect(killed).toMatchObject({ status: 'failed', exitCode: null });
      expect(killed.output).toMatch(/probe: the task was killed by signal SIGKILL/);
      said('task killed', killed.output);
      expect(registryRow(main.settings.stateDir, id)?.status).toBe('provisioning');
      // Nothing of the run's process group (compose, docker) goes on working behind the teardown.
      expect(groupMembers(pid).map((p) => p.argv.join(' '))).toEqual([]);
      const info = await via('info', {});
      expect(info.result.tenants).toContainEqual(expect.objectContaining({ id, status: 'provisioning' }));
      await teardownClean(id, portsIn(killed.output));
      const again = await provisionServed(id);
      await teardownClean(id, [again.result.ports.app, again.result.ports.db]);
    }));

  it('3. the docker engine down before a run, and lost mid-deploy: clear failures, nothing left', () =>
    tally.check(async () => {
      const dir = mkTemp('probe-engine-');
      forwarder = new DockerForwarder(path.join(dir, 'docker.sock'));
      const cfg = hostingAgentConfig({
        nginx: nginx.settings,
        ports: { from: 20300, to: 20399 },
        templatesDir,
        taskEnv: { DOCKER_HOST: forwarder.dockerHost },
      });
      temp.push(cfg.dir);
      const engineless = await startAgentProcess(cfg.file);
      extraAgents.push(engineless);

      const early = track('flt-noengine', cfg.settings);
      const refused = await via('provision', { id: early }, engineless, cfg);
      ended(refused, 'failed');
      expect(refused.end!.durationMs).toBeLessThan(5000);
      expect(refused.output).toMatch(/docker engine unreachable: .*Cannot connect to the Docker daemon/);
      said(`engine down (failed in ${refused.end!.durationMs} ms)`, refused.output);
      await expectClean(early);

      const id = track('flt-engine', cfg.settings);
      await forwarder.start();
      void forwarder.cutOn(/^POST \S*\/containers\/create/); // after the network and volume exist
      const lost = await via('provision', { id }, engineless, cfg);
      expect(forwarder.up, 'the engine was never cut').toBe(false);
      ended(lost, 'failed');
      expect(lost.output).toMatch(/failed at step deploy: .*docker engine unreachable/);
      expect(lost.output).toMatch(/rollback incomplete \(containers failed\)/);
      said(`engine lost at ${forwarder.requests.at(-1)}`, lost.output);
      expect(registryRow(cfg.settings.stateDir, id)?.status).toBe('failed'); // the truth: not cleaned yet
      await forwarder.start();
      const info = await via('info', {}, engineless, cfg);
      expect(info.result.tenants).toContainEqual(expect.objectContaining({ id, status: 'failed' }));
      await teardownClean(id, portsIn(lost.output), engineless, cfg);
      await forwarder.stop();
    }));

  it('4. nginx refusing a config or not running: the new tenant is refused and rolled back, others stay', () =>
    tally.check(async () => {
      const keep = track('flt-keep');
      const kept = await provisionServed(keep);

      const broken = path.join(nginx.settings.confDir, 'zzz-broken.conf');
      fs.writeFileSync(broken, 'server {\n    bogus_directive on;\n}\n');
      try {
        const id = track('flt-ngx-test');
        const r = await via('provision', { id });
        ended(r, 'failed');
        expect(r.output).toMatch(
          /failed at step nginx-config: .*nginx rejected the configuration.*zzz-broken\.conf/,
        );
        said('nginx -t failing', r.output);
        await expectClean(id, portsIn(r.output));
        expect(await servedBy(nginx.port, keep)).toEqual({ status: 200, own: true });
      } finally {
        fs.rmSync(broken, { force: true });
      }

      await nginx.halt();
      try {
        const id = track('flt-ngx-down');
        const r = await via('provision', { id });
        ended(r, 'failed');
        expect(r.output).toMatch(/failed at step nginx-config: .*nginx reload failed/);
        said('nginx down', r.output);
        await expectClean(id, portsIn(r.output));
      } finally {
        await nginx.resume();
      }
      expect(await servedSoon(nginx.port, keep)).toEqual({ status: 200, own: true });
      expect(await servedBy(nginx.port, 'flt-ngx-down')).toMatchObject({ own: false });
      await teardownClean(keep, [kept.result.ports.app, kept.result.ports.db]);
    }));

  it('5. an app that never gets healthy: the deploy times out and the rollback leaves nothing', () =>
    tally.check(async () => {
      const id = track('flt-sick');
      const r = await via('provision', { id, template: 'sick' });
      ended(r, 'failed');
      expect(r.output).toMatch(/failed at step deploy: .*did not answer \/never with 2xx within 4s/);
      said('never healthy', r.output);
      await expectClean(id, portsIn(r.output));
    }));

  it('6. a full disk under stateDir: runs refused cleanly, registry writes fail clearly, records intact', () =>
    tally.check(async () => {
      tmpfs = await mountTmpfs('1m');
      const cfg = hostingAgentConfig({
        nginx: nginx.settings,
        ports: { from: 20400, to: 20499 },
        templatesDir,
        stateDir: tmpfs,
        extraTasks: { slow: FIXTURE_TASKS.slow },
      });
      temp.push(cfg.dir);
      const full = await startAgentProcess(cfg.file);
      extraAgents.push(full);
      const before = [await via('info', {}, full, cfg), await via('info', {}, full, cfg)];
      before.forEach((r) => ended(r, 'succeeded'));

      // A run in flight when the disk fills: its last lines and its end cannot be written yet.
      const inFlight = await startRun(full.url, cfg.token, 'slow', { lines: 8, every: 250 });
      await waitForLine(full.url, cfg.token, inFlight, /^line 1 at/m);
      const filled = Date.now();
      const filler = path.join(tmpfs, 'filler');
      fillDisk(filler);
      for (let i = 0; i < 3; i++) {
        const r = await api(full.url, cfg.token, 'POST', '/v1/runs', { task: 'info', args: {} });
        expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status: 500, code: 'internal' });
        expect(r.body.error.message).toMatch(/cannot record the run: database or disk is full/);
        if (i === 0) messages.push(`  disk full, new run: HTTP ${r.status} ${r.text}`);
      }
      expect(full.alive()).toBe(true);
      expect((await api(full.url, cfg.token, 'GET', '/healthz')).body).toEqual({ status: 'ok' });

      const id = track('flt-full', cfg.settings);
      const direct = await runScript('provision', { id }, cfg.settings);
      expect(direct.code, direct.stdout + direct.stderr).toBe(1);
      expect(direct.stderr).toMatch(
        /^error: the tenant registry \S+registry\.db cannot be written: .*\(no space left/m,
      );
      expect(direct.stderr).not.toMatch(/^\s+at /m); // one clear line, no stack
      said('disk full, provision', direct.stderr);

      await sleep(Math.max(0, filled + 3000 - Date.now())); // the slow run has ended meanwhile
      fs.rmSync(filler);
      await expectClean(id, portsIn(direct.stdout));
      let landed = await getRun(full.url, cfg.token, inFlight);
      for (let i = 0; landed.status === 'running' && i < 30; i++) {
        await sleep(200); // the records retry what they could not write
        landed = await getRun(full.url, cfg.token, inFlight);
      }
      expect(landed).toMatchObject({ status: 'succeeded', exitCode: 0 });
      expect(landed.output).toMatch(/^line 8 at/m);

      // Once more with the registry open elsewhere (its -wal and -shm stay): opening it works, and
      // it is the tenant's write (or its folder) that meets the full disk.
      const reader = new Database(path.join(tmpfs, 'registry.db'));
      try {
        reader.prepare('SELECT count(*) FROM tenants').get();
        fillDisk(filler);
        const write = await runScript('provision', { id }, cfg.settings);
        expect(write.code, write.stdout + write.stderr).toBe(1);
        expect(write.stderr).toMatch(
          /^error: provision of flt-full failed at step deploy: .*no space left/im,
        );
        expect(write.stderr).not.toMatch(/^\s+at /m);
        said('disk full, registry open elsewhere', write.stderr);
        fs.rmSync(filler);
        await expectClean(id, portsIn(write.stdout));
      } finally {
        reader.close();
        fs.rmSync(filler, { force: true });
      }
      ended(await via('info', {}, full, cfg), 'succeeded'); // recovered without a restart
      for (const b of before) {
        expect(await getRun(full.url, cfg.token, b.id!)).toMatchObject({
          status: 'succeeded',
          output: b.output,
        });
      }
      await full.kill('SIGTERM');
      expect(integrity(path.join(tmpfs, 'runs.db'))).toBe('ok');
      expect(integrity(path.join(tmpfs, 'registry.db'))).toBe('ok');
    }));

  it('7. the registry locked by another process: a brief lock is waited out, a long one fails clearly', () =>
    tally.check(async () => {
      const id = track('flt-lock');
      const brief = holdRegistry(main.settings.stateDir);
      let waited = '';
      let r: RunAnswer = { status: 0, output: '' };
      try {
        const runId = await startRun(agent.url, main.token, 'provision', { id });
        waited = await waitForLine(agent.url, main.token, runId, /Allocating ports/);
        await sleep(1500);
        expect(await getRun(agent.url, main.token, runId)).toMatchObject({ status: 'running' });
        brief.release();
        const end = await waitForEnd(agent.url, main.token, runId);
        r = { status: 200, id: runId, output: end.output, end: { ...end, durationMs: end.durationMs ?? 0 } };
      } finally {
        brief.release();
      }
      expect(waited).not.toMatch(/app port/); // it was waiting for the lock
      ended(r, 'succeeded');
      expect(await servedSoon(nginx.port, id)).toEqual({ status: 200, own: true });
      await teardownClean(id, portsIn(r.output));

      const blocked = track('flt-locked');
      const long = holdRegistry(main.settings.stateDir);
      let failed: RunAnswer = { status: 0, output: '' };
      try {
        failed = await via('provision', { id: blocked }); // the registry waits 10 s for a lock
      } finally {
        long.release();
      }
      ended(failed, 'failed');
      said('registry locked', failed.output);
      expect(failed.output).toMatch(
        /failed at step deploy: the tenant registry \S+registry\.db is locked by another process \(waited 10 s\)/,
      );
      await expectClean(blocked);
    }));

  it('8. a foreign process on the next free port: skipped, and the foreign listener untouched', () =>
    tally.check(async () => {
      const used = registryPorts(main.settings.stateDir);
      let next = main.settings.ports.from;
      while (used.has(next) || !(await isPortFree(next))) next++;
      const foreign = http.createServer((_req, res) => res.end('foreign'));
      await new Promise<void>((resolve) => foreign.listen(next, '127.0.0.1', resolve));
      const ask = () =>
        new Promise<string>((resolve, reject) =>
          http
            .get({ host: '127.0.0.1', port: next, path: '/' }, (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c.toString()));
              res.on('end', () => resolve(body));
            })
            .on('error', reject),
        );
      try {
        const id = track('flt-port');
        const r = await provisionServed(id);
        const ports = [r.result.ports.app, r.result.ports.db];
        expect(ports).not.toContain(next);
        messages.push(`  foreign listener on ${next}: tenant got ports ${ports.join(', ')}`);
        expect(await ask()).toBe('foreign');
        await teardownClean(id, ports);
        expect(await ask()).toBe('foreign');
        expect(await listening(next)).toBe(true);
      } finally {
        await new Promise((resolve) => foreign.close(resolve));
      }
    }));

  it('9. one tenant provisioned twice at once, and a provision racing a teardown: locked, all-or-nothing', () =>
    tally.check(async () => {
      const twin = track('flt-twin');
      const pair = await Promise.all([via('provision', { id: twin }), via('provision', { id: twin })]);
      const won = pair.filter((r) => r.status === 200);
      const lost = pair.filter((r) => r.status === 409);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0].error).toMatchObject({ code: 'locked', runId: won[0].id });
      expect(lost[0].error!.message).toMatch(/lock tenant:flt-twin is held by run/);
      messages.push(`  same tenant twice: HTTP 409 ${JSON.stringify(lost[0].error)}`);
      ended(won[0], 'succeeded');
      expect(await picture(main.settings, nginx.port, twin)).toMatchObject({ state: 'there' });
      await teardownClean(twin);

      // Sent together: one takes the lock, the other is refused; the end state is whole.
      const id = track('flt-race');
      const [prov, down] = await Promise.all([via('provision', { id }), via('teardown', { id })]);
      expect([prov.status, down.status].sort()).toEqual([200, 409]);
      const together = await picture(main.settings, nginx.port, id);
      expect(together.state, JSON.stringify(together.facts)).toBe(prov.status === 200 ? 'there' : 'gone');

      // A teardown that keeps asking while a provision runs gets in only after it: gone.
      await teardownClean(id);
      const runId = await startRun(agent.url, main.token, 'provision', { id });
      let refusals = 0;
      let teardown: RunAnswer = { status: 0, output: '' };
      for (;;) {
        teardown = await via('teardown', { id });
        if (teardown.status !== 409) break;
        refusals++;
        await sleep(100);
      }
      ended(teardown, 'succeeded');
      expect(refusals).toBeGreaterThan(0);
      const provision = await getRun(agent.url, main.token, runId);
      expect(provision.status).toBe('succeeded');
      const teardownRun = await getRun(agent.url, main.token, teardown.id!);
      expect(provision.endedAt! <= teardownRun.startedAt).toBe(true);
      const after = await picture(main.settings, nginx.port, id);
      expect(after.state, JSON.stringify(after.facts)).toBe('gone');
      messages.push(
        `  provision vs teardown: together -> ${together.state}; teardown refused ${refusals}x, then ran -> gone`,
      );
    }));
});
