import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { interpolate, publishProblem } from '../../../../scripts/lib/runtime/publish.js';
import { composeServices, renderCompose, renderEnv } from '../../../../scripts/lib/runtime/render.js';

const vars = { ID: 'acme', PORT_APP: '18000', PORT_DB: '18001' };
const input = {
  id: 'acme',
  dataKey: 'abc123',
  templateName: 'shop',
  templateDir: '/srv/templates/shop',
  vars,
};

const TEMPLATE = `
services:
  app:
    build: { context: ./app }
    env_file: ./app.env
    labels: [team=shop]
    ports: ['127.0.0.1:\${PORT_APP:?PORT_APP is not set}:3000']
    volumes: ['./static:/static:ro', 'data:/data']
  db:
    image: redis
    ports: [{ target: 6379, published: '\${PORT_DB}', host_ip: 127.0.0.1 }]
    volumes: ['data:/data']
volumes:
  data: {}
`;

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('renderCompose', () => {
  const doc = parse(renderCompose(TEMPLATE, input)) as Doc;

  it("labels every service, network and volume as ours and the tenant's", () => {
    expect(doc.services.app.labels).toEqual(['team=shop', 'io.probe.managed=true', 'io.probe.tenant=acme']);
    expect(doc.services.db.labels).toEqual({ 'io.probe.managed': 'true', 'io.probe.tenant': 'acme' });
    expect(doc.networks.default.labels).toMatchObject({ 'io.probe.tenant': 'acme' });
    expect(doc.volumes.data.labels).toMatchObject({
      'io.probe.tenant': 'acme',
      'io.probe.data-key': 'abc123',
    });
  });

  it('names each volume with the tenant and the data key', () => {
    expect(doc.volumes.data.name).toBe('probe-acme-data-abc123');
  });

  it('points relative paths into the template folder', () => {
    expect(doc.services.app.build.context).toBe('/srv/templates/shop/app');
    expect(doc.services.app.env_file).toBe('/srv/templates/shop/app.env');
    expect(doc.services.app.volumes[0]).toBe('/srv/templates/shop/static:/static:ro');
    expect(doc.services.app.volumes[1]).toBe('data:/data');
  });

  it('keeps the variables for compose to fill from .env', () => {
    expect(doc.services.app.ports[0]).toContain('${PORT_APP');
    expect(renderEnv({ ID: 'acme', PORT_APP: '18000' })).toBe('ID=acme\nPORT_APP=18000\n');
  });

  it('refuses a port published beyond 127.0.0.1, naming the service and the entry', () => {
    for (const port of [
      "'\${PORT_DB}:6379'",
      "'0.0.0.0:\${PORT_DB}:6379'",
      '6379',
      '{ target: 6379, published: 1 }',
    ]) {
      const text = `services:\n  db:\n    image: redis\n    ports: [${port}]\n`;
      expect(() => renderCompose(text, input)).toThrow(
        /template shop: service db publishes port .* on all interfaces/,
      );
    }
  });

  it('refuses host networking and external volumes or networks', () => {
    expect(() => renderCompose('services: { a: { image: x, network_mode: host } }', input)).toThrow(
      /network_mode/,
    );
    const vol = 'services: { a: { image: x } }\nvolumes: { data: { external: true } }';
    expect(() => renderCompose(vol, input)).toThrow(/volume data is external/);
    const net = 'services: { a: { image: x } }\nnetworks: { shared: { external: true } }';
    expect(() => renderCompose(net, input)).toThrow(/network shared is external/);
    expect(() => renderCompose('volumes: {}', input)).toThrow(/declares no services/);
  });
});

describe('publish checks', () => {
  it('interpolates like compose', () => {
    expect(interpolate('${A}-${B:-x}-${C-y}-$A-$$-${A:?no}', { A: '1', B: '' })).toBe('1-x-y-1-$-1');
  });

  it('accepts loopback publishing only', () => {
    expect(publishProblem('app', '127.0.0.1:${PORT_APP}:3000/tcp', vars)).toBeUndefined();
    expect(publishProblem('app', { target: 3000, host_ip: '127.0.0.1' }, vars)).toBeUndefined();
    expect(publishProblem('app', '[::]:18000:3000', vars)).toMatch(/all interfaces/);
    expect(publishProblem('app', null, vars)).toMatch(/invalid port entry/);
  });
});

describe('composeServices', () => {
  it('reads the services of a rendered file without parsing it', () => {
    expect(composeServices(renderCompose(TEMPLATE, input))).toEqual(['app', 'db']);
  });

  it('parses any other shape: the template as written, flow style, other indents', () => {
    expect(composeServices(TEMPLATE)).toEqual(['app', 'db']);
    expect(composeServices('services: { web: { image: x }, "db": { image: y } }\n')).toEqual(['web', 'db']);
    expect(composeServices('services:\n    web:\n        image: x\n')).toEqual(['web']);
    expect(composeServices("services:\n  'my app':\n    image: x\n")).toEqual(['my app']);
    expect(composeServices('volumes: {}\n')).toEqual([]);
  });

  it('agrees with a YAML parser on every document the renderer can write', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,12}$/);
    const service = fc.record({ image: fc.string(), command: fc.array(fc.string(), { maxLength: 3 }) });
    fc.assert(
      fc.property(
        fc.dictionary(name, service, { minKeys: 1, maxKeys: 6 }),
        fc.boolean(),
        (services, extra) => {
          const doc = extra ? { services, volumes: { data: {} } } : { services };
          const text = `# Rendered from template t for tenant x; do not edit.\n${stringify(doc)}`;
          expect(composeServices(text)).toEqual(Object.keys(parse(text).services));
        },
      ),
    );
  });
});
