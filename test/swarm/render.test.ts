// The stack file the swarm runtime deploys: the shipped templates, rendered for a pinned and a
// floating tenant, and what is refused or translated. No engine needed.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderStack, type StackInput } from '../../scripts/lib/runtime/swarm-render.js';
import { REPO } from '../helpers/nginx.js';

const template = (name: string) =>
  fs.readFileSync(path.join(REPO, 'config/templates', name, 'compose.yml'), 'utf8');

const input: StackInput = {
  id: 'acme',
  dataKey: 'abc123',
  templateName: 'demo',
  templateDir: path.join(REPO, 'config/templates/demo'),
  vars: { ID: 'acme', PORT_APP: '21000', PORT_DB: '21001', DATA_KEY: 'abc123' },
  node: 'probe-w1',
  webService: 'app',
  constraints: ['node.labels.probe.lab == 1'],
  limits: { memory: '256M', cpus: 0.5 },
};

describe('renderStack', () => {
  it('pins the demo template to its node, publishes the web port in host mode and nothing else', () => {
    const { text, notes, services } = renderStack(template('demo'), input);
    const doc = parse(text);
    expect(doc.version).toBe('3.8');
    expect(services).toEqual(['app', 'db']);
    const { app, db } = doc.services;
    expect(app.environment.TENANT_ID).toBe('acme');
    expect(app.ports).toEqual([{ target: 3000, published: 21000, protocol: 'tcp', mode: 'host' }]);
    expect(db.ports).toBeUndefined();
    for (const svc of [app, db]) {
      expect(svc.deploy).toEqual({
        mode: 'replicated',
        replicas: 1,
        endpoint_mode: 'dnsrr',
        labels: { 'io.probe.managed': 'true', 'io.probe.tenant': 'acme' },
        placement: { constraints: ['node.hostname == probe-w1', 'node.labels.probe.lab == 1'] },
        restart_policy: { condition: 'any', delay: '2s' },
        resources: { limits: { memory: '256M', cpus: '0.5' } },
      });
      expect(svc.restart).toBeUndefined();
      expect(svc.labels).toMatchObject({ 'io.probe.tenant': 'acme' });
    }
    expect(app.depends_on).toBeUndefined();
    expect(doc.volumes.data).toMatchObject({
      name: 'probe-acme-data-abc123',
      labels: { 'io.probe.data-key': 'abc123', 'io.probe.tenant': 'acme' },
    });
    expect(doc.networks.default).toMatchObject({ driver: 'overlay' });
    expect(notes).toEqual([
      expect.stringMatching(/^service app: depends_on dropped/),
      expect.stringMatching(/^service app: restart dropped \(translated/),
      expect.stringMatching(/^service db: restart dropped/),
      expect.stringMatching(/^service db: ports not published/),
    ]);
    expect(text).not.toMatch(/\$\{/);
  });

  it('lets a stateless template float: no node constraint, no volume', () => {
    const doc = parse(renderStack(template('demo-stateless'), { ...input, node: null }).text);
    expect(doc.services.app.deploy.placement.constraints).toEqual(['node.labels.probe.lab == 1']);
    expect(doc.services.cache.deploy.placement.constraints).toEqual(['node.labels.probe.lab == 1']);
    expect(doc.volumes).toBeUndefined();
  });

  it('translates restart policies and keeps a template own resources', () => {
    const text = `services:
  app:
    image: x
    restart: 'on-failure:3'
    ports: ['127.0.0.1:\${PORT_APP}:80']
    deploy: { resources: { limits: { memory: 1G } } }
  worker: { image: y, restart: 'no', container_name: fixed }
`;
    const { text: out, notes } = renderStack(text, input);
    const doc = parse(out);
    expect(doc.services.app.deploy.restart_policy).toEqual({
      condition: 'on-failure',
      delay: '2s',
      max_attempts: 3,
    });
    expect(doc.services.app.deploy.resources).toEqual({ limits: { memory: '1G' } });
    expect(doc.services.worker.deploy.restart_policy).toEqual({ condition: 'none' });
    expect(doc.services.worker.container_name).toBeUndefined();
    expect(notes).toContainEqual(expect.stringMatching(/worker: container_name dropped/));
  });

  it('substitutes the tenant variables, defaults and keeps $$ for stack deploy', () => {
    const text = `services:
  app:
    image: x
    environment: { A: '\${ID}', B: '\${NOPE:-fallback}', C: 'cost $$5', D: '$ID-x' }
`;
    const env = parse(renderStack(text, input).text).services.app.environment;
    expect(env).toEqual({ A: 'acme', B: 'fallback', C: 'cost $$5', D: 'acme-x' });
    expect(() =>
      renderStack(`services: { app: { image: x, environment: { A: '\${NOPE:?set it}' } } }`, input),
    ).toThrow(/NOPE.*set it/);
  });

  it.each([
    ['a build without an image', `services: { app: { build: . } }`, /has no image/],
    ['a bind mount', `services: { app: { image: x, volumes: ['/srv:/srv'] } }`, /bind-mounts .*named volume/],
    ['a port on all interfaces', `services: { app: { image: x, ports: ['8080:80'] } }`, /127\.0\.0\.1 only/],
    ['no web service', `services: { other: { image: x } }`, /no service app/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => renderStack(text, input)).toThrow(message);
  });
});
