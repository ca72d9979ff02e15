import type { SwarmSettings } from '../settings.js';
import type { Log } from '../task.js';
import { docker, parseVolumes, volumeListArgs } from './docker.js';
import { run } from './exec.js';
import { projectName } from './render.js';
import { lines, onNode, reachable, swarmNodes, type SwarmNode } from './swarm-nodes.js';
import { STACK_LABEL, stackServices } from './swarm-tasks.js';
import { LABEL_DATA_KEY, LABEL_TENANT, type Removal, type RemovalReport, type VolumeInfo } from './types.js';

const GONE_TIMEOUT_MS = 60_000;

/**
 * Removes a tenant's stack: `docker stack rm`, a wait until every reachable node has dropped
 * its containers and networks, then its volumes, node by node, through each node's own
 * engine. A node that cannot be asked (down, or no endpoint) and may hold the tenant's data
 * makes the removal fail, so the registry keeps the row and a later teardown finishes it.
 */
export async function removeStack(
  settings: SwarmSettings,
  removal: Removal,
  log: Log,
): Promise<RemovalReport> {
  const stack = projectName(removal.id);
  const nodes = await swarmNodes(settings);
  const services = await stackServices(removal.id);
  const networks = lines(await docker(['network', 'ls', '-q', '--filter', `label=${STACK_LABEL}=${stack}`]));
  if (services.length || networks.length) {
    const r = await run('docker', ['stack', 'rm', stack], { log, timeoutMs: 120_000 });
    // stack rm may try the network before the tasks have left it; it is removed below then.
    if (!r.ok && !/in use by task|active endpoints/i.test(r.output)) {
      throw new Error(`docker stack rm failed: ${r.problem}`);
    }
  }
  await waitGone(stack, nodes.filter(reachable), log);
  const problems: string[] = [];
  let volumes = 0;
  for (const node of nodes) {
    if (!reachable(node)) {
      const why = node.endpoint
        ? 'its engine does not answer'
        : `no hosting.swarm.nodes.${node.name}.docker endpoint`;
      if (node.name === removal.node || node.endpoint) problems.push(`node ${node.name}: ${why}`);
      else log(`warning: node ${node.name} not checked for volumes (${why})`);
      continue;
    }
    const doomed = (await nodeVolumes(node, removal.id)).filter(
      (v) => !removal.keepDataKeys.includes(v.dataKey),
    );
    if (!doomed.length) continue;
    await onNode(node, ['volume', 'rm', '--force', ...doomed.map((v) => v.name)]);
    log(`removed data volumes ${doomed.map((v) => v.name).join(', ')} on ${node.name}`);
    volumes += doomed.length;
  }
  if (problems.length) {
    throw new Error(`${problems.join('; ')}: what is left there goes with a teardown once it is back`);
  }
  return { containers: services.length, networks: networks.length, volumes };
}

/** A tenant's volumes on one node, each with that node. */
export async function nodeVolumes(node: SwarmNode, tenant: string): Promise<VolumeInfo[]> {
  return parseVolumes(await onNode(node, volumeListArgs(tenant))).map((v) => ({ ...v, node: node.name }));
}

/**
 * Waits until no reachable node holds a container or network of the stack. A container the
 * swarm has stopped (gracefully) is removed at once rather than when the node gets round to
 * it; one still there after a minute is removed by force.
 */
async function waitGone(stack: string, nodes: SwarmNode[], log: Log): Promise<void> {
  const label = `label=${STACK_LABEL}=${stack}`;
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  for (;;) {
    const left = await Promise.all(
      nodes.map(async (n) => {
        const ps = lines(await onNode(n, ['ps', '-a', '--filter', label, '--format', '{{.ID}} {{.State}}']));
        const stopped = ps.filter((l) => /\s(exited|created|dead)$/.test(l)).map((l) => l.split(' ')[0]);
        if (stopped.length) await onNode(n, ['rm', '--volumes', ...stopped]).catch(() => undefined);
        const ids = ps.map((l) => l.split(' ')[0]).filter((id) => !stopped.includes(id));
        return { n, ids, nets: lines(await onNode(n, ['network', 'ls', '-q', '--filter', label])) };
      }),
    );
    const busy = left.filter((l) => l.ids.length);
    if (!busy.length && !left.some((l) => l.nets.length)) return;
    // Once no node runs its tasks, a network stack rm could not remove goes from the manager.
    const managerNets = left.find((l) => l.n.self)?.nets ?? [];
    if (!busy.length && managerNets.length)
      await docker(['network', 'rm', ...managerNets]).catch(() => undefined);
    if (Date.now() >= deadline) {
      for (const { n, ids } of busy) await onNode(n, ['rm', '--force', '--volumes', ...ids]);
      const where = left.filter((l) => l.ids.length || l.nets.length).map((l) => l.n.name);
      log(
        `warning: ${stack} still had containers or networks on ${where.join(', ')} after ${GONE_TIMEOUT_MS / 1000}s; containers removed by force`,
      );
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
