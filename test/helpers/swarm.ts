import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export const LAB_SCRIPT = path.resolve(import.meta.dirname, '../../scripts/host/swarm-lab.sh');
export const WORKERS = ['probe-w1', 'probe-w2'] as const;
export type Worker = (typeof WORKERS)[number];

const ENV: Record<string, string> = {
  PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`,
  HOME: process.env.HOME ?? '/root',
  LANG: 'C.UTF-8',
};

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function run(file: string, args: string[], timeoutMs: number): Promise<Run> {
  const started = Date.now();
  const r = await execa(file, args, { env: ENV, extendEnv: false, reject: false, timeout: timeoutMs });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** Runs `swarm-lab.sh <args>` to completion. */
export function lab(args: string[], timeoutMs = 170_000): Promise<Run> {
  return run('bash', [LAB_SCRIPT, ...args], timeoutMs);
}

/** docker against the host engine (the lab's manager); throws on failure. */
export async function docker(...args: string[]): Promise<string> {
  const r = await run('docker', args, 60_000);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

/** docker against worker `node`'s own engine. */
export function nodeDocker(node: Worker, ...args: string[]): Promise<string> {
  return docker('-H', `unix:///run/probe-lab/${node}.sock`, ...args);
}

/** Node hostname → status (`ready`, `down`, …) as the manager sees it. */
export async function nodeStates(): Promise<Record<string, string>> {
  const out = await docker('node', 'ls', '--format', '{{.Hostname}} {{.Status}}');
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string])
      .map(([host, status]) => [host, status.toLowerCase()]),
  );
}

/** Polls `probe` every `everyMs` until it returns a truthy value; resolves with it and the wait. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  timeoutMs: number,
  everyMs = 250,
): Promise<{ value: NonNullable<T>; ms: number }> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value) return { value: value as NonNullable<T>, ms: Date.now() - started };
      last = value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

/** Seconds in a script step line such as `in 2.3s`, all of them in order. */
export function secondsIn(output: string, pattern: RegExp): number[] {
  return [...output.matchAll(pattern)].map((m) => Number(m[1]));
}

/** Everything the lab could leave on the host; empty when it left nothing. */
export async function labLeftovers(): Promise<string[]> {
  const found: string[] = [];
  const sh = async (cmd: string, args: string[]) => (await run(cmd, args, 30_000)).stdout;
  const links = await sh('ip', ['-o', 'link', 'show']);
  if (/: probe-br0[:@v]/.test(links)) found.push('a probe-br0 link');
  const netns = await sh('ip', ['netns', 'list']);
  for (const n of WORKERS) if (netns.split('\n').some((l) => l.split(' ')[0] === n)) found.push(`netns ${n}`);
  if ((await sh('iptables', ['-S', 'DOCKER-USER'])).includes('probe-br0')) found.push('a DOCKER-USER rule');
  for (const dir of [
    '/var/lib/probe-lab',
    '/run/probe-lab',
    ...WORKERS.map((n) => `/var/log/probe-lab-${n}.log`),
  ])
    if (existsSync(dir)) found.push(dir);
  const swarm = await docker('info', '-f', '{{.Swarm.LocalNodeState}}');
  if (swarm !== 'inactive') found.push(`host swarm ${swarm}`);
  return found;
}

/** True when this machine can build the lab: root, a host engine, the demo images. */
export function labPossible(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('docker', ['image', 'inspect', 'probe/demo-shop:1', 'probe/demo-redis:1'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return true;
  } catch {
    return false;
  }
}
