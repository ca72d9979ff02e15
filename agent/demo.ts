import http from 'node:http';
import { loadKeys } from './auth/keys.js';
import { signToken } from './auth/token.js';
import { createClient, ProbeError } from './client/index.js';
import { loadConfig } from './config/load.js';
import { startAgent } from './server.js';

const TENANT = 'demo';

interface TenantInfo {
  id: string;
  status: string;
  url: string;
}

/**
 * `npm run demo`, after the host is set up and the project built: starts the agent with
 * config/agent.yaml, provisions the tenant "demo" through the agent's own API (or reuses
 * it), prints what a shop needs, and serves until Ctrl-C.
 */
/** True when the shop answers through nginx (Node does not resolve *.localhost: ask 127.0.0.1 with its Host). */
async function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: port || 80, path: '/', headers: { host: hostname }, timeout: 5000 },
      (res) => {
        res.resume();
        resolve((res.statusCode ?? 500) < 400);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const config = loadConfig(process.env.PROBE_CONFIG ?? 'config/agent.yaml');
  const agent = await startAgent(config);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\n-----> Stopping the agent (runs in flight are recorded as interrupted)\n');
    void agent.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const keys = loadKeys(config.auth);
  const adminToken = signToken(config.auth, keys, { sub: 'demo-admin', scope: '* runs:read' });
  const shopToken = signToken(config.auth, keys, { sub: 'shop', scope: 'provision teardown info' });
  const client = createClient({ url: agent.url, token: adminToken });

  const info = (await client.info(TENANT).catch(() => undefined)) as { tenants?: TenantInfo[] } | undefined;
  const existing = info?.tenants?.find((t) => t.id === TENANT);
  let url = existing?.status === 'running' && (await answers(existing.url)) ? existing.url : undefined;
  if (url) process.stdout.write(`-----> Tenant "${TENANT}" already runs; reusing it\n`);
  else {
    if (existing) {
      const why = existing.status === 'running' ? 'does not answer' : `is ${existing.status}`;
      process.stdout.write(`-----> Tenant "${TENANT}" ${why}; removing it first\n`);
      await client.teardown(TENANT);
    }
    process.stdout.write(`-----> Provisioning tenant "${TENANT}" through ${agent.url}/v1/runs\n`);
    try {
      const result = await client.provision(TENANT, {
        onOutput: (e) => process.stdout.write(`       ${e.text}\n`),
      });
      url = result.url;
    } catch (err) {
      process.stderr.write(`\nprovision failed: ${err instanceof ProbeError ? err.message : String(err)}\n`);
      await agent.stop();
      process.exit(1);
    }
  }

  process.stdout.write(`
=====> The demo shop answers at  ${url}
       (curl resolves *.localhost to 127.0.0.1; from elsewhere: curl -H 'Host: ${new URL(url!).hostname}' http://127.0.0.1:${new URL(url!).port || 80}/)

       A token for the shop (scope "provision teardown info", valid ${config.auth.maxTtl / 60000} min):
       ${shopToken}

       Provision a second shop:
       curl -N -H "Authorization: Bearer ${shopToken}" -H 'Content-Type: application/json' \\
            -d '{"task":"provision","args":{"id":"shop2"}}' ${agent.url}/v1/runs

       The agent runs until Ctrl-C; its log lines follow.
`);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
