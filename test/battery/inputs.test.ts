// Battery, part 1: bad input is refused with the right status and code, nothing is spawned,
// and the agent keeps answering. Prints `inputs refused: N/M` (and the literal-args count).
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, FIXTURE_TASKS, startTestAgent, writeConfig, type TestAgent } from '../helpers/agent.js';
import {
  b64,
  events,
  expectRefused,
  nowSec,
  postRun,
  send,
  show,
  signHs,
  Tally,
  type HsAlgorithm,
  type Refusal,
} from '../helpers/battery.js';

const RESERVED = [
  'www',
  'api',
  'admin',
  'mail',
  'probe',
  'ftp',
  'smtp',
  'ns1',
  'ns2',
  'localhost',
  'default',
];
/** A hosting section only for its reserved names: no hosting task is configured, so nothing touches it. */
const HOSTING = {
  domain: 'saas.localhost',
  templatesDir: './templates',
  ports: { from: 18100, to: 18199 },
  reserved: RESERVED,
  nginx: { confDir: './nginx/conf.d', logDir: './nginx/logs' },
};
const TASKS = new Set(Object.keys(FIXTURE_TASKS));
const TENANT_RULE = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const validTenant = (s: string) => TENANT_RULE.test(s) && !s.includes('--') && !RESERVED.includes(s);

const UNAUTHORIZED: Refusal = { status: 401, code: 'unauthorized' };
const FORBIDDEN: Refusal = { status: 403, code: 'forbidden' };
const NOT_FOUND: Refusal = { status: 404, code: 'not_found' };
const BAD_REQUEST: Refusal = { status: 400, code: 'bad_request' };
const TOO_LARGE: Refusal = { status: 413, code: 'payload_too_large' };
const UNSUPPORTED: Refusal = { status: 415, code: 'unsupported_media_type' };

const refused = new Tally('inputs refused');
const literal = new Tally('inputs kept literal');
const FC = { numRuns: 250 };

let hs: TestAgent; // HS256, no auth.keyId, issuer/audience "probe", maxTtl 1h, the hosting reserved list
let rs: TestAgent; // RS256, auth.keyId "shop-1", issuer "shop", audience "probe", maxTtl 15m
let secret: Buffer;
let star: string; // a good HS token granting every task
let echoSlow: string; // a good HS token granting the tasks echo and slow
let sentinel: string; // the folder `$(touch …)` values aim at
const shop = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
const shopPem = shop.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const shopDer = shop.publicKey.export({ type: 'spki', format: 'der' });

beforeAll(async () => {
  hs = await startTestAgent({ hosting: HOSTING });
  secret = readFileSync(join(hs.dir, 'state/jwt.secret')).subarray(0, -1);
  const { dir, file } = writeConfig({
    auth: {
      algorithms: ['RS256'],
      publicKeyFile: './shop.pub',
      keyId: 'shop-1',
      issuer: 'shop',
      audience: 'probe',
      maxTtl: '15m',
    },
    hosting: HOSTING,
  });
  writeFileSync(join(dir, 'shop.pub'), shopPem);
  rs = await startTestAgent({}, file);
  star = hsJwt(claims());
  echoSlow = hsJwt(claims({ scope: 'echo slow' }));
  sentinel = mkdtempSync(join(tmpdir(), 'probe-battery-sentinel-'));
});

afterAll(async () => {
  await hs?.stop();
  await rs?.stop();
  for (const dir of [hs?.dir, rs?.dir, sentinel]) if (dir) rmSync(dir, { recursive: true, force: true });
  console.log(literal.line());
  console.log(refused.line());
});

// ---- token factories: signed by hand, so nothing on the signing side can refuse a bad claim ----

type Claims = Record<string, unknown>;
const claims = (over: Claims = {}): Claims => ({
  sub: 'battery',
  scope: '*',
  iss: 'probe',
  aud: 'probe',
  iat: nowSec(),
  exp: nowSec() + 300,
  ...over,
});
const rsClaims = (over: Claims = {}) => claims({ iss: 'shop', ...over });

function hsJwt(
  payload: Claims,
  header: Claims = {},
  key: Buffer | string = secret,
  alg: HsAlgorithm = 'HS256',
): string {
  return signHs(payload, key, header, alg);
}

function rsJwt(payload: Claims, header: Claims = {}, key: KeyObject = shop.privateKey, pss = false): string {
  const input = `${b64({ alg: pss ? 'PS256' : 'RS256', typ: 'JWT', kid: 'shop-1', ...header })}.${b64(payload)}`;
  const options = pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
  return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
}

