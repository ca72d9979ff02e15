// Battery, part 2: the agent's secrets stay out of task environments, state files and logs,
// its state is private, and it refuses to start on a weak secret or a config others can write.
// Prints `secrets kept: N/M`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, FIXTURE_TASKS, writeConfig } from '../helpers/agent.js';
import {
  events,
  freePort,
  listening,
  nowSec,
  send,
  serveAgent,
  serveRefused,
  signHs,
  Tally,
  type Reply,
  type ServedAgent,
} from '../helpers/battery.js';

const tally = new Tally('secrets kept');
const nonce = randomBytes(12).toString('hex');

/** Variables in the AGENT's environment that no task may see. */
const AGENT_SECRETS: Record<string, string> = {
  PROBE_TEST_SECRET: `probe-test-secret-${nonce}`,
  AWS_SECRET_ACCESS_KEY: `wJalrXUtnFEMI/K7MDENG/bPxRfiCY-${nonce}`,
  AWS_ACCESS_KEY_ID: `AKIA${nonce.toUpperCase()}`,
  GITHUB_TOKEN: `ghp_${nonce}`,
  NPM_TOKEN: `npm_${nonce}`,
  DATABASE_URL: `postgres://shop:pw-${nonce}@127.0.0.1:5432/shop`,
  PROBE_TOKEN: `probe-token-${nonce}`,
};
const ALLOWED_ENV = /^(PATH|HOME|LANG|TZ|GREETING|PROBE_RUN_ID|PROBE_ARG_[A-Z0-9_]+)$/;

const TASKS = {
  echo: FIXTURE_TASKS.echo,
  login: {
    description: 'takes credentials as args',
    command: ['node', join(FIXTURES, 'echo.mjs')],
    args: { token: { type: 'string' }, password: { type: 'string' } },
  },
  fds: { description: 'lists its open file descriptors', command: ['ls', '-l', '/proc/self/fd'] },
};

/** Agent A: `probe serve` with no --config (PROBE_CONFIG), secrets in its environment, umask 000. */
let a: ServedAgent;
let aDir: string;
let aSecret: string;
/** Agent B: `probe serve --config`, default umask, its log file inside stateDir. */
let b: ServedAgent;
let bDir: string;
let bFile: string;
let bSecret: string;

const started: ServedAgent[] = [];
const dirs: string[] = [];
/** A fresh config folder, removed when the file is done. */
const configure = (overrides: Record<string, unknown>) => {
  const made = writeConfig(overrides);
  dirs.push(made.dir);
  return made;
};
beforeAll(async () => {
  const confA = configure({ tasks: TASKS, log: { level: 'debug' } });
  aDir = confA.dir;
  a = await serveAgent({ env: { ...AGENT_SECRETS, PROBE_CONFIG: confA.file }, umask: '000' });
  started.push(a);
  aSecret = secretOf(aDir);

  const confB = configure({ tasks: TASKS, log: { level: 'debug', file: './state/agent.log' } });
  bDir = confB.dir;
  bFile = confB.file;
  b = await serveAgent({ args: ['--config', bFile] });
  started.push(b);
  bSecret = secretOf(bDir);
});

afterAll(async () => {
  for (const agent of started) await agent.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  console.log(tally.line());
});

const secretOf = (dir: string) => readFileSync(join(dir, 'state/jwt.secret'), 'utf8').replace(/\n$/, '');
const claims = (over: Record<string, unknown> = {}) => ({
  sub: 'battery',
  scope: '* runs:read metrics',
  iss: 'probe',
  aud: 'probe',
  iat: nowSec(),
  exp: nowSec() + 300,
  jti: randomBytes(8).toString('hex'), // every token is a distinct string to grep for
  ...over,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const JSON_TYPE = { 'content-type': 'application/json' };
const run = (agent: ServedAgent, token: string, task: string, args: Record<string, unknown> = {}) =>
  send(agent.url, {
    headers: { ...JSON_TYPE, ...bearer(token) },
    body: JSON.stringify({ task, args }),
  });

/** Checks every item, counts each, and fails the test with the list of those that did not hold. */
function expectEach<T>(items: T[], ok: (item: T) => boolean, name: (item: T) => string): void {
  const failed = items.filter((item) => !tally.count(ok(item))).map(name);
  expect(failed).toEqual([]);
}

/** The descriptors in an `ls -l /proc/self/fd` listing. */
function openFds(listing: string): { fd: number; target: string }[] {
  return [...listing.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => ({ fd: Number(m[1]), target: m[2] }));
}

function walk(dir: string): { path: string; dir: boolean; mode: number }[] {
  const here = lstatSync(dir);
  const found = [{ path: dir, dir: true, mode: here.mode & 0o777 }];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) found.push(...walk(path));
    else found.push({ path, dir: false, mode: st.mode & 0o777 });
  }
  return found;
}

