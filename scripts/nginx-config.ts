// nginx-config --id=<tenant>: publish a registered tenant at <id>.<domain> through nginx.
import { tenantArgs } from './lib/args.js';
import { hostingSettings } from './lib/hosting.js';
import { main, stdoutLog } from './lib/task.js';
import { withHosting } from './lib/tasks/context.js';
import { nginxConfig } from './lib/tasks/nginx-config.js';

await main(async (raw) => {
  const args = tenantArgs(raw);
  return withHosting(hostingSettings(), (h) => nginxConfig(h, args, stdoutLog));
});
