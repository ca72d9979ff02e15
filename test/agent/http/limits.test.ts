import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../helpers/agent.js';

let agent: TestAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

const start = (a: TestAgent, body: object, token = a.token('*')) =>
  request(a.url).post('/v1/runs?wait=0').set('Authorization', `Bearer ${token}`).send(body);

describe('limits', () => {
  it('rate-limits per token subject with 429 and Retry-After', async () => {
    agent = await startTestAgent({ server: { host: '127.0.0.1', port: 0, rateLimit: { perMinute: 3 } } });
    const a = agent.token('*', 'shop-a');
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push((await request(agent.url).get('/v1/tasks').set('Authorization', `Bearer ${a}`)).status);
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await request(agent.url).get('/v1/tasks').set('Authorization', `Bearer ${a}`);
    expect(limited.body.error.code).toBe('too_many_requests');
    expect(limited.headers['retry-after']).toBeDefined();
    const b = agent.token('*', 'shop-b');
    expect((await request(agent.url).get('/v1/tasks').set('Authorization', `Bearer ${b}`)).status).toBe(200);
  });

  it('caps concurrent runs with 429 and Retry-After', async () => {
    agent = await startTestAgent({ server: { host: '127.0.0.1', port: 0, maxConcurrentRuns: 2 } });
    const body = { task: 'slow', args: { lines: 10, every: 100 } };
    expect((await start(agent, body)).status).toBe(202);
    expect((await start(agent, body)).status).toBe(202);
    const third = await start(agent, body);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('too_many_requests');
    expect(third.headers['retry-after']).toBe('1');
  });

  it('caps the output kept per run, with a marker where it was cut', async () => {
    agent = await startTestAgent({ runs: { maxOutputBytes: 100 } });
    const res = await request(agent.url)
      .post('/v1/runs')
      .set('Authorization', `Bearer ${agent.token('* runs:read')}`)
      .send({ task: 'slow', args: { lines: 20, every: 1 } });
    const id = res.headers.location.split('/').pop();
    expect(res.text.split('\n').filter((l) => l.includes('"line ')).length).toBe(20); // live: every line
    const rec = await request(agent.url)
      .get(`/v1/runs/${id}`)
      .set('Authorization', `Bearer ${agent.token('* runs:read')}`);
    expect(rec.body.outputTruncated).toBe(true);
    expect(rec.body.output).toContain('[probe: output truncated after 100 bytes');
    expect(rec.body.output.split('\n').length).toBeLessThan(10);
  });

  it('honours Last-Event-ID on the SSE events stream', async () => {
    agent = await startTestAgent();
    const token = agent.token('*');
    const run = await request(agent.url)
      .post('/v1/runs')
      .set('Authorization', `Bearer ${token}`)
      .send({ task: 'slow', args: { lines: 2, every: 1 } });
    const id = run.headers.location.split('/').pop();
    const res = await request(agent.url)
      .get(`/v1/runs/${id}/events`)
      .set('Authorization', `Bearer ${token}`)
      .set('Accept', 'text/event-stream')
      .set('Last-Event-ID', '2');
    expect(res.text.startsWith('id: 3\nevent: result\n')).toBe(true);
  });

  it('logs one line per request and an audit line per run, and never a token', async () => {
    agent = await startTestAgent();
    const token = agent.token('*', 'auditor');
    await request(agent.url)
      .post('/v1/runs')
      .set('Authorization', `Bearer ${token}`)
      .send({ task: 'echo', args: { name: 'x' } });
    await request(agent.url).get('/v1/tasks').set('Authorization', `Bearer ${token}x`);
    await new Promise((r) => setTimeout(r, 50));
    const lines = agent.logs.map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'request',
        method: 'POST',
        path: '/v1/runs',
        status: 200,
        sub: 'auditor',
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'request', path: '/v1/tasks', status: 401 }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        audit: true,
        sub: 'auditor',
        task: 'echo',
        args: { name: 'x', count: 2 },
        status: 'succeeded',
        exitCode: 0,
      }),
    );
    const all = agent.logs.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[2]);
  });
});
