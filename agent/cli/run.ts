import { parseArgs } from 'node:util';
import { createClient, ProbeError, type ArgValue, type TaskInfo } from '../client/index.js';
import { agentUrl, REMOTE_OPTIONS, tokenFor, UsageError, type Command } from './common.js';

/** Turns `key=value` words into typed args, by the types the agent declares for the task. */
export function typedArgs(words: string[], task: TaskInfo | undefined): Record<string, ArgValue> {
  const args: Record<string, ArgValue> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 1) throw new UsageError(`expected key=value, got ${JSON.stringify(word)}`);
    const key = word.slice(0, eq);
    const raw = word.slice(eq + 1);
    const type = task?.args[key]?.type;
    if (type === 'integer' || type === 'number') {
      if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw new UsageError(`${key} must be a number`);
      args[key] = Number(raw);
    } else if (type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`${key} must be true or false`);
      args[key] = raw === 'true';
    } else args[key] = raw;
  }
  return args;
}

export const run: Command = {
  summary: 'run a task on an agent and stream its output',
  usage: 'probe run TASK [key=value ...] [--url URL] [--token T] [--config FILE] [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    const [name, ...words] = positionals;
    if (!name) throw new UsageError('which task? (probe tasks lists them)');
    const url = agentUrl(values);
    const client = createClient({ url, token: tokenFor(values, name) });
    const task = (await client.tasks()).find((t) => t.name === name);
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    try {
      const outcome = await client.run(name, typedArgs(words, task), {
        signal: controller.signal,
        allowFailure: true,
        onOutput: (e) => {
          if (!values.json) (e.stream === 'stdout' ? process.stdout : process.stderr).write(`${e.text}\n`);
        },
      });
      if (outcome.result !== undefined) {
        process.stdout.write(`${JSON.stringify(outcome.result, null, values.json ? 0 : 2)}\n`);
      }
      const { status, exitCode, durationMs } = outcome.end;
      process.stderr.write(
        `probe: run ${outcome.id} ${status} (exit code ${exitCode}) in ${durationMs} ms\n`,
      );
      return exitCode ?? 1;
    } catch (err) {
      if (controller.signal.aborted) {
        process.stderr.write('probe: detached; the run goes on (probe runs lists it)\n');
        return 130;
      }
      throw err instanceof ProbeError ? new Error(`${err.code}: ${err.message}`) : err;
    }
  },
};
