// What the scale benchmark measures besides provisions: nginx's test and reload with the vhosts
// in place, the host's own costs (Node's start-up, the engine's listings), and simulated
// tenants, each a registry row and a vhost written by the agent's own code.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { ROOT } from './agent.mjs';
import { cleanEnv } from './proc.mjs';
import { median } from './stats.mjs';

/** Milliseconds of one synchronous call. */
function timeIt(fn) {
  const began = performance.now();
  fn();
  return performance.now() - began;
}

/** nginx -t and a graceful reload with the vhosts in place now: medians, and the test's warnings. */
export function nginxTimes(nginx, reps) {
  const test = [];
  const reload = [];
  let warnings = '';
  for (let i = 0; i < reps; i++) {
    test.push(timeIt(() => (warnings = nginx.run(['-t']))));
    reload.push(timeIt(() => nginx.run(['-s', 'reload'])));
  }
  const warned = warnings
    .split('\n')
    .filter((l) => /\[warn\]|\[emerg\]/.test(l))
    .map((l) => l.replace(/^.*\[(warn|emerg)\]\s*\d+#\d+:\s*/, ''));
  return { test: median(test), reload: median(reload), warned };
}

/** One tenant's containers from the engine's socket, as a deploy asks for leftovers. */
function engineListing(label) {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  return new Promise((resolve, reject) => {
    const req = http.get(
      { socketPath: '/var/run/docker.sock', path: `/containers/json?all=1&filters=${filters}` },
      (res) => res.resume().on('end', resolve),
    );
    req.on('error', reject);
  });
}

/**
 * What the host itself costs at this size, outside the agent: Node's start-up (spawn → exit of
 * `node -e 0`), the engine's answer to a deploy's listing of one tenant, and `docker ps` for the
 * same; medians of reps.
 */
export async function hostTimes(tenant, reps) {
  const label = `io.probe.tenant=${tenant}`;
  const node = [];
  const api = [];
  const ps = [];
  for (let i = 0; i < reps; i++) {
    node.push(timeIt(() => execFileSync(process.execPath, ['-e', '0'], { env: cleanEnv() })));
    const began = performance.now();
    await engineListing(label);
    api.push(performance.now() - began);
    ps.push(
      timeIt(() => execFileSync('docker', ['ps', '-a', '--filter', `label=${label}`], { stdio: 'ignore' })),
    );
  }
  return { node: median(node), api: median(api), ps: median(ps) };
}

/**
 * Simulated tenants: a registry row each, taken by the registry's own allocation transaction
 * (timed: the returned ms per allocation), and the vhost writeVhost would write, pointing at the
 * tenant's app port, where nothing listens. nginx is not reloaded here.
 */
export async function simulateTenants(agent, nginx, ids, ports) {
  const { Registry } = await import(join(ROOT, 'dist/scripts/lib/registry.js'));
  const { renderSite } = await import(join(ROOT, 'dist/scripts/lib/proxy/index.js'));
  const registry = Registry.open(agent.stateDir);
  const allocations = [];
  try {
    for (const id of ids) {
      const began = performance.now();
      const row = await registry.allocate(
        { id, template: 'demo', dataKey: crypto.randomBytes(6).toString('hex') },
        ports,
      );
      allocations.push(performance.now() - began);
      registry.setStatus(id, 'running');
      const serverName = `${id}.${agent.hosting.domain}`;
      registry.setUrl(id, `http://${serverName}:${nginx.settings.listen}/`);
      const site = { id, serverName, appPort: row.appPort };
      writeFileSync(join(nginx.settings.confDir, `${id}.conf`), renderSite(nginx.settings, site));
    }
  } finally {
    registry.close();
  }
  return allocations;
}
