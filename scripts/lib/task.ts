/**
 * The task-script protocol, shared by every script in scripts/:
 * - declared args arrive as `--name=value` argv entries (and as PROBE_ARG_<NAME>);
 * - progress goes to stdout as human lines, failures to stderr;
 * - structured data is one line `::result:: {json}` on stdout;
 * - the exit code says how it ended (EXIT below).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, exists: 3, notFound: 4 } as const;

export const RESULT_PREFIX = '::result:: ';

/** A failure the script reports as one clear line, with a documented exit code. */
export class TaskError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TaskError';
  }
}

/** A line sink; provision passes one that tags each line with its step name. */
export type Log = (line: string) => void;

export const stdoutLog: Log = (line) => {
  process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
};

/** Parses `--name=value` argv entries; anything else is a usage error. */
export function parseArgs(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([A-Za-z][\w-]*)=(.*)$/s.exec(a);
    if (!m)
      throw new TaskError(`unexpected argument ${JSON.stringify(a)} (expected --name=value)`, EXIT.usage);
    out[m[1]] = m[2];
  }
  return out;
}

/**
 * Turns the agent's SIGTERM (a cancel, or the task's timeout) into an abort signal, so a
 * task can undo its work within the kill grace instead of dying half-way.
 */
export function abortOnTermination(): AbortSignal {
  const controller = new AbortController();
  // `on`, not `once`: execa's exit hook re-raises a signal that no other listener is left for.
  process.on('SIGTERM', () =>
    controller.abort(new TaskError('stopped by the agent (canceled or timed out)', EXIT.failed)),
  );
  return controller.signal;
}

export function flag(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

export function emitResult(data: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(data)}\n`);
}

/**
 * Runs a task body: parses argv, prints its return value as the result line and
 * exits with the right code. A TaskError becomes one `error:` line on stderr.
 */
export async function main(body: (args: Record<string, string>) => Promise<unknown>): Promise<void> {
  try {
    const result = await body(parseArgs(process.argv.slice(2)));
    if (result !== undefined) emitResult(result);
    process.exitCode = EXIT.ok;
  } catch (err) {
    if (err instanceof TaskError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = EXIT.failed;
    }
  }
}
