import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, ProbeError, type ProbeClient } from '../../agent/client/index.js';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { dockerLeftovers } from '../helpers/hosting.js';
import { REPO, startNginx, type PrivateNginx } from '../helpers/nginx.js';

/** The shipped hosting tasks, as config/agent.yaml declares them, against a private nginx. */
function hostingConfig(nginx: PrivateNginx) {
  const script = (name: string) => ['node', join(REPO, `dist/scripts/${name}.js`)];
  const tenant = { id: { type: 'tenant', required: true } };
  return {
    tasks: {
      provision: {
        command: script('provision'),
        hosting: true,
        args: { ...tenant, template: { type: 'string' } },
        timeout: '3m',
        lock: 'tenant:{id}',
      },
      teardown: {
        command: script('teardown'),
        hosting: true,
        args: { ...tenant, keepData: { type: 'boolean' } },
        timeout: '3m',
        lock: 'tenant:{id}',
      },
      info: { command: script('info'), hosting: true, args: { id: { type: 'tenant' } }, timeout: '1m' },
    },
    hosting: {
      domain: 'saas.localhost',
      templatesDir: join(REPO, 'config/templates'),
      ports: { from: 19000, to: 19499 },
      nginx: { ...nginx.settings, vhostTemplate: undefined },
    },
  };
}

/** GET through nginx with a Host header (Node does not resolve *.localhost). */
function viaNginx(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

let nginx: PrivateNginx;
let agent: TestAgent;
let client: ProbeClient;

beforeAll(async () => {
  nginx = await startNginx();
  agent = await startTestAgent(hostingConfig(nginx));
  client = createClient({ url: agent.url, token: agent.token('provision teardown info runs:read') });
});
afterAll(async () => {
  for (const id of ['api-one', 'api-twin', 'api-cancel']) await client.teardown(id).catch(() => undefined);
  await agent?.stop();
  await nginx?.stop();
});

describe('hosting through the agent API', () => {
  it('provisions a tenant with one call, and its site answers through nginx', async () => {
    const lines: string[] = [];
    const site = await client.provision('api-one', { onOutput: (e) => lines.push(e.text) });
    expect(site).toMatchObject({
      id: 'api-one',
      template: 'demo',
      url: `http://api-one.saas.localhost:${nginx.port}/`,
    });
    expect(lines.some((l) => l.startsWith('[deploy]'))).toBe(true);
    expect(lines.some((l) => l.startsWith('[nginx-config]'))).toBe(true);
    const page = await viaNginx(nginx.port, 'api-one.saas.localhost');
    expect(page.status).toBe(200);
    expect(page.body).toContain('api-one');
    const info = (await client.info()) as { tenants: { id: string; status: string }[] };
    expect(info.tenants).toContainEqual(expect.objectContaining({ id: 'api-one', status: 'running' }));
  });

  it('gives one success and one `locked` for two parallel provisions of the same id', async () => {
    const outcomes = await Promise.allSettled([client.provision('api-twin'), client.provision('api-twin')]);
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0].reason).toBeInstanceOf(ProbeError);
    expect(refused[0].reason).toMatchObject({ code: 'locked', status: 409 });
  });

  it('refuses a second provision of an existing tenant with exit code 3', async () => {
    const outcome = await client.run('provision', { id: 'api-one' }, { allowFailure: true });
    expect(outcome.end).toMatchObject({ status: 'failed', exitCode: 3 });
  });

  it('rolls a canceled provision back: nothing of the tenant is left', async () => {
    let id = '';
    const canceled = client.run(
      'provision',
      { id: 'api-cancel' },
      {
        allowFailure: true,
        onEvent: (e) => {
          if (e.type === 'run') id = e.id;
          if (e.type === 'output' && e.text.includes('Starting containers')) void client.runs.cancel(id);
        },
      },
    );
    const outcome = await canceled;
    expect(outcome.end.status).toBe('canceled');
    const record = await client.runs.get(outcome.id);
    expect(record.output).toContain('[rollback]');
    expect(await dockerLeftovers('api-cancel')).toEqual([]);
    const info = (await client.info()) as { tenants: { id: string }[] };
    expect(info.tenants.map((t) => t.id)).not.toContain('api-cancel');
  });

  it('tears a tenant down through the API; its host name then reaches no tenant', async () => {
    await client.teardown('api-one');
    const info = (await client.info()) as { tenants: { id: string }[] };
    expect(info.tenants.map((t) => t.id)).not.toContain('api-one');
    const gone = await viaNginx(nginx.port, 'api-one.saas.localhost').catch(() => ({ status: 0, body: '' }));
    expect(gone.body).not.toContain('api-one');
  });
});
