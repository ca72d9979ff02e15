import { parseArgs } from 'node:util';
import { startAgent } from '../server.js';
import { configFrom, type Command } from './common.js';

export const serve: Command = {
  summary: 'start the agent',
  usage: 'probe serve [--config FILE]',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
    const agent = await startAgent(configFrom(values));
    await new Promise<void>((resolve) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        void agent.stop().then(resolve);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    return 0;
  },
};
