import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startProcess } from '../../../agent/runs/process.js';

const base = {
  argv: [],
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  timeoutMs: 10_000,
  killGraceMs: 500,
};

/** Runs a command through the spawner and collects its lines, pid and exit. */
async function run(command: string[], options: Partial<typeof base> = {}, cancelAt?: 'start' | number) {
  const lines: string[] = [];
  let pid: number | undefined;
  const handle = startProcess(
    { ...base, ...options, command },
    (stream, text) => lines.push(`${stream}:${text}`),
    (p) => (pid = p),
  );
  if (cancelAt === 'start') handle.cancel();
  else if (cancelAt !== undefined) setTimeout(() => handle.cancel(), cancelAt);
  const exit = await handle.done;
  return { lines, pid, exit };
}

/** The pids of this process's helper children named like the spawner. */
function spawnerPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        return (
          Number(stat.split(') ')[1].split(' ')[1]) === process.pid &&
          /probe-spawner|SPAWNER|-e/.test(cmdline)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('tasks started through the spawner helper', () => {
  it('relays output lines, the pid and the exit code', async () => {
    const { lines, pid, exit } = await run([
      process.execPath,
      '-e',
      'console.log("a"); console.error("b"); process.exit(3)',
    ]);
    expect(lines.sort()).toEqual(['stderr:b', 'stdout:a']);
    expect(pid).toBeGreaterThan(0);
    expect(exit).toMatchObject({ exitCode: 3, signal: null, reason: 'exit' });
  });

  it('reports a command that cannot start', async () => {
    const { exit } = await run(['/nonexistent/command']);
    expect(exit.reason).toBe('spawn_error');
    expect(exit.error).toMatch(/ENOENT/);
  });

  it('applies a cancel sent before the pid is known', async () => {
    const { exit } = await run([process.execPath, '-e', 'setInterval(() => {}, 1000)'], {}, 'start');
    expect(exit.reason).toBe('cancel');
    expect(exit.signal).toBe('SIGTERM');
  });

  it('ends what a task left running in its process group', async () => {
    const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); c.unref(); console.log(c.pid);`;
    const { lines } = await run([process.execPath, '-e', script]);
    const orphan = Number(lines[0].split(':')[1]);
    await new Promise((r) => setTimeout(r, 300));
    const state = (() => {
      try {
        return readFileSync(`/proc/${orphan}/stat`, 'utf8').split(') ')[1][0];
      } catch {
        return 'gone';
      }
    })();
    expect(['gone', 'Z']).toContain(state); // a zombie waits for init to reap it
  });

  it('ends a running task with a clear line when the helper goes away, and starts a new helper after', async () => {
    const pending = run([process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 1000)']);
    await new Promise((r) => setTimeout(r, 500));
    const helpers = spawnerPids();
    expect(helpers.length).toBeGreaterThan(0);
    helpers.forEach((p) => process.kill(p, 'SIGKILL'));
    const { lines } = await pending;
    expect(lines).toContain('stderr:probe: the process spawner stopped; the task was ended');
    expect((await run([process.execPath, '-e', 'console.log("again")'])).lines).toEqual(['stdout:again']);
  });
});
