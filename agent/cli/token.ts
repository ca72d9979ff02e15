import { parseArgs } from 'node:util';
import { loadKeys } from '../auth/keys.js';
import { signToken } from '../auth/token.js';
import { configFrom, ttlOption, UsageError, type Command } from './common.js';

export const token: Command = {
  summary: 'print one signed token',
  usage: 'probe token --sub NAME --scope "provision info" [--ttl 15m] [--config FILE]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        sub: { type: 'string' },
        scope: { type: 'string' },
        ttl: { type: 'string' },
      },
    });
    if (!values.sub || !values.scope) throw new UsageError('--sub and --scope are required');
    const config = configFrom(values);
    const ttlMs = ttlOption(values.ttl);
    if (ttlMs !== undefined && ttlMs > config.auth.maxTtl) {
      throw new UsageError(`--ttl ${values.ttl} is longer than auth.maxTtl (${config.auth.maxTtl / 1000}s)`);
    }
    process.stdout.write(
      `${signToken(config.auth, loadKeys(config.auth), { sub: values.sub, scope: values.scope, ttlMs })}\n`,
    );
    return 0;
  },
};
