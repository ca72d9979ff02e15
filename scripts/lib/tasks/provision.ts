import type { DeployArgs } from '../args.js';
import { checkTenantId, errorMessage, step, tagged } from '../hosting.js';
import { EXIT, TaskError, type Log } from '../task.js';
import type { Hosting } from './context.js';
import { deploy, engineReachable } from './deploy.js';
import { nginxConfig, type NginxConfigResult } from './nginx-config.js';
import { teardown } from './teardown.js';
import { verifyServed } from './verify.js';

export interface ProvisionResult {
  id: string;
  url: string;
  ports: { app: number; db: number };
  template: string;
}

/**
 * The one-click chain: deploy, with nginx-config started as soon as the tenant's ports are
 * taken, then verify through nginx. When a step fails, a teardown rolls everything back and
 * the error names the failed step.
 */
export async function provision(
  h: Hosting,
  args: DeployArgs,
  log: Log,
  signal?: AbortSignal,
): Promise<ProvisionResult> {
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
  const inFlight: Promise<unknown>[] = [];
  const run = <T>(name: string, fn: (l: Log) => Promise<T>) =>
    runStep(h, args, log, name, fn, signal, inFlight);
  // Where the tenant will answer is known once its row exists (one host, or a pinned node): the
  // vhost is then published while the containers start, so nginx's reload, and the 100 ms in
  // which its old workers still take connections, overlap compose instead of following it.
  let published: Promise<NginxConfigResult> | undefined;
  const deployed = await run('deploy', (l) =>
    deploy(h, args, l, (row) => {
      if (h.runtime.nodes && row.node === null) return; // floating: wait until it runs somewhere
      published = nginxConfig(h, { id }, tagged(log, 'nginx-config'));
      published.catch(() => undefined); // awaited below, or settled before a rollback
      inFlight.push(published);
    }),
  );
  const site = await run('nginx-config', (l) => published ?? nginxConfig(h, { id }, l));
  await run('verify', (l) => verifyServed(h.settings, id, l));
  step(log, `${id} is live at ${site.url}`);
  return { id, url: site.url, ports: deployed.ports, template: deployed.template };
}

/**
 * Runs one step with its lines tagged `[step]`. A failure rolls back with teardown,
 * except usage and already-exists errors, which happen before anything is created.
 */
async function runStep<T>(
  h: Hosting,
  args: DeployArgs,
  log: Log,
  name: string,
  fn: (l: Log) => Promise<T>,
  signal?: AbortSignal,
  inFlight: Promise<unknown>[] = [],
) {
  let work: Promise<T> | undefined;
  try {
    signal?.throwIfAborted();
    work = fn(tagged(log, name));
    return await (signal ? Promise.race([work, aborted(signal)]) : work);
  } catch (err) {
    // Stopped by the agent: let the step's own clean-up settle (its children got SIGTERM too).
    if (signal?.aborted && work) await Promise.race([work.catch(() => undefined), delay(2000)]);
    // A step started early (the vhost) finishes before the rollback, so it cannot write after it.
    await Promise.allSettled(inFlight);
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

/** Rejects with the signal's reason once it aborts (a cancel or timeout from the agent). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
