import crypto from 'node:crypto';
import type { DeployArgs } from '../args.js';
import { checkTenantId, errorMessage, step, tenantDir } from '../hosting.js';
import type { KeptData, TenantRow } from '../registry.js';
import type { Workload } from '../runtime/index.js';
import { EXIT, TaskError, type Log } from '../task.js';
import { loadTemplate } from '../template.js';
import type { Hosting } from './context.js';
import { waitHealthy } from './health.js';
import { placement } from './placement.js';
import { teardown } from './teardown.js';
import { locate } from './where.js';

export interface DeployResult {
  id: string;
  template: string;
  ports: { app: number; db: number };
}

/**
 * Starts a tenant's containers: registry row and ports first, then the runtime, then a
 * wait for the health path. On failure it undoes its own work (a teardown) and fails.
 * `onAllocated` is called once the registry row exists, before the containers start.
 */
export async function deploy(
  h: Hosting,
  args: DeployArgs,
  log: Log,
  onAllocated?: (row: TenantRow) => void,
): Promise<DeployResult> {
  const { settings, registry, runtime } = h;
  const id = checkTenantId(args.id, settings);
  // Restoring without a template name reuses the template the kept data belongs to.
  const keptTemplate = args.restoreData ? registry.keptData(id)?.template : undefined;
  const template = loadTemplate(
    settings.templatesDir,
    args.template ?? keptTemplate ?? settings.defaultTemplate,
  );
  const existing = registry.get(id);
  if (existing) {
    throw new TaskError(
      `tenant ${id} already exists (status ${existing.status}); nothing was changed`,
      EXIT.exists,
    );
  }
  await engineReachable(h);
  const kept = args.restoreData ? await keptDataToRestore(h, id, template.name) : undefined;
  const leftovers = await runtime.list(id);
  if (leftovers.length) {
    const names = leftovers.map((c) => c.name).join(', ');
    throw new TaskError(
      `containers of ${id} exist without a registry entry (${names}); run teardown first`,
      EXIT.exists,
    );
  }
  const node = await placement(h, id, template, kept);
  step(log, `Allocating ports for ${id}`);
  const dataKey = kept?.dataKey ?? crypto.randomBytes(6).toString('hex');
  const row = await registry.allocate({ id, template: template.name, dataKey, node }, settings.ports);
  const where = row.node ? `, node ${row.node}` : template.stateless && h.runtime.nodes ? ', floating' : '';
  log(
    `app port ${row.appPort}, db port ${row.dbPort}${where}${kept ? `, restoring data ${kept.dataKey}` : ''}`,
  );
  onAllocated?.(row);
  const workload: Workload = {
    id,
    template,
    ports: { app: row.appPort, db: row.dbPort },
    dataKey,
    dir: tenantDir(settings, id),
    node: row.node,
  };
  try {
    step(log, `Starting containers for ${id} (template ${template.name})`);
    await runtime.up(workload, log);
    const at = await locate(h, row);
    if (!at) throw new Error(`${template.web.service} of ${id} runs on no node that is up`);
    step(log, `Waiting for ${id} to answer ${template.health.path} on ${at.address}:${row.appPort}`);
    await waitHealthy(runtime, workload, log, at.address);
  } catch (err) {
    step(log, `Deploy of ${id} failed, undoing it`);
    const undo = await teardown(h, { id, keepData: kept !== undefined }, log);
    const leftover = undo.failed.length ? ` (undo incomplete: ${undo.failed.join(', ')} failed)` : '';
    throw new TaskError(`deploy of ${id} failed: ${errorMessage(err)}${leftover}`, EXIT.failed, {
      cause: err,
    });
  }
  registry.setStatus(id, 'running');
  if (kept) registry.consumeKeptData(id, kept.dataKey);
  step(log, `${id} is running (template ${template.name}, app port ${row.appPort})`);
  return { id, template: template.name, ports: { app: row.appPort, db: row.dbPort } };
}

/** The engine check as a task failure: one clear line, no stack. */
export async function engineReachable(h: Hosting): Promise<void> {
  try {
    await h.runtime.ensureReachable();
  } catch (err) {
    throw new TaskError(errorMessage(err), EXIT.failed, { cause: err });
  }
}

/** The kept data to reattach; only the same template, and only when its volumes still exist. */
async function keptDataToRestore(h: Hosting, id: string, template: string): Promise<KeptData> {
  const kept = h.registry.keptData(id);
  if (!kept) throw new TaskError(`restoreData=true but no data of ${id} was kept`, EXIT.usage);
  if (kept.template !== template) {
    throw new TaskError(
      `kept data of ${id} belongs to template ${kept.template}, not ${template}; deploy with template=${kept.template}`,
      EXIT.usage,
    );
  }
  const volumes = (await h.runtime.volumes(id)).filter((v) => v.dataKey === kept.dataKey);
  if (!volumes.length)
    throw new TaskError(`kept data of ${id} (key ${kept.dataKey}) no longer exists`, EXIT.failed);
  return kept;
}
