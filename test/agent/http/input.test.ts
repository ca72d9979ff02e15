import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../helpers/agent.js';

let agent: TestAgent;
let token: string;
beforeAll(async () => {
  agent = await startTestAgent({ server: { host: '127.0.0.1', port: 0, bodyLimit: '1kb' } });
  token = agent.token('*');
});
afterAll(() => agent.stop());

const post = (body: unknown) =>
  request(agent.url)
    .post('/v1/runs')
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', 'application/json')
    .send(typeof body === 'string' ? body : JSON.stringify(body));

describe('bad input is refused and nothing runs', () => {
  it.each([
    ['an unknown task', { task: 'nope' }, 404, 'not_found', /no task "nope"/],
    ['a path-like task name', { task: '../echo' }, 404, 'not_found', /no task/],
    ['an encoded path task name', { task: '%2e%2e' }, 404, 'not_found', /no task/],
    ['a prototype key as task name', { task: '__proto__' }, 404, 'not_found', /no task/],
    ['an unknown arg', { task: 'echo', args: { nope: 1 } }, 400, 'bad_request', /unknown arg "nope"/],
    ['a wrong type', { task: 'echo', args: { code: 'x' } }, 400, 'bad_request', /code must be an integer/],
    ['a bound', { task: 'echo', args: { code: 300 } }, 400, 'bad_request', /code must be <= 255/],
    ['a non-integer', { task: 'echo', args: { code: 1.5 } }, 400, 'bad_request', /code must be an integer/],
    [
      'a control character',
      { task: 'echo', args: { name: 'a\nb' } },
      400,
      'bad_request',
      /control character/,
    ],
    ['a NUL', { task: 'echo', args: { name: 'a\u0000b' } }, 400, 'bad_request', /control character/],
    ['a bad tenant id', { task: 'echo', args: { id: 'a/../b' } }, 400, 'bad_request', /invalid tenant id/],
    [
      'args that are not an object',
      { task: 'echo', args: [1] },
      400,
      'bad_request',
      /args must be a JSON object/,
    ],
    ['an extra field', { task: 'echo', extra: 1 }, 400, 'bad_request', /unknown field "extra"/],
    ['a task that is not a string', { task: 5 }, 400, 'bad_request', /task must be a string/],
  ])('refuses %s', async (_name, body, status, code, message) => {
    const before = agent.ctx.manager.spawned;
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toMatch(message);
    expect(agent.ctx.manager.spawned).toBe(before);
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await post('{"task": "echo",');
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'bad_request', message: 'the body is not valid JSON' });
  });

  it('refuses an oversize body with 413', async () => {
    const res = await post({ task: 'echo', args: { name: 'x'.repeat(2000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await request(agent.url)
      .post('/v1/runs')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'text/plain')
      .send('task=echo');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('answers unknown routes with the error shape and no stack', async () => {
    const res = await request(agent.url).get('/v1/../etc/passwd').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(404);
    expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message']);
    expect(res.text).not.toMatch(/at .*\.js:\d+/);
  });

  it('applies defaults', async () => {
    const res = await post({ task: 'echo', args: {} });
    expect(res.text).toContain('--count=2');
  });
});
