import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../../agent/errors.js';
import { startTestAgent, type TestAgent } from '../../helpers/agent.js';

const HTTP = resolve(import.meta.dirname, '../../../agent/http');

/** Every `app.get('/x'` / `router.post('/x'` in the HTTP layer; files under routes/ mount on /v1. */
function routesInCode(): string[] {
  const found: string[] = [];
  const scan = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) scan(path, entry.name === 'routes' ? '/v1' : prefix);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(
          /\b(?:app|router)\.(get|post|put|patch|delete)\('([^']+)'/g,
        )) {
          found.push(`${m[1]} ${prefix}${m[2].replace(/:(\w+)/g, '{$1}')}`);
        }
      }
    }
  };
  scan(HTTP, '');
  return found.sort();
}

let agent: TestAgent;
beforeAll(async () => {
  agent = await startTestAgent();
});
afterAll(() => agent.stop());

describe('OpenAPI document', () => {
  it('is served at /openapi.json without auth', async () => {
    const res = await request(agent.url).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('describes every route in the code', async () => {
    const doc = (await request(agent.url).get('/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    const inCode = routesInCode();
    expect(inCode.length).toBeGreaterThan(6);
    expect(inCode.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it('lists every error code, and the README documents each one', async () => {
    const doc = (await request(agent.url).get('/openapi.json')).body;
    expect(doc.components.schemas.ErrorCode.enum.sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
    const readme = readFileSync(resolve(HTTP, '../../README.md'), 'utf8');
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE))
      expect(readme).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
  });
});
