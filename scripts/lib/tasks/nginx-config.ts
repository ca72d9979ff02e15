import type { TenantArgs } from '../args.js';
import { checkTenantId, errorMessage, serverName, step, tenantUrl } from '../hosting.js';
import { writeVhost } from '../proxy/index.js';
import { EXIT, TaskError, type Log } from '../task.js';
import type { Hosting } from './context.js';
import { locate } from './where.js';

export interface NginxConfigResult {
  id: string;
  url: string;
  file: string;
}

/** Publishes a registered tenant at <id>.<domain> through nginx, proxied to where it runs. */
export async function nginxConfig(h: Hosting, args: TenantArgs, log: Log): Promise<NginxConfigResult> {
  const { settings, registry } = h;
  const id = checkTenantId(args.id, settings);
  const row = registry.get(id);
  if (!row) throw new TaskError(`unknown tenant ${id} (not in the registry)`, EXIT.notFound);
  const name = serverName(settings, id);
  let file: string;
  try {
    // On a cluster the upstream is the node that runs the tenant, pinned or where it floats to now.
    const at = await locate(h, row);
    if (!at) throw new Error(`${id} runs on no node that is up right now`);
    const on = at.node ? ` (node ${at.node})` : '';
    step(log, `Writing nginx vhost for ${name} -> ${at.address}:${row.appPort}${on}`);
    const site = { id, serverName: name, appPort: row.appPort, address: at.address };
    file = await writeVhost(settings.stateDir, settings.nginx, site, log);
  } catch (err) {
    throw new TaskError(`nginx-config for ${id} failed: ${errorMessage(err)}`, EXIT.failed, { cause: err });
  }
  const url = tenantUrl(settings, id);
  registry.setUrl(id, url);
  step(log, `${id} is served at ${url}`);
  return { id, url, file };
}
