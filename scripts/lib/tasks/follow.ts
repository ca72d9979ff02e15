import { errorMessage, serverName } from '../hosting.js';
import { currentUpstream, repointVhost, upstreamOf } from '../proxy/index.js';
import type { TenantRow } from '../registry.js';
import type { ContainerInfo, NodeInfo } from '../runtime/index.js';
import type { Log } from '../task.js';
import { loadTemplate } from '../template.js';
import type { Hosting } from './context.js';
import { whereServed } from './where.js';

/** A vhost re-pointed because its tenant now answers on another node. */
export interface Move {
  id: string;
  from: string | null;
  to: string;
  node: string | null;
}

/**
 * Makes nginx follow the tenants that moved: for every published tenant, where it is
 * served now (from the tasks and nodes the caller read once for all) against the upstream
 * of its vhost; a difference is re-pointed through the proxy module (nginx -t, reload,
 * restore on failure). A tenant that runs nowhere right now keeps its vhost.
 */
export async function followMoves(
  h: Hosting,
  rows: TenantRow[],
  tasks: ContainerInfo[],
  nodes: NodeInfo[],
  log: Log,
): Promise<Move[]> {
  const { settings } = h;
  const webOf = new Map<string, string>();
  const moves: Move[] = [];
  for (const row of rows) {
    if (row.status !== 'running' || !row.url) continue;
    try {
      if (!webOf.has(row.template)) {
        webOf.set(row.template, loadTemplate(settings.templatesDir, row.template).web.service);
      }
      const at = whereServed(row, webOf.get(row.template) as string, tasks, nodes);
      if (!at) continue;
      const name = serverName(settings, row.id);
      const site = { id: row.id, serverName: name, appPort: row.appPort, address: at.address };
      const before = currentUpstream(settings.nginx, row.id) ?? null;
      if ((await repointVhost(settings.stateDir, settings.nginx, site, log)) === 'repointed') {
        moves.push({ id: row.id, from: before, to: upstreamOf(site), node: at.node });
      }
    } catch (err) {
      log(`warning: could not re-point the vhost of ${row.id}: ${errorMessage(err)}`);
    }
  }
  return moves;
}
