// info [--id=<tenant>]: tenants, their containers and any drift between registry and engine.
import { infoArgs } from './lib/args.js';
import { hostingSettings } from './lib/hosting.js';
import { main, stdoutLog } from './lib/task.js';
import { withHosting } from './lib/tasks/context.js';
import { info } from './lib/tasks/info.js';

await main(async (raw) => {
  const args = infoArgs(raw);
  return withHosting(hostingSettings(), (h) => info(h, args, stdoutLog));
});
