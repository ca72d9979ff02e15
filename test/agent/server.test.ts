import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { loadKeys } from '../../agent/auth/keys.js';
import { signToken } from '../../agent/auth/token.js';
import { loadConfig } from '../../agent/config/load.js';
import { writeConfig } from '../helpers/agent.js';
import { serve } from '../helpers/cli.js';

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('agent restarts', () => {
  it('marks a run interrupted when the agent died during it, and ends its process group', async () => {
    const { file } = writeConfig();
    const config = loadConfig(file);
    const first = await serve(file);
    children.push(first.child);
    const token = signToken(config.auth, loadKeys(config.auth), { sub: 't', scope: '* runs:read' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const started = await fetch(`${first.url}/v1/runs?wait=0`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ task: 'slow', args: { lines: 200, every: 100 } }),
    });
    const { id } = (await started.json()) as { id: string };
    await new Promise((r) => setTimeout(r, 400));
    const live = (await (await fetch(`${first.url}/v1/runs/${id}`, { headers })).json()) as {
      status: string;
    };
    expect(live.status).toBe('running');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await serve(file);
    children.push(second.child);
    const after = (await (await fetch(`${second.url}/v1/runs/${id}`, { headers })).json()) as {
      status: string;
      output: string;
    };
    expect(after.status).toBe('interrupted');
    expect(after.output).toContain('line 1 at');
    expect(second.logs()).toContain('runs interrupted by the previous stop');
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });

  it('stops cleanly on SIGTERM: live runs end as interrupted, none stays running', async () => {
    const { file } = writeConfig();
    const config = loadConfig(file);
    const agent = await serve(file);
    children.push(agent.child);
    const token = signToken(config.auth, loadKeys(config.auth), { sub: 't', scope: '*' });
    const res = await fetch(`${agent.url}/v1/runs?wait=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'slow', args: { lines: 200, every: 100 } }),
    });
    const { id } = (await res.json()) as { id: string };
    await new Promise((r) => setTimeout(r, 300));
    agent.child.kill('SIGTERM');
    const code = await new Promise((r) => agent.child.once('exit', r));
    expect(code).toBe(0);
    expect(agent.logs()).toMatch(new RegExp(`"runId":"${id}".*"status":"interrupted"`));
    const again = await serve(file);
    children.push(again.child);
    expect(again.logs()).not.toContain('runs interrupted by the previous stop');
    again.child.kill('SIGTERM');
    await new Promise((r) => again.child.once('exit', r));
  });
});
