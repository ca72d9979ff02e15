// The bare floor of a click: what a provision would cost with nothing but compose and nginx,
// over the files the agent rendered for a tenant; and the way back.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { mustSucceed, runTask } from './hosting.mjs';
import { sum } from './stats.mjs';

export const FLOOR_ID = 'bench-floor';

/** The compose CLI the runtime would pick: the v2 plugin when it works, else docker-compose v1. */
function composeCommand() {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

/** One GET on loopback with a Host header (fetch may not set Host); resolves with the status. */
function get(port, host) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', headers: host ? { host } : {}, timeout: 2000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** GET until 2xx, polling every 10 ms: the floor waits no longer than it must. */
async function until2xx(port, host, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const status = await get(port, host);
      if (status >= 200 && status < 300) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline)
      throw new Error(`127.0.0.1:${port} (Host ${host}) gave no 2xx in ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The bare floor over the files the agent rendered for one tenant: compose up, wait for the
 * app, vhost in place, nginx -t, reload, wait until nginx serves it; and the way back.
 */
export function floor(nginx, files) {
  const compose = composeCommand();
  const project = ['-p', `probe-${FLOOR_ID}`, '-f', files.compose, '--env-file', files.env];
  const vhost = join(nginx.settings.confDir, `${FLOOR_ID}.conf`);
  const sh = (argv) => execFileSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  const timed = async (phases, name, fn) => {
    const began = performance.now();
    await fn();
    phases[name] = performance.now() - began;
  };
  return {
    up: [...compose, ...project, 'up', '-d'],
    down: [...compose, ...project, 'down', '-v', '--remove-orphans', '--timeout', '10'],
    async provision() {
      const phases = {};
      await timed(phases, 'compose up', () => sh(this.up));
      await timed(phases, 'health wait', () => until2xx(files.appPort));
      await timed(phases, 'vhost', () => copyFileSync(files.vhost, vhost));
      await timed(phases, 'nginx -t', () => sh(nginx.settings.test));
      await timed(phases, 'reload', () => sh(nginx.settings.reload));
      await timed(phases, 'verify', () => until2xx(nginx.settings.listen, files.host));
      return { ms: sum(Object.values(phases)), phases };
    },
    async teardown() {
      const began = performance.now();
      rmSync(vhost, { force: true });
      sh(nginx.settings.test);
      sh(nginx.settings.reload);
      sh(this.down);
      return { ms: performance.now() - began };
    },
  };
}

/** Provisions one tenant through the agent to keep its rendered files, then tears it down. */
export async function renderedFiles(agent, nginx, dir) {
  const run = mustSucceed(await runTask(agent, 'provision', { id: FLOOR_ID }), `provision ${FLOOR_ID}`);
  const tenant = join(agent.stateDir, 'tenants', FLOOR_ID);
  const files = {
    compose: join(dir, 'compose.yml'),
    env: join(dir, '.env'),
    vhost: join(dir, 'vhost.conf'),
    appPort: run.result.ports.app,
    host: `${FLOOR_ID}.${agent.hosting.domain}`,
  };
  copyFileSync(join(tenant, 'compose.yml'), files.compose);
  copyFileSync(join(tenant, '.env'), files.env);
  writeFileSync(files.vhost, readFileSync(join(nginx.settings.confDir, `${FLOOR_ID}.conf`)));
  mustSucceed(await runTask(agent, 'teardown', { id: FLOOR_ID }), `teardown ${FLOOR_ID}`);
  return files;
}
