import type { DeployArgs } from '../args.js';
import { checkTenantId, errorMessage, step, tagged } from '../hosting.js';
import { EXIT, TaskError, type Log } from '../task.js';
import type { Hosting } from './context.js';
import { deploy, engineReachable } from './deploy.js';
import { nginxConfig } from './nginx-config.js';
import { teardown } from './teardown.js';
import { verifyServed } from './verify.js';

export interface ProvisionResult {
  id: string;
  url: string;
  ports: { app: number; db: number };
  template: string;
}

/**
 * The one-click chain: deploy, then nginx-config, then verify through nginx. When a
 * step fails, a teardown rolls everything back and the error names the failed step.
 */
export async function provision(h: Hosting, args: DeployArgs, log: Log): Promise<ProvisionResult> {
  const id = checkTenantId(args.id, h.settings);
  const existing = h.registry.get(id);
  if (existing) {
    throw new TaskError(
      `tenant ${id} already exists (status ${existing.status}); nothing was changed`,
      EXIT.exists,
    );
  }
  await engineReachable(h);
  step(log, `Provisioning ${id}`);
  const deployed = await runStep(h, args, log, 'deploy', (l) => deploy(h, args, l));
  const site = await runStep(h, args, log, 'nginx-config', (l) => nginxConfig(h, { id }, l));
  await runStep(h, args, log, 'verify', (l) => verifyServed(h.settings, id, l));
  step(log, `${id} is live at ${site.url}`);
  return { id, url: site.url, ports: deployed.ports, template: deployed.template };
}

/**
 * Runs one step with its lines tagged `[step]`. A failure rolls back with teardown,
 * except usage and already-exists errors, which happen before anything is created.
 */
async function runStep<T>(h: Hosting, args: DeployArgs, log: Log, name: string, fn: (l: Log) => Promise<T>) {
  try {
    return await fn(tagged(log, name));
  } catch (err) {
    const code = err instanceof TaskError ? err.exitCode : EXIT.failed;
    if (code === EXIT.usage || code === EXIT.exists) throw err;
    const rollback = tagged(log, 'rollback');
    step(rollback, `Step ${name} failed: ${errorMessage(err)}`);
    const undo = await teardown(h, { id: args.id, keepData: args.restoreData }, rollback);
    const leftover = undo.failed.length ? `; rollback incomplete (${undo.failed.join(', ')} failed)` : '';
    throw new TaskError(
      `provision of ${args.id} failed at step ${name}: ${errorMessage(err)}${leftover}`,
      EXIT.failed,
      {
        cause: err,
      },
    );
  }
}
