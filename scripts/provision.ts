// provision --id=<tenant> [--template=<name>] [--restoreData=true]: deploy, nginx-config, verify; roll back on failure.
import { deployArgs } from './lib/args.js';
import { hostingSettings } from './lib/hosting.js';
import { main, stdoutLog } from './lib/task.js';
import { withHosting } from './lib/tasks/context.js';
import { provision } from './lib/tasks/provision.js';

await main(async (raw) => {
  const args = deployArgs(raw);
  return withHosting(hostingSettings(), (h) => provision(h, args, stdoutLog));
});
