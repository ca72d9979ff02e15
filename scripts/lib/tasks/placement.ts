import type { KeptData, NodeChoice } from '../registry.js';
import type { NodeInfo } from '../runtime/index.js';
import { EXIT, TaskError } from '../task.js';
import type { Template } from '../template.js';
import type { Hosting } from './context.js';

/**
 * The placement rule: the active, up node with the fewest tenants pinned to it; a tie goes
 * to the first by name. Counting tenants (not free memory) keeps the choice a pure function
 * of the registry, made inside its write lock, so parallel provisions spread evenly.
 */
export function chooseNode(candidates: NodeInfo[], load: Record<string, number>): string {
  const sorted = [...candidates].sort(
    (a, b) => (load[a.name] ?? 0) - (load[b.name] ?? 0) || a.name.localeCompare(b.name),
  );
  return sorted[0].name;
}

/** Nodes that may take a new tenant: Ready, engine answering, availability active. */
export function candidates(nodes: NodeInfo[]): NodeInfo[] {
  return nodes.filter((n) => n.up && n.availability === 'active');
}

/**
 * Where a new tenant goes: nowhere in particular on a single host (null), floating for a
 * stateless template (null), the node holding its kept volumes for a restore, else a
 * choice by the rule above, made when the registry row is written.
 */
export async function placement(
  h: Hosting,
  id: string,
  template: Template,
  kept: KeptData | undefined,
): Promise<NodeChoice> {
  const nodes = (await h.runtime.nodes?.()) ?? [];
  if (!nodes.length) return null;
  if (kept) {
    const holder = (await h.runtime.volumes(id)).find((v) => v.dataKey === kept.dataKey)?.node;
    const node = nodes.find((n) => n.name === holder);
    if (!node?.up) {
      throw new TaskError(`kept data of ${id} is on node ${holder ?? '?'}, which is not up`, EXIT.failed);
    }
    return node.name;
  }
  if (template.stateless) return null;
  const free = candidates(nodes);
  if (!free.length) {
    const states = nodes.map((n) => `${n.name} ${n.state}/${n.availability}/engine ${n.engine}`).join(', ');
    throw new TaskError(`no node can take ${id}: none is up and active (${states})`, EXIT.failed);
  }
  return (load) => chooseNode(free, load);
}
