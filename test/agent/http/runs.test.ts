import http from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../helpers/agent.js';

let agent: TestAgent;
let all: string;

beforeAll(async () => {
  agent = await startTestAgent();
  all = agent.token('* runs:read');
});
afterAll(() => agent.stop());

const post = (body: unknown, token = all) =>
  request(agent.url)
    .post('/v1/runs')
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);

/** Parses an ndjson body into events. */
const events = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });

describe('POST /v1/runs', () => {
  it('streams run, output, result and end events as ndjson with a Location', async () => {
    const res = await post({ task: 'echo', args: { name: 'x' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const evs = events(res.text);
    expect(evs[0].type).toBe('run');
    expect(evs.map((e) => e.type).sort()).toEqual(['end', 'output', 'output', 'result', 'run']);
    expect(res.headers.location).toBe(`/v1/runs/${evs[0].id}`);
    expect(evs).toContainEqual(expect.objectContaining({ stream: 'stdout', text: 'echo: started' }));
    expect(evs).toContainEqual(expect.objectContaining({ stream: 'stderr', text: 'echo: to stderr' }));
    expect(evs.at(-1)).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(evs.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it('passes args as --name=value argv and PROBE_ARG_ env, literally and without a shell', async () => {
    const evil = '$(touch /tmp/probe-pwned); rm -rf / `id` | cat > x';
    const res = await post({ task: 'echo', args: { name: evil, loud: true } });
    const result = events(res.text).find((e) => e.type === 'result')!.data as {
      argv: string[];
      env: Record<string, string>;
    };
    expect(result.argv).toEqual([`--name=${evil}`, '--count=2', '--loud=true']);
    expect(result.env.PROBE_ARG_NAME).toBe(evil);
    expect(result.env.PROBE_ARG_LOUD).toBe('true');
  });

  it('gives the child an allowlisted environment only', async () => {
    process.env.PROBE_SECRET_CANARY = 'leak-me';
    const res = await post({ task: 'echo', args: {} });
    delete process.env.PROBE_SECRET_CANARY;
    const { env } = events(res.text).find((e) => e.type === 'result')!.data as {
      env: Record<string, string>;
    };
    const keys = Object.keys(env).filter((k) => k !== 'LC_CTYPE'); // glibc may add none; Node adds none
    expect(keys.sort()).toEqual(
      [
        'GREETING',
        'PATH',
        'PROBE_ARG_COUNT',
        'PROBE_RUN_ID',
        ...['HOME', 'LANG', 'TZ'].filter((k) => process.env[k]),
      ].sort(),
    );
  });

  it('ends failed with the exit code', async () => {
    const evs = events((await post({ task: 'echo', args: { code: 7 } })).text);
    expect(evs.at(-1)).toMatchObject({ type: 'end', status: 'failed', exitCode: 7 });
  });

  it('answers 202 with the id at once with ?wait=0', async () => {
    const res = await request(agent.url)
      .post('/v1/runs?wait=0')
      .set('Authorization', `Bearer ${all}`)
      .send({ task: 'slow', args: { lines: 2, every: 50 } });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v1/runs/${res.body.id}`);
  });

  it('sends SSE and plain text when asked', async () => {
    const sse = await post({ task: 'echo', args: {} }).set('Accept', 'text/event-stream');
    expect(sse.headers['content-type']).toContain('text/event-stream');
    expect(sse.text).toMatch(/^id: 0\nevent: run\ndata: \{/);
    expect(sse.text).toContain('event: end\n');
    const plain = await post({ task: 'echo', args: {} }).set('Accept', 'text/plain');
    expect(plain.headers['content-type']).toContain('text/plain');
    expect(plain.text.split('\n').sort()).toEqual(['', 'echo: started', 'echo: to stderr']);
  });

  it('streams the first line while the script still runs', async () => {
    const firstAt = await new Promise<{ first: number; end: number }>((resolve, reject) => {
      const url = new URL('/v1/runs', agent.url);
      const req = http.request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${all}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        let first = 0;
        res.on('data', (chunk: Buffer) => {
          if (!first && chunk.toString().includes('"line 1 at')) first = Date.now();
        });
        res.on('end', () => resolve({ first, end: Date.now() }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ task: 'slow', args: { lines: 5, every: 200 } }));
    });
    expect(firstAt.first).toBeGreaterThan(0);
    expect(firstAt.end - firstAt.first).toBeGreaterThan(600);
  });
});

describe('runs', () => {
  it('keeps running after the client disconnects, and the record has the whole output', async () => {
    const id = await new Promise<string>((resolve, reject) => {
      const req = http.request(new URL('/v1/runs', agent.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${all}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy();
          resolve(res.headers.location!.split('/').pop()!);
        });
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ task: 'slow', args: { lines: 4, every: 100 } }));
      setTimeout(() => reject(new Error('no response')), 5000);
    });
    await new Promise((r) => setTimeout(r, 900));
    const rec = await request(agent.url).get(`/v1/runs/${id}`).set('Authorization', `Bearer ${all}`);
    expect(rec.body).toMatchObject({
      id,
      task: 'slow',
      status: 'succeeded',
      exitCode: 0,
      sub: 'tester',
      result: { lines: 4 },
    });
    expect(rec.body.output.split('\n')).toHaveLength(4);
  });

  it('replays events after a seq and follows a live run to its end', async () => {
    const start = await request(agent.url)
      .post('/v1/runs?wait=0')
      .set('Authorization', `Bearer ${all}`)
      .send({ task: 'slow', args: { lines: 3, every: 150 } });
    const res = await request(agent.url)
      .get(`/v1/runs/${start.body.id}/events?after=1`)
      .set('Authorization', `Bearer ${all}`);
    const evs = events(res.text);
    expect(evs[0].seq).toBe(2);
    expect(evs.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
    const again = await request(agent.url)
      .get(`/v1/runs/${start.body.id}/events?after=0`)
      .set('Authorization', `Bearer ${all}`);
    expect(events(again.text).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('cancels a run: SIGTERM, then SIGKILL after the grace period', async () => {
    const start = await request(agent.url)
      .post('/v1/runs?wait=0')
      .set('Authorization', `Bearer ${all}`)
      .send({ task: 'slow', args: { lines: 100, every: 100 } });
    const del = await request(agent.url)
      .delete(`/v1/runs/${start.body.id}`)
      .set('Authorization', `Bearer ${all}`);
    expect(del.status).toBe(202);
    const res = await request(agent.url)
      .get(`/v1/runs/${start.body.id}/events`)
      .set('Authorization', `Bearer ${all}`);
    expect(events(res.text).at(-1)).toMatchObject({ type: 'end', status: 'canceled' });
  });

  it('times out a run that ignores SIGTERM and kills its process group', async () => {
    const res = await post({ task: 'stubborn' });
    const evs = events(res.text);
    expect(evs.at(-1)).toMatchObject({ type: 'end', status: 'timed_out' });
    const pid = Number(/pid (\d+)/.exec(evs.find((e) => e.type === 'output')!.text as string)![1]);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('refuses a second run holding the same lock with 409 naming the holder', async () => {
    const first = await request(agent.url)
      .post('/v1/runs?wait=0')
      .set('Authorization', `Bearer ${all}`)
      .send({ task: 'locked', args: { key: 'k1' } });
    const second = await post({ task: 'locked', args: { key: 'k1' } });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'locked', runId: first.body.id });
    expect(second.body.error.message).toContain(first.body.id);
    const other = await request(agent.url)
      .post('/v1/runs?wait=0')
      .set('Authorization', `Bearer ${all}`)
      .send({ task: 'locked', args: { key: 'k2', lines: 1 } });
    expect(other.status).toBe(202);
  });

  it('lists runs with filters', async () => {
    const res = await request(agent.url)
      .get('/v1/runs?task=echo&status=failed&limit=5')
      .set('Authorization', `Bearer ${all}`);
    expect(res.status).toBe(200);
    expect(res.body.runs.length).toBeGreaterThan(0);
    expect(
      res.body.runs.every(
        (r: { task: string; status: string }) => r.task === 'echo' && r.status === 'failed',
      ),
    ).toBe(true);
    const bad = await request(agent.url).get('/v1/runs?status=nope').set('Authorization', `Bearer ${all}`);
    expect(bad.status).toBe(400);
  });

  it('shows a caller its own runs only, unless it has runs:read', async () => {
    const mine = agent.token('echo', 'shop-a');
    const theirs = agent.token('echo', 'shop-b');
    const run = await post({ task: 'echo', args: {} }, mine);
    const id = events(run.text)[0].id as string;
    expect(
      (await request(agent.url).get(`/v1/runs/${id}`).set('Authorization', `Bearer ${mine}`)).status,
    ).toBe(200);
    const other = await request(agent.url).get(`/v1/runs/${id}`).set('Authorization', `Bearer ${theirs}`);
    expect(other.status).toBe(403);
    const list = await request(agent.url).get('/v1/runs').set('Authorization', `Bearer ${theirs}`);
    expect(list.body.runs.every((r: { sub: string }) => r.sub === 'shop-b')).toBe(true);
  });

  it('answers 404 for an unknown run id', async () => {
    const res = await request(agent.url).get('/v1/runs/nope').set('Authorization', `Bearer ${all}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
