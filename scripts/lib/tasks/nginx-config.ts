import type { TenantArgs } from '../args.js';
import { checkTenantId, errorMessage, serverName, step, tenantUrl } from '../hosting.js';
import { writeVhost } from '../proxy/index.js';
import { EXIT, TaskError, type Log } from '../task.js';
import type { Hosting } from './context.js';

export interface NginxConfigResult {
  id: string;
  url: string;
  file: string;
}

/** Publishes a registered tenant at <id>.<domain> through nginx. */
export async function nginxConfig(h: Hosting, args: TenantArgs, log: Log): Promise<NginxConfigResult> {
  const { settings, registry } = h;
  const id = checkTenantId(args.id, settings);
  const row = registry.get(id);
  if (!row) throw new TaskError(`unknown tenant ${id} (not in the registry)`, EXIT.notFound);
  const name = serverName(settings, id);
  step(log, `Writing nginx vhost for ${name} -> 127.0.0.1:${row.appPort}`);
  let file: string;
  try {
    file = await writeVhost(
      settings.stateDir,
      settings.nginx,
      { id, serverName: name, appPort: row.appPort },
      log,
    );
  } catch (err) {
    throw new TaskError(`nginx-config for ${id} failed: ${errorMessage(err)}`, EXIT.failed, { cause: err });
  }
  const url = tenantUrl(settings, id);
  registry.setUrl(id, url);
  step(log, `${id} is served at ${url}`);
  return { id, url, file };
}