const unsigned = (header: Claims, payload: Claims, signature = '') =>
  `${b64(header)}.${b64(payload)}.${signature}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ECHO = JSON.stringify({ task: 'echo', args: {} });
const runWith =
  (agent: TestAgent, headers: Record<string, string>, path = '/v1/runs') =>
  () =>
    send(agent.url, { path, headers: { 'content-type': 'application/json', ...headers }, body: ECHO });

// ---- positive controls (not counted): the same requests with good tokens do run ----

describe('controls', () => {
  it('runs echo with a good HS token and a good RS token carrying the right kid', async () => {
    for (const [agent, token] of [
      [hs, star],
      [rs, rsJwt(rsClaims())],
    ] as const) {
      const before = agent.ctx.manager.spawned;
      const reply = await runWith(agent, bearer(token))();
      expect(reply.status).toBe(200);
      expect(events(reply).at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
      expect(agent.ctx.manager.spawned).toBe(before + 1);
    }
  });
});

// ---- tokens ----

interface TokenCase {
  name: string;
  agent: () => TestAgent;
  headers: () => Record<string, string>;
  path?: () => string;
  want: Refusal;
}
const onHs = (
  name: string,
  headers: () => Record<string, string>,
  want = UNAUTHORIZED,
  path?: () => string,
) => ({ name: `HS: ${name}`, agent: () => hs, headers, want, path }) satisfies TokenCase;
const onRs = (name: string, headers: () => Record<string, string>, want = UNAUTHORIZED) =>
  ({ name: `RS: ${name}`, agent: () => rs, headers, want }) satisfies TokenCase;
const hsBearer = (name: string, token: () => string, want = UNAUTHORIZED) =>
  onHs(name, () => bearer(token()), want);
const rsBearer = (name: string, token: () => string) => onRs(name, () => bearer(token()));

const TOKEN_CASES: TokenCase[] = [
  onHs('no Authorization header', () => ({})),
  onHs('"Bearer" and nothing else', () => ({ authorization: 'Bearer' })),
  onHs('"Bearer " and an empty token', () => ({ authorization: 'Bearer ' })),
  onHs('Basic credentials', () => ({ authorization: 'Basic YmF0dGVyeTpwYXNz' })),
  onHs('another scheme carrying a good token', () => ({ authorization: `Token ${star}` })),
  onHs('two tokens in one header', () => ({ authorization: `Bearer ${star} ${star}` })),
  onHs(
    'a good token only in ?token=',
    () => ({}),
    UNAUTHORIZED,
    () => `/v1/runs?token=${star}`,
  ),
  onHs(
    'a good token only in ?access_token=',
    () => ({}),
    UNAUTHORIZED,
    () => `/v1/runs?access_token=${star}`,
  ),
  onHs('a good token only in X-Access-Token', () => ({ 'x-access-token': star })),
  onHs('a good token only in a cookie', () => ({ cookie: `token=${star}` })),
  hsBearer('alg none, empty signature', () => unsigned({ alg: 'none', typ: 'JWT' }, claims())),
  hsBearer('alg None', () => unsigned({ alg: 'None', typ: 'JWT' }, claims())),
  hsBearer('alg NONE', () => unsigned({ alg: 'NONE', typ: 'JWT' }, claims())),
  hsBearer('alg none with a signature', () => unsigned({ alg: 'none' }, claims(), 'c2lnbmF0dXJl')),
  hsBearer('no alg at all', () => unsigned({ typ: 'JWT' }, claims(), 'c2lnbmF0dXJl')),
  hsBearer('HS256 with its signature cut off', () => star.slice(0, star.lastIndexOf('.') + 1)),
  hsBearer('two segments only', () => star.slice(0, star.lastIndexOf('.'))),
  hsBearer('a fourth segment', () => `${star}.${star.split('.')[2]}`),
  hsBearer('standard base64 with padding instead of base64url', () =>
    star
      .split('.')
      .map((s) => Buffer.from(s, 'base64url').toString('base64'))
      .join('.'),
  ),
  hsBearer('HS384 with the right secret (algorithm not pinned)', () => hsJwt(claims(), {}, secret, 'HS384')),
  hsBearer('HS512 with the right secret (algorithm not pinned)', () => hsJwt(claims(), {}, secret, 'HS512')),
  hsBearer('a different 48-byte secret', () => hsJwt(claims(), {}, Buffer.alloc(48, 7))),
  hsBearer('the secret file bytes with their trailing newline', () =>
    hsJwt(claims(), {}, Buffer.concat([secret, Buffer.from('\n')])),
  ),
  hsBearer('the secret minus its last byte', () => hsJwt(claims(), {}, secret.subarray(0, -1))),
  hsBearer('RS256 signed by some RSA key', () => rsJwt(claims(), { kid: undefined }, attacker.privateKey)),
  hsBearer('a signature spliced from a token of narrower scope', () =>
    [...star.split('.').slice(0, 2), echoSlow.split('.')[2]].join('.'),
  ),
  hsBearer('an unexpected kid', () => hsJwt(claims(), { kid: 'k1' })),
  hsBearer('an empty kid', () => hsJwt(claims(), { kid: '' })),
  hsBearer('exp in the past', () => hsJwt(claims({ iat: nowSec() - 120, exp: nowSec() - 60 }))),
  hsBearer('exp 10 s ago (beyond the 5 s clock tolerance)', () =>
    hsJwt(claims({ iat: nowSec() - 60, exp: nowSec() - 10 })),
  ),
  hsBearer('exp 0', () => hsJwt(claims({ iat: undefined, exp: 0 }))),
  hsBearer('exp negative', () => hsJwt(claims({ iat: undefined, exp: -1 }))),
  hsBearer('no exp', () => hsJwt(claims({ exp: undefined }))),
  hsBearer('exp as a string', () => hsJwt(claims({ exp: String(nowSec() + 300) }))),
  hsBearer('exp null', () => hsJwt(claims({ exp: null }))),
  hsBearer('nbf 10 minutes ahead', () => hsJwt(claims({ nbf: nowSec() + 600 }))),
  hsBearer('nbf as a string', () => hsJwt(claims({ nbf: 'now' }))),
  hsBearer('a 2 h lifetime (maxTtl 1h)', () => hsJwt(claims({ exp: nowSec() + 7200 }))),
  hsBearer('a 2 h lifetime without iat', () => hsJwt(claims({ iat: undefined, exp: nowSec() + 7200 }))),
  hsBearer('a 2 h lifetime issued 2 h ago, still unexpired', () =>
    hsJwt(claims({ iat: nowSec() - 7200, exp: nowSec() + 60 })),
  ),
  hsBearer('iat 30 days ahead, so exp - iat looks short', () =>
    hsJwt(claims({ iat: nowSec() + 30 * 86400, exp: nowSec() + 30 * 86400 + 60 })),
  ),
  hsBearer('iat 10 min ahead and exp - iat = maxTtl (70 min from now)', () =>
    hsJwt(claims({ iat: nowSec() + 600, exp: nowSec() + 600 + 3600 })),
  ),
  hsBearer('a wrong audience', () => hsJwt(claims({ aud: 'other' }))),
  hsBearer('no audience', () => hsJwt(claims({ aud: undefined }))),
  hsBearer('an audience list without probe', () => hsJwt(claims({ aud: ['other', 'shop'] }))),
  hsBearer('an audience in another case', () => hsJwt(claims({ aud: 'PROBE' }))),
  hsBearer('a wrong issuer', () => hsJwt(claims({ iss: 'evil' }))),
  hsBearer('no issuer', () => hsJwt(claims({ iss: undefined }))),
  hsBearer('an issuer with a trailing space', () => hsJwt(claims({ iss: 'probe ' }))),
  hsBearer('no sub', () => hsJwt(claims({ sub: undefined }))),
  hsBearer('an empty sub', () => hsJwt(claims({ sub: '' }))),
  hsBearer('a numeric sub', () => hsJwt(claims({ sub: 42 }))),
  hsBearer('garbage in three segments', () => 'abc.def.ghi'),
  hsBearer('a JSON header that is not an object', () => `${b64('x')}.${b64(claims())}.c2ln`),
  hsBearer('9000 characters of junk', () => 'a'.repeat(9000)),
  hsBearer('15000 characters of junk', () => `${'a'.repeat(5000)}.${'b'.repeat(5000)}.${'c'.repeat(4998)}`),
  hsBearer('a correctly signed token over 8 KiB', () => hsJwt(claims({ pad: 'x'.repeat(8200) }))),
  // Node's HTTP parser answers a header block over 16 KiB itself, before the app: 431, no JSON body.
  onHs('a 20000-character token (over Node’s header limit)', () => bearer('a'.repeat(20_000)), {
    status: 431,
  }),
  hsBearer('a scope that does not name echo', () => hsJwt(claims({ scope: 'slow' })), FORBIDDEN),
  hsBearer('an empty scope', () => hsJwt(claims({ scope: '' })), FORBIDDEN),
  hsBearer('no scope claim', () => hsJwt(claims({ scope: undefined })), FORBIDDEN),
  hsBearer(
    'only read, cancel and metrics',
    () => hsJwt(claims({ scope: 'runs:read runs:cancel metrics' })),
    FORBIDDEN,
  ),
  hsBearer('a prefix of echo', () => hsJwt(claims({ scope: 'ech' })), FORBIDDEN),
  hsBearer('a glob that is not *', () => hsJwt(claims({ scope: 'echo* e*' })), FORBIDDEN),
  hsBearer('ECHO in upper case', () => hsJwt(claims({ scope: 'ECHO' })), FORBIDDEN),
  hsBearer('a comma-separated scope', () => hsJwt(claims({ scope: 'slow,echo' })), FORBIDDEN),
  hsBearer('a scope array split in two', () => hsJwt(claims({ scope: ['ech', 'o'] })), FORBIDDEN),
  hsBearer('a scope object', () => hsJwt(claims({ scope: { echo: true } })), FORBIDDEN),
  hsBearer('a numeric scope', () => hsJwt(claims({ scope: 42 })), FORBIDDEN),
  hsBearer('a Cyrillic look-alike of echo', () => hsJwt(claims({ scope: 'еcho' })), FORBIDDEN),
  rsBearer('alg none with the right kid', () => unsigned({ alg: 'none', kid: 'shop-1' }, rsClaims())),
  rsBearer('HS256 signed with the public key PEM', () => hsJwt(rsClaims(), { kid: 'shop-1' }, shopPem)),
  rsBearer('HS256 signed with the trimmed public key PEM', () =>
    hsJwt(rsClaims(), { kid: 'shop-1' }, shopPem.trim()),
  ),
  rsBearer('HS256 signed with the public key DER', () => hsJwt(rsClaims(), { kid: 'shop-1' }, shopDer)),
  rsBearer('HS512 signed with the public key PEM', () =>
    hsJwt(rsClaims(), { kid: 'shop-1' }, shopPem, 'HS512'),
  ),
  rsBearer('PS256 with the right key (algorithm not pinned)', () =>
    rsJwt(rsClaims(), {}, shop.privateKey, true),
  ),
  rsBearer('RS256 by another key with the right kid', () => rsJwt(rsClaims(), {}, attacker.privateKey)),
  rsBearer('RS256 by another key that embeds its own jwk', () =>
    rsJwt(rsClaims(), { jwk: attacker.publicKey.export({ format: 'jwk' }) }, attacker.privateKey),
  ),
  rsBearer('RS256 by another key pointing jku at it', () =>
    rsJwt(rsClaims(), { jku: 'http://127.0.0.1:1/jwks.json' }, attacker.privateKey),
  ),
  rsBearer('no kid', () => rsJwt(rsClaims(), { kid: undefined })),
  rsBearer('a wrong kid', () => rsJwt(rsClaims(), { kid: 'shop-2' })),
  rsBearer('the kid in upper case', () => rsJwt(rsClaims(), { kid: 'SHOP-1' })),
  rsBearer('the kid with a trailing space', () => rsJwt(rsClaims(), { kid: 'shop-1 ' })),
  rsBearer('the kid as an array', () => rsJwt(rsClaims(), { kid: ['shop-1'] })),
  rsBearer('a 1 h lifetime (maxTtl 15m)', () => rsJwt(rsClaims({ exp: nowSec() + 3600 }))),
  rsBearer('exp in the past', () => rsJwt(rsClaims({ iat: nowSec() - 120, exp: nowSec() - 60 }))),
  rsBearer('the HS agent’s issuer', () => rsJwt(rsClaims({ iss: 'probe' }))),
  rsBearer('a token of the HS agent', () => star),
];

describe('tokens', () => {
  it.each(TOKEN_CASES)('refuses $name', async (c) => {
    await refused.check(() => expectRefused(c.agent(), runWith(c.agent(), c.headers(), c.path?.()), c.want));
  });

  it('refuses every truncation of a good token', async () => {
    for (let n = 0; n < star.length; n++) {
      await refused.check(() => expectRefused(hs, runWith(hs, bearer(star.slice(0, n))), UNAUTHORIZED));
    }
  });

  it('refuses a good token with a character replaced, inserted, deleted or segments swapped', async () => {
    const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
    const mutation = fc.oneof(
      fc.tuple(fc.nat(), printable).map(([at, ch]) => (t: string) => {
        const i = at % t.length;
        const by = ch === t[i] ? String.fromCharCode(((ch.charCodeAt(0) - 0x21 + 1) % 94) + 0x21) : ch;
        return t.slice(0, i) + by + t.slice(i + 1);
      }),
      fc.tuple(fc.nat(), printable).map(([at, ch]) => (t: string) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + ch + t.slice(i);
      }),
      fc.nat().map((at) => (t: string) => {
        const i = at % t.length;
        return t.slice(0, i) + t.slice(i + 1);
      }),
      fc.constantFrom<[number, number]>([0, 1], [1, 2], [0, 2]).map(([a, b]) => (t: string) => {
        const parts = t.split('.');
        [parts[a], parts[b]] = [parts[b], parts[a]];
        return parts.join('.');
      }),
    );
    const check = refused.forProperty();
    await fc.assert(
      fc.asyncProperty(mutation, async (mutate) => {
        const token = mutate(star);
        fc.pre(token !== star);
        await check(() => expectRefused(hs, runWith(hs, bearer(token)), UNAUTHORIZED));
      }),
      FC,
    );
  });

  it('refuses tokens signed with any other secret', async () => {
    const check = refused.forProperty();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 80 }), async (key) => {
        fc.pre(!Buffer.from(key).equals(secret));
        const token = hsJwt(claims(), {}, Buffer.from(key));
        await check(() => expectRefused(hs, runWith(hs, bearer(token)), UNAUTHORIZED));
      }),
      { numRuns: 40 },
    );
  });
});

// ---- task names ----

const EVIL_NAMES = [
  '',
  '.',
  '..',
  '...',
  '%2e%2e',
  '%2E%2E%2Fecho',
  '/',
  '//',
  '../echo',
  './echo',
  'echo/',
  '/echo',
  'echo/..',
  '..\\echo',
  'echo\u0000',
  '\u0000',
  'ec\u0000ho',
  'echo%00',
  '\u0435cho', // Cyrillic е
  'ｅｃｈｏ', // fullwidth
  'ech\u200bo', // zero-width space
  'echo\u200d',
  'e\u0301cho',
  '\u0441low', // Cyrillic с
  'Echo',
  'ECHO',
  ' echo',
  'echo ',
  'echo\n',
  'echo\t',
  'echo;ls',
  'echo && id',
  '$(echo)',
  '`echo`',
  'echo.mjs',
  join(FIXTURES, 'echo.mjs'),
  'test/fixtures/echo.mjs',
  '../../../../etc/passwd',
  '/bin/sh',
  'sh',
  'node',
  '*',
  'runs:read',
  'metrics',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'provision',
  'hello',
  'x'.repeat(65),
  'x'.repeat(10_000),
  'echo'.repeat(10_000),
  '\ud800',
  'echo\udfff',
];

/** The answer a name must get: 404 when the token's scope covers it, else 403. */
function nameRefusal(name: string, scope: string): Refusal {
  const granted = scope.split(/\s+/).filter(Boolean);
  return granted.includes('*') || granted.includes(name) ? NOT_FOUND : FORBIDDEN;
}
const SCOPES = {
  star: '*',
  'echo slow': 'echo slow',
  'the name itself': null,
} as const;
type ScopeKind = keyof typeof SCOPES;
const scopeFor = (kind: ScopeKind, name: string) => SCOPES[kind] ?? name;
const tokenFor = (kind: ScopeKind, name: string) =>
  kind === 'star' ? star : kind === 'echo slow' ? echoSlow : hsJwt(claims({ scope: name }));

describe('task names', () => {
  // A token whose scope is a 10 000-character name would be refused for its size, not its scope.
  const cases = EVIL_NAMES.flatMap((name) =>
    (Object.keys(SCOPES) as ScopeKind[])
      .filter((kind) => kind !== 'the name itself' || name.length <= 200)
      .map((kind) => ({ label: `${show(name)} with scope ${kind}`, name, kind })),
  );
  it.each(cases)('refuses $label', async ({ name, kind }) => {
    expect(TASKS.has(name)).toBe(false);
    await refused.check(() =>
      expectRefused(
        hs,
        () => postRun(hs.url, tokenFor(kind, name), { task: name, args: {} }),
        nameRefusal(name, scopeFor(kind, name)),
      ),
    );
  });

  it('refuses arbitrary and near-miss names that are not configured', async () => {
    const configured = [...TASKS];
    const nearMiss = fc
      .tuple(fc.constantFrom(...configured), fc.nat(), fc.string({ unit: 'binary', maxLength: 2 }), fc.nat(2))
      .map(([n, at, insert, drop]) => {
        const i = at % (n.length + 1);
        return n.slice(0, i) + insert + n.slice(i + drop);
      });
    const names = fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary-ascii', maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        nearMiss,
      )
      .filter((n) => !TASKS.has(n));
    const kinds = fc.constantFrom(...(Object.keys(SCOPES) as ScopeKind[]));
    const check = refused.forProperty();
    await fc.assert(
      fc.asyncProperty(names, kinds, async (name, kind) => {
        await check(() =>
          expectRefused(
            hs,
            () => postRun(hs.url, tokenFor(kind, name), { task: name, args: {} }),
            nameRefusal(name, scopeFor(kind, name)),
          ),
        );
      }),
      { numRuns: 300 },
    );
  });
});

// ---- args: refused ----

const TENANT_IDS: unknown[] = [
  'a;b',
  'a b',
  'a.b',
  'a/../b',
  '../etc',
  '..',
  '.',
  '/',
  'a/b',
  'a\\b',
  'A',
  'Acme',
  'acmE',
  'acme.evil.example',
  'x'.repeat(33),
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(5000),
  ...RESERVED,
  'a--b',
  'xn--acme',
  '1abc',
  '0',
  '-abc',
  'abc-',
  '-',
  'a',
  '',
  ' acme',
  'acme ',
  'acme\n',
  'acme\u0000',
  '\u0430cme', // Cyrillic а
  'ａｃｍｅ',
  'acme_1',
  'acme*',
  '*',
  'acme$(id)',
  '$(touch x)',
  'acme;rm -rf /',
  'acme\r\nHost: evil',
  'acme:8080',
  'acme#',
  '%61cme',
  'ac%2fme',
  'acme.conf',
  5,
  0,
  true,
  null,
  ['acme'],
  { id: 'acme' },
];

const ARG_CASES: { label: string; args: unknown }[] = [
  ...TENANT_IDS.map((id) => ({ label: `tenant id ${show(id)}`, args: { id } })),
  ...['a\nb', 'a\rb', '\u0000', 'a\u0000b', 'a\tb', '\u001b[31mred', 'a\u007fb', 'line\n--code=7'].map(
    (name) => ({ label: `control character in ${show(name)}`, args: { name } }),
  ),
  // C1 controls are control characters too (Unicode Cc: U+0080..U+009F): NEL is a line break, CSI starts a terminal escape.
  ...['a\u0085b', 'a\u009b31mred', '\u0080'].map((name) => ({
    label: `C1 control character in ${show(name)}`,
    args: { name },
  })),
  // A lone surrogate cannot reach argv literally: it becomes U+FFFD, so two different values would run as one.
  ...['\ud800', 'a\udfffb', 'x\ud83d'].map((name) => ({
    label: `lone surrogate in ${show(name)}`,
    args: { name },
  })),
  { label: 'name of 1025 characters', args: { name: 'x'.repeat(1025) } },
  ...[5, true, null, [], ['a'], {}, { toString: 'x' }].map((name) => ({
    label: `name of wrong type ${show(name)}`,
    args: { name },
  })),
  ...['7', 7.5, -1, 256, 1e300, '0x10', true, null, [7], { n: 7 }].map((code) => ({
    label: `code ${show(code)}`,
    args: { code },
  })),
  ...[0, 11, 2.5, '2', -0.5].map((count) => ({ label: `count ${show(count)}`, args: { count } })),
  ...['true', 1, 0, 'yes', null, [true]].map((loud) => ({ label: `loud ${show(loud)}`, args: { loud } })),
  ...[
    'nope',
    'NAME',
    'name ',
    '__proto__',
    'constructor',
    'toString',
    'PROBE_ARG_NAME',
    '--name',
    'env',
    '',
  ].map((key) => ({
    label: `unknown arg ${show(key)}`,
    args: JSON.parse(`{${JSON.stringify(key)}: "x"}`) as unknown,
  })),
  ...[[], ['--name=x'], 'name=x', '--code=7', 5, true].map((args) => ({
    label: `args that are ${show(args)}`,
    args,
  })),
  { label: 'a huge array as name', args: { name: Array.from({ length: 10_000 }, () => 'a') } },
  { label: 'a huge array as args', args: Array.from({ length: 10_000 }, (_, i) => i) },
];

describe('args', () => {
  it.each(ARG_CASES)('refuses $label', async ({ args }) => {
    await refused.check(() =>
      expectRefused(hs, () => postRun(hs.url, star, { task: 'echo', args }), BAD_REQUEST),
    );
  });

  it('refuses any tenant id outside the rule', async () => {
    const idish = fc.string({ unit: fc.constantFrom(...'abcmxz0129-_.;/ A\u0430'.split('')), maxLength: 70 });
    const ids = fc
      .oneof(fc.string({ unit: 'binary', maxLength: 80 }), idish, fc.constantFrom(...RESERVED))
      .filter((s) => !validTenant(s));
    const check = refused.forProperty();
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        await check(() =>
          expectRefused(hs, () => postRun(hs.url, star, { task: 'echo', args: { id } }), BAD_REQUEST),
        );
      }),
      FC,
    );
  });

  it('refuses any string arg holding a control character', async () => {
    const control = fc
      .oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f))
      .map((c) => String.fromCharCode(c));
    const check = refused.forProperty();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 30 }),
        control,
        fc.string({ maxLength: 30 }),
        async (a, c, b) => {
          await check(() =>
            expectRefused(
              hs,
              () => postRun(hs.url, star, { task: 'echo', args: { name: a + c + b } }),
              BAD_REQUEST,
            ),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses args of any other shape or with any unknown key', async () => {
    const known = new Set(Object.keys(FIXTURE_TASKS.echo.args));
    const notAnObject = fc
      .jsonValue()
      .filter((v) => v !== null && (typeof v !== 'object' || Array.isArray(v)));
    const unknownKeys = fc
      .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 })
      .filter((o) => Object.keys(o).every((k) => !known.has(k)));
    const check = refused.forProperty();
    await fc.assert(
      fc.asyncProperty(fc.oneof(notAnObject, unknownKeys), async (args) => {
        await check(() =>
          expectRefused(hs, () => postRun(hs.url, star, { task: 'echo', args }), BAD_REQUEST),
        );
      }),
      { numRuns: 100 },
    );
  });
});

// ---- args: valid, and passed literally ----

const LITERAL_VALUES = (dir: string) => [
  `$(touch ${dir}/dollar)`,
  `\`touch ${dir}/backtick\``,
  `; touch ${dir}/semicolon`,
  `| touch ${dir}/pipe`,
  `&& touch ${dir}/and`,
  `> ${dir}/redirect`,
  `$(touch /tmp/x); rm -rf /`,
  '--code=7',
  '--name=other',
  '--count=9',
  '-rf',
  '--',
  '-',
  '=',
  '==',
  '\'single" double',
  '\\',
  '*',
  '/*',
  '~',
  '$HOME',
  '${PATH}',
  '%s%n%x',
  '{name}',
  'a b  c',
  '',
  ' ',
  'é漢字🙂',
  'ｅｃｈｏ',
  '\u2028\u2029',
  '\ud83d\ude00'.repeat(512),
  'x'.repeat(1024),
];

