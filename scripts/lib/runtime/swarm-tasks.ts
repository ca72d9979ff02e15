import { docker } from './docker.js';
import { run } from './exec.js';
import { projectName } from './render.js';
import { lines } from './swarm-nodes.js';
import { LABEL_MANAGED, type ContainerInfo } from './types.js';

export const STACK_LABEL = 'com.docker.stack.namespace';

const TASK_FORMAT = [
  '{{.ID}}',
  '{{.Name}}',
  '{{.Node}}',
  '{{.DesiredState}}',
  '{{.CurrentState}}',
  '{{.Error}}',
].join('\t');

/** Ids and names of the tenant services (one tenant's stack, or all we manage): one engine call. */
export async function stackServices(tenant?: string): Promise<{ id: string; name: string }[]> {
  const filter = tenant ? `label=${STACK_LABEL}=${projectName(tenant)}` : `label=${LABEL_MANAGED}=true`;
  const out = await docker(['service', 'ls', '--filter', filter, '--format', '{{.ID}}\t{{.Name}}']);
  return lines(out).map((line) => {
    const [id, name] = line.split('\t');
    return { id, name };
  });
}

/**
 * The current task of every tenant service, in one engine call for a tenant (its stack's
 * tasks) and two for all of them (the services, then all their tasks), whatever their number.
 * A task is current when it is meant to run (desired running or ready); else the most recent
 * of its slot is shown.
 */
export async function stackTasks(tenant?: string): Promise<ContainerInfo[]> {
  if (tenant) {
    const args = ['stack', 'ps', '--no-trunc', '--format', TASK_FORMAT, projectName(tenant)];
    const r = await run('docker', args, { timeoutMs: 60_000 });
    if (r.ok) return currentTasks(lines(r.stdout));
    if (/nothing found in stack/i.test(r.output)) return [];
    throw new Error(r.problem);
  }
  for (let attempt = 0; ; attempt++) {
    const services = await stackServices();
    if (!services.length) return [];
    try {
      const args = ['service', 'ps', '--no-trunc', '--format', TASK_FORMAT, ...services.map((s) => s.id)];
      return currentTasks(lines(await docker(args)));
    } catch (err) {
      // A service removed between the two calls: ask again once.
      if (attempt > 0 || !/no such service|not found/i.test((err as Error).message)) throw err;
    }
  }
}

function currentTasks(rows: string[]): ContainerInfo[] {
  const bySlot = new Map<string, ContainerInfo & { wanted: boolean }>();
  for (const row of rows) {
    const [ref, taskName, node, desired, current, error] = row.split('\t');
    const m = /^probe-([a-z0-9-]+)_(.+)\.(\d+)$/.exec(taskName.trim());
    if (!m) continue;
    const wanted = /^(running|ready)$/i.test(desired);
    const seen = bySlot.get(taskName);
    if (seen && (seen.wanted || !wanted)) continue; // the first row of a slot is its most recent task
    bySlot.set(taskName, {
      ref,
      name: taskName.trim(),
      tenant: m[1],
      service: m[2],
      state: (current.split(' ')[0] ?? '').toLowerCase(),
      status: `${current}${error ? ` (${error.replace(/^"|"$/g, '')})` : ''}`,
      node: node || undefined,
      wanted,
    });
  }
  return [...bySlot.values()].map(({ wanted: _w, ...task }) => task);
}
