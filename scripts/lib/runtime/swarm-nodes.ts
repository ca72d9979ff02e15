import type { SwarmSettings } from '../settings.js';
import { docker, lines } from './docker.js';
import { run } from './exec.js';
import type { NodeInfo } from './types.js';

/** A swarm node with what it takes to reach its own engine. */
export interface SwarmNode extends NodeInfo {
  id: string;
  /** The node this process's engine is (the manager the agent runs on). */
  self: boolean;
  /** Its engine endpoint from hosting.swarm.nodes, if any. */
  endpoint?: string;
}

interface NodeDoc {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Availability?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
}

const PING_TIMEOUT_MS = 5000;

/**
 * Every node as the manager sees it (two engine calls), each checked through its own
 * engine when an endpoint is configured (in parallel, 5 s at most): a stopped engine is
 * seen at once, long before the manager's heartbeat marks the node down.
 */
export async function swarmNodes(settings: SwarmSettings): Promise<SwarmNode[]> {
  const listed = lines(await docker(['node', 'ls', '--format', '{{.ID}}\t{{.Self}}']));
  if (!listed.length) return [];
  const self = new Set(listed.filter((l) => l.endsWith('\ttrue')).map((l) => l.split('\t')[0]));
  const docs = JSON.parse(await docker(['node', 'inspect', ...listed.map((l) => l.split('\t')[0])]));
  return Promise.all(
    (docs as NodeDoc[]).map(async (d) => {
      const name = d.Description?.Hostname ?? d.ID;
      const own = settings.nodes[name] ?? {};
      const isSelf = self.has(d.ID);
      const engine = isSelf ? 'ok' : own.docker ? await ping(own.docker) : 'none';
      const state = d.Status?.State ?? 'unknown';
      return {
        id: d.ID,
        name,
        address: own.address ?? nodeAddress(d),
        state,
        availability: d.Spec?.Availability ?? 'unknown',
        engine,
        up: state === 'ready' && engine !== 'unreachable',
        self: isSelf,
        endpoint: isSelf ? undefined : own.docker,
      } satisfies SwarmNode;
    }),
  );
}

/** The node's swarm address; a manager may report 0.0.0.0 there, its manager address then names it. */
function nodeAddress(d: NodeDoc): string {
  const addr = d.Status?.Addr ?? '';
  if (addr && addr !== '0.0.0.0') return addr;
  return (d.ManagerStatus?.Addr ?? '127.0.0.1').replace(/:\d+$/, '');
}

/**
 * Asks a node's own engine for its version. A refused or failed connection counts as down;
 * an engine merely slow to answer (a busy machine) is left to the manager's judgement.
 */
async function ping(endpoint: string): Promise<NodeInfo['engine']> {
  const args = ['-H', endpoint, 'version', '--format', '{{.Server.Version}}'];
  const r = await run('docker', args, { timeoutMs: PING_TIMEOUT_MS });
  if (r.ok) return 'ok';
  return r.timedOut ? 'slow' : 'unreachable';
}

/** True when we can talk to the node's own engine: the local one, or a configured endpoint. */
export function reachable(node: SwarmNode): boolean {
  return node.self || (node.endpoint !== undefined && node.engine !== 'unreachable');
}

/** docker against a node's own engine; throws with docker's message on failure. */
export function onNode(node: SwarmNode, args: string[]): Promise<string> {
  return docker(node.self || !node.endpoint ? args : ['-H', node.endpoint, ...args]);
}

export { lines } from './docker.js';
