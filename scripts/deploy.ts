// deploy --id=<tenant> [--template=<name>] [--restoreData=true]: start a tenant's containers.
import { deployArgs } from './lib/args.js';
import { hostingSettings } from './lib/hosting.js';
import { main, stdoutLog } from './lib/task.js';
import { withHosting } from './lib/tasks/context.js';
import { deploy } from './lib/tasks/deploy.js';

await main(async (raw) => {
  const args = deployArgs(raw);
  return withHosting(hostingSettings(), (h) => deploy(h, args, stdoutLog));
});
