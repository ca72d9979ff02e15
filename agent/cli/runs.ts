import { parseArgs } from 'node:util';
import { createClient } from '../client/index.js';
import { agentUrl, REMOTE_OPTIONS, tokenFor, type Command } from './common.js';

export const runs: Command = {
  summary: 'list runs, or show one with its output',
  usage:
    'probe runs [ID] [--task T] [--status S] [--limit N] [--url URL] [--token T] [--config FILE] [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...REMOTE_OPTIONS,
        task: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
      },
    });
    const client = createClient({ url: agentUrl(values), token: tokenFor(values, 'runs:read') });
    if (positionals[0]) {
      const record = await client.runs.get(positionals[0]);
      if (values.json) process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      else {
        const { output, ...rest } = record;
        process.stdout.write(`${JSON.stringify(rest, null, 2)}\n--- output ---\n${output ?? ''}\n`);
      }
      return 0;
    }
    const list = await client.runs.list({
      task: values.task,
      status: values.status,
      limit: values.limit === undefined ? undefined : Number(values.limit),
    });
    if (values.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else
      for (const r of list) {
        process.stdout.write(
          `${r.id}  ${r.startedAt}  ${r.task.padEnd(12)} ${r.status.padEnd(11)} ${String(r.exitCode ?? '-').padEnd(4)} ${r.sub}\n`,
        );
      }
    return 0;
  },
};