describe("a task's environment holds none of the agent's secrets", () => {
  let result: { argv: string[]; env: Record<string, string> };
  let token: string;

  beforeAll(async () => {
    token = signHs(claims(), aSecret);
    const reply = await run(a, token, 'echo', { name: 'x' });
    expect(reply.status).toBe(200);
    result = events(reply).find((e) => e.type === 'result').data;
  });

  it('passes only the allowlisted variables', () => {
    expectEach(
      Object.keys(result.env),
      (k) => ALLOWED_ENV.test(k),
      (k) => `unexpected variable ${k}`,
    );
  });

  it("has none of the agent's variables, PROBE_CONFIG included", () => {
    expectEach(
      [...Object.keys(AGENT_SECRETS), 'PROBE_CONFIG'],
      (k) => !(k in result.env),
      (k) => `${k} reached the task`,
    );
  });

  it('holds no secret value, no JWT secret and no token anywhere in its env or argv', () => {
    const seen = [...Object.values(result.env), ...result.argv].join('\n');
    const secrets = [
      ...Object.entries(AGENT_SECRETS),
      ['the JWT secret', aSecret],
      ['the bearer token', token],
    ];
    expectEach(
      secrets,
      ([, v]) => !seen.includes(v),
      ([k]) => `${k} reached the task`,
    );
  });

  it("holds none of the agent's open files or sockets", async () => {
    // A descriptor this test's own children inherit comes from whatever started the test run,
    // not from the agent: only what goes beyond that baseline counts as a leak.
    const baseline = new Set(
      openFds(spawnSync('ls', ['-l', '/proc/self/fd'], { encoding: 'utf8' }).stdout).map((f) => f.target),
    );
    const reply = await run(a, token, 'fds');
    const text = events(reply)
      .filter((e) => e.type === 'output')
      .map((e) => e.text as string)
      .join('\n');
    const fds = openFds(text);
    expect(fds.map((f) => f.fd)).toEqual(expect.arrayContaining([0, 1, 2]));
    // 0 is /dev/null, 1 and 2 the output pipes, and ls holds /proc/<pid>/fd while it lists it.
    expectEach(
      fds.filter((f) => f.fd > 2),
      (f) => /^\/proc\/\d+\/fd$/.test(f.target) || (baseline.has(f.target) && !f.target.startsWith(aDir)),
      (f) => `fd ${f.fd} -> ${f.target} leaked into the task`,
    );
  });
});

describe('stateDir is private: files 0600, folders 0700', () => {
  const checkModes = (stateDir: string) =>
    expectEach(
      walk(stateDir),
      (e) => e.mode === (e.dir ? 0o700 : 0o600),
      (e) => `${relative(stateDir, e.path) || '.'} is ${e.mode.toString(8)}`,
    );

  it('after runs, under umask 000 (agent A)', async () => {
    const token = signHs(claims(), aSecret);
    for (let i = 0; i < 3; i++) expect((await run(a, token, 'echo')).status).toBe(200);
    const names = readdirSync(join(aDir, 'state'));
    expect(names).toEqual(expect.arrayContaining(['jwt.secret', 'runs.db', 'runs.db-wal', 'runs.db-shm']));
    checkModes(join(aDir, 'state'));
  });

  it('after runs, with the log file inside stateDir (agent B)', async () => {
    const token = signHs(claims(), bSecret);
    for (let i = 0; i < 3; i++) expect((await run(b, token, 'echo')).status).toBe(200);
    expect(readdirSync(join(bDir, 'state'))).toEqual(expect.arrayContaining(['agent.log', 'runs.db']));
    checkModes(join(bDir, 'state'));
  });
});

