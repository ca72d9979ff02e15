import { LineSplitter } from './lines.js';
import { Spawner } from './spawner.js';

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
  /** SIGTERM to the process group, then SIGKILL after the grace period. */
  cancel(): void;
  done: Promise<ProcessExit>;
}

/** After the leader exits, its pipes may stay open through a left-behind grandchild. */
const PIPE_DRAIN_MS = 2000;

/** One spawner per agent process (see spawner.ts). */
const spawner = new Spawner(PIPE_DRAIN_MS);

/** Starts the spawner's helper ahead of the first run. */
export function warmSpawner(): void {
  spawner.warm();
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Starts a task process in its own process group, without a shell, hands each output
 * line to onLine as it comes and the pid to onPid once the process runs. A timeout or a
 * cancel ends the whole group (as soon as the pid is known, if it comes first).
 */
export function startProcess(
  spec: ProcessSpec,
  onLine: (stream: 'stdout' | 'stderr', text: string) => void,
  onPid: (pid: number) => void = () => {},
): ProcessHandle {
  let pid: number | undefined;
  let exited = false;
  let reason: ProcessExit['reason'] = 'exit';
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = () => {
    killGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), spec.killGraceMs);
    killTimer.unref();
  };
  const stop = (why: 'timeout' | 'cancel') => {
    if (reason !== 'exit' || exited) return;
    reason = why;
    if (pid) signalGroup();
  };
  const timer = setTimeout(() => stop('timeout'), spec.timeoutMs);
  timer.unref();

  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  const done = new Promise<ProcessExit>((resolve) => {
    let status: Pick<ProcessExit, 'exitCode' | 'signal'> = { exitCode: null, signal: null };
    const finish = (exit: ProcessExit) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve(exit);
    };
    spawner.spawn([...spec.command, ...spec.argv], spec.env, {
      pid(p) {
        pid = p;
        onPid(p);
        if (reason !== 'exit') signalGroup();
      },
      output(stream, chunk) {
        splitters[stream].push(chunk, (line) => onLine(stream, line));
      },
      end(stream) {
        splitters[stream].end((line) => onLine(stream, line));
      },
      exit(exitCode, signal) {
        exited = true;
        status = { exitCode, signal };
      },
      close() {
        finish({ ...status, reason });
      },
      error(message, started) {
        if (!started) return finish({ exitCode: null, signal: null, reason: 'spawn_error', error: message });
        // the spawner went away under a running task: its pipes went with it, so end it
        killGroup(pid, 'SIGKILL');
        onLine('stderr', `probe: ${message}; the task was ended`);
        finish({ ...status, reason });
      },
    });
  });

  return { cancel: () => stop('cancel'), done };
}
