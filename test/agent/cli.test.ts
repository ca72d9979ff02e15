import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../helpers/agent.js';
import { probe } from '../helpers/cli.js';

let agent: TestAgent;
let file: string;
beforeAll(async () => {
  agent = await startTestAgent();
  file = agent.config.file;
});
afterAll(() => agent.stop());

describe('probe CLI', () => {
  it('prints one token and nothing else, then runs a task with it against a live agent', async () => {
    const minted = await probe([
      'token',
      '--config',
      file,
      '--sub',
      'admin',
      '--scope',
      'echo slow',
      '--ttl',
      '5m',
    ]);
    expect(minted.code).toBe(0);
    expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const ran = await probe([
      'run',
      'echo',
      'name=hello world',
      'code=3',
      '--url',
      agent.url,
      '--token',
      minted.stdout.trim(),
    ]);
    expect(ran.stdout).toContain('echo: started');
    expect(ran.stderr).toContain('echo: to stderr');
    expect(ran.stdout).toContain('"--name=hello world"');
    expect(ran.stderr).toMatch(/run [0-9a-f-]+ failed \(exit code 3\)/);
    expect(ran.code).toBe(3);
  });

  it('mints a short token from the local config when none is given', async () => {
    const ran = await probe(['run', 'slow', 'lines=2', 'every=10', '--config', file, '--url', agent.url]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/line 1 at \d+\nline 2 at \d+\n/);
  });

  it('refuses a ttl over maxTtl', async () => {
    const res = await probe(['token', '--config', file, '--sub', 'a', '--scope', '*', '--ttl', '2h']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('longer than auth.maxTtl');
    expect(res.stdout).toBe('');
  });

  it('reports a typed API error', async () => {
    const res = await probe(['run', 'echo', 'code=x', '--config', file, '--url', agent.url]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('code must be a number');
    const bad = await probe(['run', 'echo', 'nope=1', '--config', file, '--url', agent.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad_request: unknown arg "nope"');
  });

  it('lists tasks and runs, and shows one run', async () => {
    const tasks = await probe(['tasks', '--config', file]);
    expect(tasks.stdout).toContain('probe run echo');
    const runs = await probe(['runs', '--config', file, '--url', agent.url, '--json']);
    const list = JSON.parse(runs.stdout) as { id: string; task: string }[];
    expect(list.length).toBeGreaterThan(0);
    const one = await probe(['runs', list[0].id, '--config', file, '--url', agent.url]);
    expect(one.stdout).toContain('--- output ---');
  });

  it('has --help on every command and a config error names the key', async () => {
    for (const cmd of ['serve', 'token', 'run', 'tasks', 'runs']) {
      const res = await probe([cmd, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(`probe ${cmd}`);
    }
    const res = await probe(['tasks', '--config', '/nonexistent.yaml']);
    expect(res.code).toBe(78);
    expect(res.stderr).toContain('config file not found');
  });
});
