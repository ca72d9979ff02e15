import { spawn } from 'node:child_process';
import { LineSplitter } from './lines.js';

export interface ProcessSpec {
  command: readonly string[];
  argv: readonly string[];
  env: Record<string, string>;
  timeoutMs: number;
  killGraceMs: number;
}

export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  reason: 'exit' | 'timeout' | 'cancel' | 'spawn_error';
  error?: string;
}

export interface ProcessHandle {
  pid: number | undefined;
  /** SIGTERM to the process group, then SIGKILL after the grace period. */
  cancel(): void;
  done: Promise<ProcessExit>;
}

/** After the leader exits, its pipes may stay open through a left-behind grandchild. */
const PIPE_DRAIN_MS = 2000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Starts a task process in its own process group, without a shell, and hands each
 * output line to onLine as it comes. A timeout or a cancel ends the whole group.
 */
export function startProcess(
  spec: ProcessSpec,
  onLine: (stream: 'stdout' | 'stderr', text: string) => void,
): ProcessHandle {
  const child = spawn(spec.command[0], [...spec.command.slice(1), ...spec.argv], {
    env: spec.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let reason: ProcessExit['reason'] = 'exit';
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancel') => {
    if (reason !== 'exit' || child.exitCode !== null || child.signalCode !== null) return;
    reason = why;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), spec.killGraceMs);
    killTimer.unref();
  };
  const timer = setTimeout(() => stop('timeout'), spec.timeoutMs);
  timer.unref();

  for (const name of ['stdout', 'stderr'] as const) {
    const splitter = new LineSplitter();
    const emit = (line: string) => onLine(name, line);
    child[name].on('data', (chunk: Buffer) => splitter.push(chunk, emit));
    child[name].on('end', () => splitter.end(emit));
  }

  const done = new Promise<ProcessExit>((resolve) => {
    let settled = false;
    const finish = (exit: ProcessExit) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve(exit);
    };
    child.on('error', (err) =>
      finish({ exitCode: null, signal: null, reason: 'spawn_error', error: err.message }),
    );
    child.on('exit', (exitCode, signal) => {
      const drain = setTimeout(() => {
        killGroup(child.pid, 'SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        finish({ exitCode, signal, reason });
      }, PIPE_DRAIN_MS);
      drain.unref();
      child.on('close', () => {
        clearTimeout(drain);
        // Whatever the task left running in its group (a docker-compose it started) ends with it.
        killGroup(child.pid, 'SIGKILL');
        finish({ exitCode, signal, reason });
      });
    });
  });

  return { pid: child.pid, cancel: () => stop('cancel'), done };
}
