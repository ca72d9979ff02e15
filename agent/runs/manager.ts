import { randomUUID } from 'node:crypto';
import type { TaskConfig } from '../config/load.js';
import { ApiError } from '../errors.js';
import { lockKey, type ArgValues } from '../tasks/args.js';
import { startProcess, warmSpawner, type ProcessExit, type ProcessHandle } from './process.js';
import { LiveRun } from './run.js';
import type { RunStore } from './store.js';
import type { RunEnd, RunStatus } from './types.js';

const BASE_ENV = ['PATH', 'HOME', 'LANG', 'TZ'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ManagerOptions {
  maxConcurrentRuns: number;
  maxOutputBytes: number;
  /** Resolved hosting settings as JSON, handed to tasks marked `hosting: true`. */
  hostingJson?: string;
  onStart?: (run: LiveRun) => void;
  onEnd?: (run: LiveRun, end: RunEnd) => void;
}

interface Active {
  run: LiveRun;
  proc: ProcessHandle;
  lock?: string;
  done: Promise<void>;
}

/** The environment a task sees: an allowlist, never the agent's own variables. */
export function childEnv(task: TaskConfig, values: ArgValues, runId: string, hostingJson?: string) {
  const env: Record<string, string> = {};
  for (const k of BASE_ENV) if (process.env[k]) env[k] = process.env[k]!;
  env.PATH ??= DEFAULT_PATH;
  Object.assign(env, task.env);
  for (const [k, v] of Object.entries(values))
    env[`PROBE_ARG_${k.toUpperCase().replace(/-/g, '_')}`] = String(v);
  env.PROBE_RUN_ID = runId;
  if (task.hosting && hostingJson) env.PROBE_HOSTING = hostingJson;
  return env;
}

export function childArgv(values: ArgValues): string[] {
  return Object.entries(values).map(([k, v]) => `--${k}=${String(v)}`);
}

function statusOf(exit: ProcessExit, stopping: boolean): RunStatus {
  if (exit.reason === 'timeout') return 'timed_out';
  if (exit.reason === 'cancel') return stopping ? 'interrupted' : 'canceled';
  return exit.exitCode === 0 ? 'succeeded' : 'failed';
}

/** Starts runs within the concurrency cap and the locks, and ends them in one result shape. */
export class RunManager {
  private readonly active = new Map<string, Active>();
  private readonly locks = new Map<string, string>();
  private stopping = false;
  /** How many processes this agent has spawned (the battery counts them). */
  spawned = 0;

  constructor(
    private readonly store: RunStore,
    private readonly options: ManagerOptions,
  ) {
    warmSpawner();
  }

  get running(): number {
    return this.active.size;
  }

  live(id: string): LiveRun | undefined {
    return this.active.get(id)?.run;
  }

  start(task: TaskConfig, values: ArgValues, sub: string): LiveRun {
    if (this.stopping) throw new ApiError('unavailable');
    if (this.active.size >= this.options.maxConcurrentRuns) {
      throw new ApiError('too_many_requests', `the agent already runs ${this.active.size} tasks`, {
        headers: { 'Retry-After': '1' },
      });
    }
    const lock = task.lock === undefined ? undefined : lockKey(task.lock, values);
    const holder = lock === undefined ? undefined : this.locks.get(lock);
    if (holder) {
      throw new ApiError('locked', `lock ${lock} is held by run ${holder}`, {
        details: { lock, runId: holder },
      });
    }
    const id = randomUUID();
    const startedAt = new Date().toISOString();
    try {
      this.store.create({ id, task: task.name, args: values, sub, startedAt, command: [...task.command] });
    } catch (err) {
      throw new ApiError('internal', `cannot record the run: ${(err as Error).message}`);
    }
    const run = new LiveRun(id, task.name, values, sub, startedAt, this.store, this.options.maxOutputBytes);
    const proc = startProcess(
      {
        command: task.command,
        argv: childArgv(values),
        env: childEnv(task, values, id, this.options.hostingJson),
        timeoutMs: task.timeoutMs,
        killGraceMs: task.killGraceMs,
      },
      (stream, text) => run.line(stream, text),
      (pid) => this.store.setPid(id, pid),
    );
    this.spawned++;
    if (lock !== undefined) this.locks.set(lock, id);
    const began = performance.now();
    const done = proc.done.then((exit) => this.end(run, exit, lock, performance.now() - began));
    this.active.set(id, { run, proc, lock, done });
    this.options.onStart?.(run);
    return run;
  }

  /** Returns false when the run is not live here. */
  cancel(id: string): boolean {
    const active = this.active.get(id);
    if (!active) return false;
    active.proc.cancel();
    return true;
  }

  /** Stops accepting runs, ends the live ones (recorded as interrupted) and flushes the records. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const waits = [...this.active.values()].map((a) => {
      a.proc.cancel();
      return a.done;
    });
    await Promise.all(waits);
    this.store.flush();
  }

  private end(run: LiveRun, exit: ProcessExit, lock: string | undefined, ms: number): void {
    if (exit.reason === 'spawn_error') run.line('stderr', `probe: cannot start the task: ${exit.error}`);
    // A task killed from outside (OOM killer, an operator) would otherwise end without a word.
    if (exit.reason === 'exit' && exit.signal)
      run.line('stderr', `probe: the task was killed by signal ${exit.signal}`);
    const end: RunEnd = {
      status: statusOf(exit, this.stopping),
      exitCode: exit.exitCode,
      durationMs: Math.round(ms),
    };
    if (lock !== undefined && this.locks.get(lock) === run.id) this.locks.delete(lock);
    this.active.delete(run.id);
    run.finish(end);
    this.store.finish(run.id, {
      ...end,
      result: run.result,
      endedAt: new Date().toISOString(),
      outputTruncated: run.truncated,
    });
    this.options.onEnd?.(run, { ...end, result: run.result });
  }
}
