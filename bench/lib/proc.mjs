// Process helpers shared by the benchmarks: tools on PATH, free ports, servers that
// are started and stopped by pid, and spawn timings.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The variables the agent hands a task (PATH, HOME, LANG, TZ): the clean environment. */
export function cleanEnv() {
  /** @type {Record<string, string>} */
  const env = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TZ']) if (process.env[k]) env[k] = process.env[k];
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return env;
}

/** The absolute path of an executable on PATH, or undefined. */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Fails loudly, naming the install command, when a tool is missing. */
export function requireTool(name, install) {
  const file = which(name);
  if (!file) throw new Error(`${name} is not installed; install it with: ${install}`);
  return file;
}

/** A loopback port nobody listens on right now. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}

/** Polls a URL until it answers at all (any status), within timeoutMs. */
export async function waitHttp(url, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms: ${err}`);
      await sleep(50);
    }
  }
}

/**
 * Starts a long-running server process with its output in logFile (or discarded).
 * stop() sends SIGTERM to that pid only, then SIGKILL after 3 s.
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, logFile?: string, cwd?: string }} [options]
 */
export function startServer(command, args, options = {}) {
  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', out, out],
  });
  if (typeof out === 'number') closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let failed;
  child.once('error', (err) => (failed = err));
  return {
    pid: child.pid,
    command: [command, ...args],
    exited,
    /** Throws when the process is gone already (it could not start). */
    check() {
      if (failed) throw new Error(`${command} could not start: ${failed.message}`);
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${command} exited early (${child.exitCode ?? child.signalCode})`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || failed) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Spawns a command, times spawn → first output line (stdout or stderr) and spawn → exit.
 * @returns {Promise<{ firstLineMs: number | undefined, exitMs: number, code: number | null, first: string }>}
 */
export function timeSpawn(command, args, env, timeoutMs = 20_000, cwd = undefined) {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstLineMs;
    let text = '';
    const onData = (chunk) => {
      if (firstLineMs !== undefined) return;
      text += chunk.toString();
      if (text.includes('\n')) firstLineMs = performance.now() - began;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ firstLineMs, exitMs: performance.now() - began, code, first: text.split('\n')[0] });
    });
  });
}

/** Runs a command to its end and returns its stdout; throws with stderr on a non-zero exit. */
export function capture(command, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${[command, ...args].join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

let clockTicks;

/**
 * CPU ms used so far by pid and each of its live descendants, by pid. Take two and
 * pass them to cpuBetween: short-lived tasks, alive in only one, do not count.
 */
export function treeCpuMs(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stats = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      /* gone meanwhile */
    }
  }
  const out = new Map();
  for (const queue = [pid]; queue.length;) {
    const p = queue.pop();
    out.set(p, ((stats.get(p)?.ticks ?? 0) * 1000) / clockTicks);
    for (const [child, s] of stats) if (s.ppid === p) queue.push(child);
  }
  return out;
}

/** The CPU ms spent between two treeCpuMs snapshots by the processes present in both. */
export function cpuBetween(before, after) {
  let ms = 0;
  for (const [pid, t] of after) if (before.has(pid)) ms += t - before.get(pid);
  return ms;
}