describe('logs and run records hold no token and no secret', () => {
  /** Every credential sent, good or bad, in a header, the query string or a cookie. */
  const sent: { name: string; token: string }[] = [];
  const replies: Reply[] = [];

  async function sendAll(agent: ServedAgent, secret: string): Promise<void> {
    const good = () => signHs(claims(), secret);
    const keep = (name: string, token: string) => (sent.push({ name, token }), token);
    const cases: [string, () => Promise<Reply>][] = [
      ['a good token', async () => run(agent, keep('good token', good()), 'echo')],
      [
        'a good token, then its run read back',
        async () => {
          const token = keep('good token (read)', good());
          const started = await send(agent.url, {
            path: '/v1/runs?wait=0',
            headers: { ...JSON_TYPE, ...bearer(token) },
            body: JSON.stringify({ task: 'echo', args: {} }),
          });
          const id = (started.body as { id: string }).id;
          await send(agent.url, { method: 'GET', path: `/v1/runs/${id}/events`, headers: bearer(token) });
          return send(agent.url, { method: 'GET', path: `/v1/runs/${id}`, headers: bearer(token) });
        },
      ],
      [
        'an expired token',
        async () =>
          run(
            agent,
            keep('expired', signHs(claims({ iat: nowSec() - 99, exp: nowSec() - 60 }), secret)),
            'echo',
          ),
      ],
      [
        'a wrong signature',
        async () => {
          const token = good();
          return run(agent, keep('wrong signature', `${token.slice(0, -6)}AAAAAA`), 'echo');
        },
      ],
      [
        'alg none',
        async () => {
          const payload = good().split('.')[1];
          const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
          return run(agent, keep('alg none', none), 'echo');
        },
      ],
      [
        'a token for another key',
        async () => run(agent, keep('other key', signHs(claims(), randomBytes(48))), 'echo'),
      ],
      [
        'a scope that does not grant',
        async () => run(agent, keep('narrow scope', signHs(claims({ scope: 'slow' }), secret)), 'echo'),
      ],
      [
        'a huge junk token',
        async () => run(agent, keep('junk', randomBytes(6000).toString('base64url')), 'echo'),
      ],
      [
        'a good token in ?token= only',
        async () => {
          const token = keep('query token', good());
          return send(agent.url, {
            path: `/v1/runs?token=${token}`,
            headers: JSON_TYPE,
            body: '{"task":"echo"}',
          });
        },
      ],
      [
        'a good token in ?access_token= beside a good header',
        async () => {
          const token = keep('query access_token', good());
          return send(agent.url, {
            method: 'GET',
            path: `/v1/runs?access_token=${token}&limit=1`,
            headers: bearer(keep('header beside query', good())),
          });
        },
      ],
      [
        'a good token in X-Access-Token',
        async () =>
          send(agent.url, {
            headers: { ...JSON_TYPE, 'x-access-token': keep('x-access-token', good()) },
            body: '{"task":"echo"}',
          }),
      ],
      [
        'a good token in a cookie',
        async () =>
          send(agent.url, {
            headers: { ...JSON_TYPE, cookie: `token=${keep('cookie', good())}` },
            body: '{"task":"echo"}',
          }),
      ],
      [
        'Basic credentials',
        async () => {
          const basic = Buffer.from(
            `battery:${keep('basic password', `pw-${randomBytes(9).toString('hex')}`)}`,
          );
          return send(agent.url, {
            headers: {
              ...JSON_TYPE,
              authorization: `Basic ${keep('basic header', basic.toString('base64'))}`,
            },
            body: '{"task":"echo"}',
          });
        },
      ],
      [
        'a good token on /metrics',
        async () =>
          send(agent.url, {
            method: 'GET',
            path: '/metrics',
            headers: bearer(keep('metrics token', good())),
          }),
      ],
      [
        'a bad token on /metrics',
        async () =>
          send(agent.url, {
            method: 'GET',
            path: `/metrics?token=${keep('metrics query', good())}`,
            headers: bearer(keep('metrics bad token', `${good()}x`)),
          }),
      ],
    ];
    for (const [, attempt] of cases) replies.push(await attempt());
  }

  let argToken: string;
  let argPassword: string;
  beforeAll(async () => {
    await sendAll(a, aSecret);
    await sendAll(b, bSecret);
    argToken = signHs(claims(), aSecret);
    argPassword = `hunter2-${nonce}`;
    const reply = await run(a, signHs(claims(), aSecret), 'login', {
      token: argToken,
      password: argPassword,
    });
    expect(reply.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // let the log lines of the last requests flush
  });

  it('sent good and bad credentials in every place (control)', () => {
    expect(replies.map((r) => r.status)).toEqual(expect.arrayContaining([200, 401, 403]));
    expect(a.logs()).toContain('"audit":true');
    expect(a.logs()).toContain('"message":"request"');
  });

  it('agent A logs (stdout) hold no token, no JWT secret and no secret variable', () => {
    const logs = a.logs();
    const needles = [
      ...sent.map((s) => [s.name, s.token]),
      ['the JWT secret', aSecret],
      ...Object.entries(AGENT_SECRETS),
    ];
    expectEach(
      needles,
      ([, v]) => !logs.includes(v),
      ([k]) => `${k} is in the log`,
    );
  });

  it('agent B log file and stdout hold no token and no JWT secret', () => {
    const logs = readFileSync(join(bDir, 'state/agent.log'), 'utf8') + b.logs();
    expect(logs).toContain('"audit":true');
    const needles = [...sent.map((s) => [s.name, s.token]), ['the JWT secret', bSecret]];
    expectEach(
      needles,
      ([, v]) => !logs.includes(v),
      ([k]) => `${k} is in the log`,
    );
  });

  it('run records (runs.db and its WAL) hold no credential token and no JWT secret', () => {
    const files = ['runs.db', 'runs.db-wal'].flatMap((f) =>
      [aDir, bDir].map((d) => readFileSync(join(d, 'state', f)).toString('latin1')),
    );
    const needles = [
      ...sent.map((s) => [s.name, s.token]),
      ['JWT secret A', aSecret],
      ['JWT secret B', bSecret],
    ];
    expectEach(
      needles,
      ([, v]) => files.every((f) => !f.includes(v)),
      ([k]) => `${k} is in a run record`,
    );
  });

  it('the audit line redacts args named like secrets (token, password)', () => {
    const logs = a.logs();
    expect(logs).toMatch(/"task":"login"/);
    expectEach(
      [
        ['the token arg', argToken],
        ['the password arg', argPassword],
      ],
      ([, v]) => !logs.includes(v),
      ([k]) => `${k} is in the log`,
    );
  });
});

describe('the agent refuses to start on a weak secret or a config others can write', () => {
  interface StartCase {
    label: string;
    /** Prepares the config folder and file. */
    prepare: (dir: string, file: string) => void;
    overrides?: Record<string, unknown>;
    message: RegExp;
  }
  const writeSecret = (dir: string, bytes: Buffer | string, mode = 0o600) => {
    mkdirSync(join(dir, 'state'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'state/jwt.secret'), bytes, { mode });
    chmodSync(join(dir, 'state/jwt.secret'), mode);
  };
  const hsAuth = (algorithm: string) => ({
    auth: { algorithms: [algorithm], secretFile: './state/jwt.secret', issuer: 'probe', audience: 'probe' },
  });
  const CASES: StartCase[] = [
    {
      label: 'an HS secret of 31 bytes',
      prepare: (d) => writeSecret(d, 'x'.repeat(31)),
      message: /auth\.secretFile: .* holds 31 bytes; an HMAC secret needs at least 32/,
    },
    {
      label: 'an HS secret of 31 bytes and a newline',
      prepare: (d) => writeSecret(d, `${'x'.repeat(31)}\n`),
      message: /auth\.secretFile: .* holds 31 bytes; an HMAC secret needs at least 32/,
    },
    {
      label: 'an empty HS secret file',
      prepare: (d) => writeSecret(d, ''),
      message: /auth\.secretFile: .* holds 0 bytes/,
    },
    {
      label: 'an HS secret readable by others (0644)',
      prepare: (d) => writeSecret(d, randomBytes(48).toString('base64url'), 0o644),
      message: /auth\.secretFile: .* must not be readable by group or others/,
    },
    {
      label: 'an HS secret readable by group (0640)',
      prepare: (d) => writeSecret(d, randomBytes(48).toString('base64url'), 0o640),
      message: /auth\.secretFile: .* must not be readable by group or others/,
    },
    // RFC 7518 §3.2: an HMAC key MUST be at least as long as the hash output.
    {
      label: 'an HS384 secret of 40 bytes (under the 48 the hash needs)',
      overrides: hsAuth('HS384'),
      prepare: (d) => writeSecret(d, 'x'.repeat(40)),
      message: /auth\.secretFile: .* holds 40 bytes; an HMAC secret needs at least 48/,
    },
    {
      label: 'an HS512 secret of 40 bytes (under the 64 the hash needs)',
      overrides: hsAuth('HS512'),
      prepare: (d) => writeSecret(d, 'x'.repeat(40)),
      message: /auth\.secretFile: .* holds 40 bytes; an HMAC secret needs at least 64/,
    },
    {
      label: 'a config file writable by everyone (0666)',
      prepare: (_d, f) => chmodSync(f, 0o666),
      message: /config file .* is writable by group or others \(mode 666\)/,
    },
    {
      label: 'a config file writable by group (0664)',
      prepare: (_d, f) => chmodSync(f, 0o664),
      message: /config file .* is writable by group or others \(mode 664\)/,
    },
    {
      label: 'a config file writable by others (0646)',
      prepare: (_d, f) => chmodSync(f, 0o646),
      message: /config file .* is writable by group or others \(mode 646\)/,
    },
  ];

  it('starts with a 32-byte secret and a 0644 config (control)', async () => {
    const port = await freePort();
    const { dir, file } = configure({ server: { host: '127.0.0.1', port } });
    writeSecret(dir, 'x'.repeat(32));
    const agent = await serveAgent({ args: ['--config', file] });
    started.push(agent);
    expect(await listening(port)).toBe(true);
    await agent.stop();
  });

  it.each(CASES)('refuses $label: exit 78, the message names it, nothing listens', async (c) => {
    const port = await freePort();
    const { dir, file } = configure({ server: { host: '127.0.0.1', port }, ...c.overrides });
    c.prepare(dir, file);
    const res = await serveRefused({ args: ['--config', file] });
    const ok =
      res.code === 78 && !res.listened && c.message.test(res.stderr) && !res.stdout.includes('"listening"');
    tally.count(ok && !(await listening(port)));
    expect({ code: res.code, listened: res.listened }).toEqual({ code: 78, listened: false });
    expect(res.stderr).toMatch(c.message);
    expect(await listening(port)).toBe(false);
  });
});

describe('the log file', () => {
  it('keeps the audit lines of earlier runs across a restart', async () => {
    const logFile = join(bDir, 'state/agent.log');
    const reply = await run(b, signHs(claims(), bSecret), 'echo');
    const id = events(reply)[0].id as string;
    await b.stop();
    expect(readFileSync(logFile, 'utf8')).toContain(id);
    b = await serveAgent({ args: ['--config', bFile] });
    started.push(b);
    // The new agent has opened its log file once its own start line is in it.
    const deadline = Date.now() + 5000;
    while (!readFileSync(logFile, 'utf8').includes(b.url) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readFileSync(logFile, 'utf8')).toContain(b.url);
    expect(readFileSync(logFile, 'utf8')).toContain(id);
  });
});
