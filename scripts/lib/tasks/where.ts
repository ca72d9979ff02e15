import type { TenantRow } from '../registry.js';
import type { ContainerInfo, NodeInfo } from '../runtime/index.js';
import { loadTemplate } from '../template.js';
import type { Hosting } from './context.js';

export const LOOPBACK = '127.0.0.1';

/** Where a tenant's app answers: its node (null on a single host) and that node's address. */
export interface Location {
  node: string | null;
  address: string;
}

/**
 * Where a tenant is served, from tasks and nodes read once for all tenants. A pinned tenant
 * is where it is pinned, up or not; a floating one is where its web task runs on a node that
 * is up. Undefined when a floating tenant runs nowhere right now (it is being moved).
 */
export function whereServed(
  row: Pick<TenantRow, 'id' | 'node'>,
  webService: string,
  tasks: ContainerInfo[],
  nodes: NodeInfo[],
): Location | undefined {
  if (!nodes.length) return { node: null, address: LOOPBACK };
  const usable = (name?: string) => nodes.find((n) => n.name === name && (row.node !== null || n.up));
  const node =
    row.node ??
    tasks.find(
      (t) => t.tenant === row.id && t.service === webService && t.state === 'running' && usable(t.node),
    )?.node;
  const found = usable(node);
  return found ? { node: found.name, address: found.address } : undefined;
}

/** The same for one tenant, asking the runtime; a single-host runtime answers without an engine call. */
export async function locate(h: Hosting, row: TenantRow): Promise<Location | undefined> {
  const nodes = (await h.runtime.nodes?.()) ?? [];
  if (!nodes.length) return { node: null, address: LOOPBACK };
  if (row.node !== null) return whereServed(row, '', [], nodes);
  const web = loadTemplate(h.settings.templatesDir, row.template).web.service;
  return whereServed(row, web, await h.runtime.list(row.id), nodes);
}