async function runLiteral(args: Record<string, string>, argv: string[]): Promise<void> {
  const before = hs.ctx.manager.spawned;
  const reply = await postRun(hs.url, star, { task: 'echo', args });
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  const all = events(reply);
  expect(all.at(-1)).toMatchObject({ type: 'end', status: 'succeeded', exitCode: 0 });
  const result = all.find((e) => e.type === 'result')?.data as {
    argv: string[];
    env: Record<string, string>;
  };
  expect(result.argv).toEqual(argv);
  expect(result.argv.map((a) => Buffer.from(a).toString('hex'))).toEqual(
    argv.map((a) => Buffer.from(a).toString('hex')),
  );
  for (const [k, v] of Object.entries(args)) expect(result.env[`PROBE_ARG_${k.toUpperCase()}`]).toBe(v);
  expect(hs.ctx.manager.spawned).toBe(before + 1);
}

describe('args that are valid arrive literally', () => {
  it('passes shell metacharacters and option-like values as the exact bytes of --name=<value>', async () => {
    for (const value of LITERAL_VALUES(sentinel)) {
      await literal.check(() => runLiteral({ name: value }, [`--name=${value}`, '--count=2']));
    }
    expect(readdirSync(sentinel)).toEqual([]);
  });

  it('passes any string without control characters literally', async () => {
    const value = fc
      .string({ unit: 'binary', maxLength: 200 })
      .filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s) && s.length <= 1024);
    const check = literal.forProperty();
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        await check(() => runLiteral({ name: v }, [`--name=${v}`, '--count=2']));
      }),
      { numRuns: 20 },
    );
    expect(readdirSync(sentinel)).toEqual([]);
  });

  it('runs valid tenant ids', async () => {
    const ids = fc.stringMatching(TENANT_RULE).filter(validTenant);
    const check = literal.forProperty();
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        await check(() => runLiteral({ id }, ['--count=2', `--id=${id}`]));
      }),
      { numRuns: 10 },
    );
  });
});

