import fs from 'node:fs';
import path from 'node:path';
import type { InfoArgs } from '../args.js';
import { checkTenantId, errorMessage, tenantDir } from '../hosting.js';
import type { KeptData, TenantRow } from '../registry.js';
import type { ContainerInfo, NodeInfo } from '../runtime/index.js';
import { composeServices } from '../runtime/render.js';
import { EXIT, TaskError, type Log } from '../task.js';
import { loadTemplate } from '../template.js';
import type { Hosting } from './context.js';
import { followMoves, type Move } from './follow.js';
import { printTable } from './info-table.js';

export interface ContainerState {
  name: string;
  service: string;
  state: string;
  status: string;
  /** The node it runs on (clusters). */
  node?: string;
  logs?: string[];
}

export interface TenantInfo {
  id: string;
  template: string;
  status: string;
  url: string | null;
  ports: { app: number; db: number };
  createdAt: string;
  updatedAt: string;
  containers: ContainerState[];
  /** Services the tenant declares that have no container: drift from the registry's side. */
  missing: string[];
  /** On a cluster: the node it is pinned to, or the one its web task runs on now; else null. */
  node: string | null;
  /** True when that node is down (not Ready, or its engine does not answer). */
  nodeDown: boolean;
}

export interface Orphan {
  id: string;
  containers: ContainerState[];
}

export interface InfoResult {
  tenants: TenantInfo[];
  /** Containers with our labels but no registry row: drift from the engine's side. */
  orphans: Orphan[];
  kept: KeptData[];
  /** "ok", or why the engine could not be asked (rows are then listed without containers). */
  engine: string;
  /** The cluster's nodes (none on a single host). */
  nodes: NodeInfo[];
  /** Vhosts this run re-pointed because their tenant moved to another node. */
  moved: Move[];
}

const LOG_LINES = 20;

/**
 * Every tenant (or one, with its container logs), compared with what the engine really runs;
 * on a cluster, each with its node and whether that node is up. Services, tasks and nodes are
 * read once for all tenants. A tenant that moved (stateless, off a failed node) gets its
 * vhost re-pointed here: running info on a timer is how nginx follows moves.
 */
export async function info(h: Hosting, args: InfoArgs, log: Log): Promise<InfoResult> {
  const { settings, registry, runtime } = h;
  const id = args.id === undefined ? undefined : checkTenantId(args.id, settings);
  const rows = id ? [registry.get(id)].filter((r): r is TenantRow => r !== undefined) : registry.all();
  let containers: ContainerInfo[] = [];
  let nodes: NodeInfo[] = [];
  let engine = 'ok';
  try {
    await runtime.ensureReachable();
    [containers, nodes] = await Promise.all([runtime.list(id), runtime.nodes?.() ?? []]);
  } catch (err) {
    engine = errorMessage(err);
  }
  const known = new Set(rows.map((r) => r.id));
  const byTenant = new Map<string, ContainerInfo[]>();
  for (const c of containers) {
    if (!byTenant.has(c.tenant)) byTenant.set(c.tenant, []);
    byTenant.get(c.tenant)!.push(c);
  }
  const own = (tenant: string) => byTenant.get(tenant) ?? [];
  const orphanIds = [...byTenant.keys()].filter((t) => !known.has(t)).sort();
  const result: InfoResult = {
    tenants: rows.map((row) => tenantInfo(h, row, own(row.id), nodes)),
    orphans: orphanIds.map((t) => ({
      id: t,
      containers: own(t).map(state),
    })),
    kept: registry.allKeptData().filter((k) => !id || k.id === id),
    engine,
    nodes,
    moved: nodes.length ? await followMoves(h, rows, containers, nodes, log) : [],
  };
  if (id && !result.tenants.length && !result.orphans.length) {
    throw new TaskError(`unknown tenant ${id}`, EXIT.notFound);
  }
  if (id) await attachLogs(h, containers, result);
  printTable(result, log);
  return result;
}

function tenantInfo(h: Hosting, row: TenantRow, own: ContainerInfo[], nodes: NodeInfo[]): TenantInfo {
  const present = new Set(own.map((c) => c.service));
  const declared = declaredServices(h, row);
  // A pinned tenant is on its node, up or down; a floating one where its web service runs now.
  const web = row.node || !nodes.length ? undefined : webService(h, row);
  const node = nodes.length
    ? (row.node ?? own.find((c) => c.service === web && c.state === 'running')?.node ?? null)
    : null;
  return {
    id: row.id,
    template: row.template,
    status: row.status,
    url: row.url,
    ports: { app: row.appPort, db: row.dbPort },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    containers: own.map(state),
    missing: declared.filter((s) => !present.has(s)),
    node,
    nodeDown: node !== null && !nodes.find((n) => n.name === node)?.up,
  };
}

function webService(h: Hosting, row: TenantRow): string | undefined {
  try {
    return loadTemplate(h.settings.templatesDir, row.template).web.service;
  } catch {
    return undefined;
  }
}

/** The services in the tenant's rendered compose file, else in its template's. */
function declaredServices(h: Hosting, row: TenantRow): string[] {
  const candidates = [
    path.join(tenantDir(h.settings, row.id), 'compose.yml'),
    path.join(h.settings.templatesDir, row.template, 'compose.yml'),
  ];
  for (const file of candidates) {
    try {
      return composeServices(fs.readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
  }
  return [];
}

async function attachLogs(h: Hosting, containers: ContainerInfo[], result: InfoResult): Promise<void> {
  const all = [
    ...result.tenants.flatMap((t) => t.containers),
    ...result.orphans.flatMap((o) => o.containers),
  ];
  for (const c of all) {
    const ref = containers.find((x) => x.name === c.name)?.ref;
    if (ref)
      c.logs = await h.runtime
        .logs(ref, LOG_LINES)
        .catch((err) => [`(logs unavailable: ${errorMessage(err)})`]);
  }
}

function state(c: ContainerInfo): ContainerState {
  return {
    name: c.name,
    service: c.service,
    state: c.state,
    status: c.status,
    ...(c.node ? { node: c.node } : {}),
  };
}
