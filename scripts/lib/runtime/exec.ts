import fs from 'node:fs';
import path from 'node:path';
import type { Log } from '../task.js';

/** execa, imported by the first command a script runs (see lazy.ts for why). */
let execaModule: Promise<typeof import('execa')> | undefined;

export interface RunResult {
  ok: boolean;
  /** True when the command was killed for running past timeoutMs. */
  timedOut: boolean;
  exitCode: number | undefined;
  stdout: string;
  /** stdout and stderr interleaved, for error messages. */
  output: string;
  /** One line saying what went wrong, when !ok. */
  problem: string;
}

export interface RunOptions {
  /** Each output line (stdout and stderr) is passed here as it arrives. */
  log?: Log;
  timeoutMs?: number;
  cwd?: string;
}

/**
 * Runs a command from an argv array (never through a shell) without throwing.
 * The child inherits this process's environment, so DOCKER_HOST passes through.
 */
export async function run(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const log = options.log;
  const tap = function* (line: unknown) {
    if (log) log(String(line));
    yield line;
  };
  const { execa } = await (execaModule ??= import('execa'));
  const r = await execa(file, args, {
    reject: false,
    all: true,
    stdin: 'ignore',
    stdout: tap,
    stderr: tap,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    forceKillAfterDelay: 2000,
  });
  const output = String(r.all ?? '');
  return {
    ok: !r.failed,
    timedOut: r.timedOut,
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    output,
    problem: r.failed ? describeFailure(file, args, r, output) : '',
  };
}

function describeFailure(
  file: string,
  args: string[],
  r: { timedOut: boolean; code?: string; exitCode?: number },
  output: string,
): string {
  const cmd = [file, ...args.slice(0, 3)].join(' ');
  if (r.timedOut) return `${cmd} timed out`;
  if (r.code === 'ENOENT') return `${file} is not installed (not found on PATH)`;
  const last = output.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  return `${cmd} failed (exit ${r.exitCode ?? '?'})${last ? `: ${last}` : ''}`;
}

/** Whether an executable of that name is on PATH (what the commands above would run). */
export function onPath(name: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => executable(path.join(dir || '.', name)));
}

/** Whether a file exists, is a regular file and may be executed. */
export function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