// ---- bodies, content types, routes ----

const JSON_TYPE = { 'content-type': 'application/json' };
interface BodyCase {
  label: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  method?: string;
  path?: string;
  want: Refusal;
}
const deep = (n: number, open: string, leaf: string, close: string) =>
  open.repeat(n) + leaf + close.repeat(n);

const BODY_CASES: BodyCase[] = [
  {
    label: 'a 70 KB body (limit 64kb)',
    body: JSON.stringify({ task: 'echo', args: { name: 'x'.repeat(70_000) } }),
    want: TOO_LARGE,
  },
  {
    label: 'a 2 MB body',
    body: JSON.stringify({ task: 'echo', pad: 'x'.repeat(2_000_000) }),
    want: TOO_LARGE,
  },
  {
    label: 'a gzip body that inflates to 1 MB',
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: gzipSync(JSON.stringify({ task: 'echo', args: { name: 'a'.repeat(1_000_000) } })),
    want: TOO_LARGE,
  },
  { label: 'no content-type', headers: {}, body: ECHO, want: UNSUPPORTED },
  { label: 'text/plain', headers: { 'content-type': 'text/plain' }, body: ECHO, want: UNSUPPORTED },
  {
    label: 'a form',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'task=echo',
    want: UNSUPPORTED,
  },
  {
    label: 'multipart',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nContent-Disposition: form-data; name="task"\r\n\r\necho\r\n--x--\r\n',
    want: UNSUPPORTED,
  },
  {
    label: 'application/xml',
    headers: { 'content-type': 'application/xml' },
    body: '<task>echo</task>',
    want: UNSUPPORTED,
  },
  { label: 'text/json', headers: { 'content-type': 'text/json' }, body: ECHO, want: UNSUPPORTED },
  {
    label: 'application/vnd.api+json',
    headers: { 'content-type': 'application/vnd.api+json' },
    body: ECHO,
    want: UNSUPPORTED,
  },
  {
    label: 'a latin1 charset',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: ECHO,
    want: UNSUPPORTED,
  },
  {
    label: 'an unknown content-encoding',
    headers: { ...JSON_TYPE, 'content-encoding': 'x-bogus' },
    body: ECHO,
    want: UNSUPPORTED,
  },
  ...[
    '{',
    '{"task":"echo",}',
    "{'task':'echo'}",
    '{"task":echo}',
    '{task:"echo"}',
    'null',
    'true',
    '42',
    '"echo"',
    '{"task":"echo"}x',
    '{"task":"echo"}{"task":"echo"}',
    '/* comment */{"task":"echo"}',
    '{"task":"echo"}\u0000',
    '{"task":"echo","args":{"code":NaN}}',
    '{"task":"echo","args":{"code":Infinity}}',
    '[',
  ].map((body) => ({ label: `malformed JSON ${show(body)}`, body, want: BAD_REQUEST })),
  { label: 'bytes that are not UTF-8', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), want: BAD_REQUEST },
  { label: 'an empty body', body: '', want: BAD_REQUEST },
  { label: 'a JSON array', body: '[]', want: BAD_REQUEST },
  { label: 'a JSON array holding a run', body: `[${ECHO}]`, want: BAD_REQUEST },
  { label: 'no task', body: '{}', want: BAD_REQUEST },
  ...[null, 5, true, ['echo'], { name: 'echo' }].map((task) => ({
    label: `task ${show(task)}`,
    body: JSON.stringify({ task, args: {} }),
    want: BAD_REQUEST,
  })),
  ...['extra', 'Task', 'tasks', 'arg', 'env', 'command', '__proto__'].map((field) => ({
    label: `extra field ${show(field)}`,
    body: `{"task":"echo","args":{},${JSON.stringify(field)}:{"x":1}}`,
    want: BAD_REQUEST,
  })),
  {
    label: 'args.name nested 20000 deep',
    body: `{"task":"echo","args":{"name":${deep(20_000, '[', '', ']')}}}`,
    want: BAD_REQUEST,
  },
  {
    label: 'args nested 8000 deep',
    body: `{"task":"echo","args":${deep(8000, '{"a":', '1', '}')}}`,
    want: BAD_REQUEST,
  },
  { label: 'a body nested 30000 deep', body: deep(30_000, '[', '', ']'), want: BAD_REQUEST },
  {
    label: 'a top-level array of 10000 runs',
    body: `[${Array(10_000).fill('{}').join(',')}]`,
    want: BAD_REQUEST,
  },
  { label: 'PUT /v1/runs', method: 'PUT', body: ECHO, want: NOT_FOUND },
  { label: 'PATCH /v1/runs', method: 'PATCH', body: ECHO, want: NOT_FOUND },
  { label: 'POST /v1/tasks', path: '/v1/tasks', body: ECHO, want: NOT_FOUND },
  { label: 'POST /v1/runs/echo', path: '/v1/runs/echo', body: ECHO, want: NOT_FOUND },
  { label: 'POST /v1/runs/%2e%2e', path: '/v1/runs/%2e%2e', body: ECHO, want: NOT_FOUND },
  { label: 'POST /v1/../v1/runs', path: '/v1/../v1/runs', body: ECHO, want: NOT_FOUND },
  { label: 'POST /v1/echo', path: '/v1/echo', body: ECHO, want: NOT_FOUND },
  ...[
    '/v1/runs?limit=0',
    '/v1/runs?limit=abc',
    '/v1/runs?limit=501',
    '/v1/runs?limit=1.5',
    '/v1/runs?status=bogus',
    '/v1/runs?status=running&status=failed',
  ].map((path) => ({ label: `GET ${path}`, method: 'GET', path, want: BAD_REQUEST })),
  ...[
    '/v1/runs/..%2f..%2fetc%2fpasswd',
    '/v1/runs/not-a-run',
    '/v1/runs/00000000-0000-0000-0000-000000000000',
    '/v1/runs/00000000-0000-0000-0000-000000000000/events',
    '/v1/runs/%00',
    '/v1/../etc/passwd',
  ].map((path) => ({ label: `GET ${path}`, method: 'GET', path, want: NOT_FOUND })),
  {
    label: 'DELETE an unknown run',
    method: 'DELETE',
    path: '/v1/runs/00000000-0000-0000-0000-000000000000',
    want: NOT_FOUND,
  },
];

describe('bodies, content types and routes', () => {
  it.each(BODY_CASES)('refuses $label', async (c) => {
    const headers = { authorization: `Bearer ${star}`, ...(c.headers ?? JSON_TYPE) };
    await refused.check(() =>
      expectRefused(
        hs,
        () => send(hs.url, { method: c.method ?? 'POST', path: c.path, headers, body: c.body }),
        c.want,
      ),
    );
  });

  it('refuses a bad replay position on a real run', async () => {
    const started = await send(hs.url, {
      path: '/v1/runs?wait=0',
      headers: { ...JSON_TYPE, authorization: `Bearer ${star}` },
      body: ECHO,
    });
    expect(started.status).toBe(202);
    const id = (started.body as { id: string }).id;
    for (const after of ['-2', 'abc', '1.5', 'NaN', 'Infinity']) {
      const path = `/v1/runs/${id}/events?after=${after}`;
      await refused.check(() =>
        expectRefused(hs, () => send(hs.url, { method: 'GET', path, headers: bearer(star) }), BAD_REQUEST),
      );
    }
  });
});
