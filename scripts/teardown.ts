// teardown --id=<tenant> [--keepData=true]: remove everything of a tenant, in reverse order.
import { teardownArgs } from './lib/args.js';
import { hostingSettings } from './lib/hosting.js';
import { emitResult, main, stdoutLog, TaskError } from './lib/task.js';
import { withHosting } from './lib/tasks/context.js';
import { teardown } from './lib/tasks/teardown.js';

await main(async (raw) => {
  const args = teardownArgs(raw);
  const result = await withHosting(hostingSettings(), (h) => teardown(h, args, stdoutLog));
  if (result.failed.length) {
    emitResult(result);
    const why = result.failed.map((s) => `${s}: ${result.errors[s]}`).join('; ');
    throw new TaskError(
      `teardown of ${result.id} incomplete (registry entry kept as failed; run it again): ${why}`,
    );
  }
  return result;
});
