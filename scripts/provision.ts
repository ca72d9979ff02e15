// provision --id=<tenant> [--template=<name>] [--restoreData=true]: deploy, nginx-config, verify; roll back on failure.
import { deployArgs } from './lib/args.js';
import { hostingSettings } from './lib/hosting.js';
import { abortOnTermination, main, stdoutLog } from './lib/task.js';
import { withHosting } from './lib/tasks/context.js';
import { provision } from './lib/tasks/provision.js';

const signal = abortOnTermination(); // a cancel or timeout rolls back instead of leaving debris

await main(async (raw) => {
  const args = deployArgs(raw);
  return withHosting(hostingSettings(), (h) => provision(h, args, stdoutLog, signal));
});
// After a rollback for a cancel or timeout, nothing of the stopped step may keep us alive.
if (signal.aborted) process.exit();
