import { parseArgs } from 'node:util';
import { configFrom, type Command } from './common.js';

export const tasks: Command = {
  summary: 'list the whitelisted tasks of the local config',
  usage: 'probe tasks [--config FILE] [--json]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, json: { type: 'boolean' } },
    });
    const list = [...configFrom(values).tasks.values()];
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify(
          list.map(({ name, description, args }) => ({ name, description, args })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    for (const t of list) {
      const args = Object.entries(t.args)
        .map(([k, a]) => (a.required ? `${k}=<${a.type}>` : `[${k}=<${a.type}>]`))
        .join(' ');
      process.stdout.write(
        `${t.name.padEnd(14)} ${t.description}\n${''.padEnd(14)} probe run ${t.name} ${args}\n`,
      );
    }
    return 0;
  },
};
