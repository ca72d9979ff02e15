import fs from 'node:fs';
import type { TeardownArgs } from '../args.js';
import { checkTenantId, errorMessage, step, tenantDir } from '../hosting.js';
import { removeVhost } from '../proxy/index.js';
import type { Log } from '../task.js';
import type { Hosting } from './context.js';

export interface TeardownResult {
  id: string;
  /** Steps that removed something: vhost, containers, volumes, folder, registry. */
  removed: string[];
  /** Steps that failed; `errors` says why. A retry finishes the job. */
  failed: string[];
  errors: Record<string, string>;
  /** False when nothing of the tenant was there. */
  existed: boolean;
}

/**
 * Removes a tenant in the reverse order of its creation: vhost, containers and
 * networks (and data unless keepData), folder, and the registry row last, only when
 * everything else is gone. Every step runs even when an earlier one fails.
 */
export async function teardown(h: Hosting, args: TeardownArgs, log: Log): Promise<TeardownResult> {
  const { settings, registry, runtime } = h;
  const id = checkTenantId(args.id, settings);
  const row = registry.get(id);
  const result: TeardownResult = { id, removed: [], failed: [], errors: {}, existed: false };
  const attempt = async (name: string, fn: () => Promise<boolean | string[]>) => {
    try {
      const done = await fn();
      if (Array.isArray(done)) result.removed.push(...done);
      else if (done) result.removed.push(name);
    } catch (err) {
      result.failed.push(name);
      result.errors[name] = errorMessage(err);
      log(`${name}: failed: ${errorMessage(err)}`);
    }
  };
  step(log, `Removing ${id}${args.keepData ? ' (keeping its data)' : ''}`);
  if (row) registry.setStatus(id, 'deleting');
  await attempt('vhost', () => removeVhost(settings.stateDir, settings.nginx, id, log));
  await attempt('containers', async () => {
    const keep = registry
      .allKeptData()
      .filter((k) => k.id === id)
      .map((k) => k.dataKey);
    if (args.keepData && row) keep.push(row.dataKey);
    if (args.keepData && !row) keep.push(...(await runtime.volumes(id)).map((v) => v.dataKey));
    const removal = { id, dir: tenantDir(settings, id), keepDataKeys: keep, node: row?.node };
    const report = await runtime.down(removal, log);
    const removed = report.containers + report.networks > 0 ? ['containers'] : [];
    return report.volumes > 0 ? [...removed, 'volumes'] : removed;
  });
  await attempt('folder', async () => {
    const dir = tenantDir(settings, id);
    if (!fs.existsSync(dir)) return false;
    fs.rmSync(dir, { recursive: true, force: true });
    return true;
  });
  if (result.failed.length) {
    if (row) registry.setStatus(id, 'failed');
  } else if (row) {
    if (args.keepData) registry.keepData({ id, dataKey: row.dataKey, template: row.template });
    registry.release(id);
    result.removed.push('registry');
  }
  result.existed = result.removed.length > 0 || result.failed.length > 0;
  if (!result.existed) log(`nothing of ${id} was there`);
  else if (!result.failed.length) step(log, `${id} removed (${result.removed.join(', ')})`);
  return result;
}
