import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, writeConfig, type TestAgent } from '../../helpers/agent.js';

let hs: TestAgent;
let rs: TestAgent;
let secret: Buffer;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;

beforeAll(async () => {
  hs = await startTestAgent();
  secret = readFileSync(join(hs.dir, 'state/jwt.secret')).subarray(0, -1);
  const { dir, file } = writeConfig({
    auth: {
      algorithms: ['RS256'],
      publicKeyFile: './shop.pub',
      issuer: 'shop',
      audience: 'probe',
      maxTtl: '15m',
    },
  });
  writeFileSync(join(dir, 'shop.pub'), publicPem);
  rs = await startTestAgent({}, file);
});
afterAll(async () => {
  await hs.stop();
  await rs.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const hsToken = (claims: object, opts: jwt.SignOptions = {}) =>
  jwt.sign(
    { sub: 'shop', scope: 'echo', iss: 'probe', aud: 'probe', iat: now(), exp: now() + 60, ...claims },
    secret,
    {
      algorithm: 'HS256',
      ...opts,
    },
  );
const run = (agent: TestAgent, token: string | undefined) => {
  const r = request(agent.url).post('/v1/runs').send({ task: 'echo', args: {} });
  return token === undefined ? r : r.set('Authorization', `Bearer ${token}`);
};
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('authentication (HS256)', () => {
  it('accepts a good token', async () => {
    expect((await run(hs, hsToken({}))).status).toBe(200);
  });

  it.each<[string, () => string | undefined]>([
    ['no token', () => undefined],
    ['a bad signature', () => hsToken({}).slice(0, -4) + 'AAAA'],
    [
      'alg none',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', scope: '*', exp: now() + 60 })}.`,
    ],
    ['an expired token', () => hsToken({ iat: now() - 120, exp: now() - 60 })],
    [
      'no exp',
      () =>
        jwt.sign({ sub: 'shop', scope: 'echo', iss: 'probe', aud: 'probe' }, secret, { noTimestamp: true }),
    ],
    ['a lifetime over maxTtl', () => hsToken({ exp: now() + 7200 })],
    ['a wrong audience', () => hsToken({ aud: 'other' })],
    ['a wrong issuer', () => hsToken({ iss: 'evil' })],
    ['an nbf in the future', () => hsToken({ nbf: now() + 600 })],
    ['an unexpected kid', () => hsToken({}, { keyid: 'k1' })],
    ['a garbled token', () => 'abc.def.ghi'],
    ['a huge token', () => 'a'.repeat(9000)],
  ])('refuses %s with 401 and WWW-Authenticate', async (_name, token) => {
    const res = await run(hs, token());
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('refuses a valid token without the task in its scope (403)', async () => {
    const res = await run(hs, hsToken({ scope: 'other runs:read' }));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it('accepts the scope claim as an array', async () => {
    expect((await run(hs, hsToken({ scope: ['echo'] }))).status).toBe(200);
  });
});

describe('authentication (RS256, asymmetric)', () => {
  const rsToken = (claims: object = {}) =>
    jwt.sign(
      { sub: 'shop', scope: 'echo', iss: 'shop', aud: 'probe', exp: now() + 60, ...claims },
      privateKey,
      {
        algorithm: 'RS256',
      },
    );

  it('verifies a token the shop signed with its private key', async () => {
    expect((await run(rs, rsToken())).status).toBe(200);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const forged = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'x', scope: '*', iss: 'shop', aud: 'probe', exp: now() + 60 })}`;
    const { createHmac } = await import('node:crypto');
    const sig = createHmac('sha256', publicPem).update(forged).digest('base64url');
    const res = await run(rs, `${forged}.${sig}`);
    expect(res.status).toBe(401);
  });

  it('refuses a lifetime over its maxTtl of 15m', async () => {
    expect((await run(rs, rsToken({ exp: now() + 3600 }))).status).toBe(401);
  });
});

describe('routes without a token', () => {
  it('serves /healthz without auth', async () => {
    const res = await request(hs.url).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('guards /metrics with the metrics scope', async () => {
    expect((await request(hs.url).get('/metrics')).status).toBe(401);
    expect(
      (
        await request(hs.url)
          .get('/metrics')
          .set('Authorization', `Bearer ${hs.token('echo')}`)
      ).status,
    ).toBe(403);
    const ok = await request(hs.url)
      .get('/metrics')
      .set('Authorization', `Bearer ${hs.token('metrics')}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('probe_runs_total{task="echo",status="succeeded"}');
    expect(ok.text).toContain('probe_run_duration_seconds_bucket');
    expect(ok.text).toContain('probe_runs_in_flight');
    expect(ok.text).toContain('probe_process_resident_memory_bytes');
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await request(hs.url).get('/healthz');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
