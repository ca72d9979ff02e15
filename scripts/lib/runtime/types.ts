import type { Log } from '../task.js';
import type { Template } from '../template.js';

/** Labels put on every container, network and volume the runtime creates. */
export const LABEL_MANAGED = 'io.probe.managed';
export const LABEL_TENANT = 'io.probe.tenant';
export const LABEL_DATA_KEY = 'io.probe.data-key';

/** What a tenant runs: a template with its ports, its data key and its own folder. */
export interface Workload {
  id: string;
  template: Template;
  ports: { app: number; db: number };
  /** Random hex that names this deployment's volumes, so a reused id never sees older data. */
  dataKey: string;
  /** The tenant folder, where the runtime keeps its rendered files. */
  dir: string;
  /** The node its services are pinned to; null when they float (stateless). Single-host runtimes ignore it. */
  node?: string | null;
}

export interface ContainerInfo {
  /** Container id. */
  ref: string;
  name: string;
  tenant: string;
  service: string;
  /** running, exited, created, restarting, paused or dead. */
  state: string;
  /** Human status, e.g. "Up 3 minutes" or "Exited (1) 2 seconds ago". */
  status: string;
  /** The node it runs on, for runtimes with more than one. */
  node?: string;
}

/** A node of a multi-node runtime, as the manager and the node's own engine see it. */
export interface NodeInfo {
  /** Its host name, the key of hosting.swarm.nodes and of the registry's node column. */
  name: string;
  /** Where its published ports answer. */
  address: string;
  /** The manager's view: ready, down, unknown or disconnected. */
  state: string;
  /** active, pause or drain. */
  availability: string;
  /** Its own engine: ok, unreachable (refuses), slow (no answer in time), or none (no endpoint configured). */
  engine: 'ok' | 'unreachable' | 'slow' | 'none';
  /** Ready and, when we can ask its engine, answering. */
  up: boolean;
}

/** A data volume of a tenant, and the node that holds it (multi-node runtimes). */
export interface VolumeInfo {
  name: string;
  dataKey: string;
  node?: string;
}

export interface Removal {
  id: string;
  dir: string;
  /** Data volumes carrying one of these keys survive; every other volume of the tenant goes. */
  keepDataKeys: string[];
  /** The node the tenant was pinned to, when known: it must be reachable for its volumes to go. */
  node?: string | null;
}

/** What was found, and removed, by `down`. */
export interface RemovalReport {
  containers: number;
  networks: number;
  volumes: number;
}

/** The only seam to the container engine: `compose` (one host) or `swarm` (a cluster). */
export interface Runtime {
  readonly kind: string;
  /** Fails at once, naming the cause, when the engine cannot be reached. */
  ensureReachable(): Promise<void>;
  /** Writes the tenant's runtime files into its folder and starts its services in the background. */
  up(workload: Workload, log: Log): Promise<void>;
  /** Stops and removes the tenant's containers and networks, and its data volumes but the kept ones. */
  down(removal: Removal, log: Log): Promise<RemovalReport>;
  /** Every container we manage (or one tenant's), from a single engine call. */
  list(tenant?: string): Promise<ContainerInfo[]>;
  /** The last lines a container printed. */
  logs(ref: string, lines: number): Promise<string[]>;
  /** Names of the tenant's data volumes with their data keys. */
  volumes(tenant: string): Promise<VolumeInfo[]>;
  /** The nodes tenants can run on; absent on a single-host runtime (everything is on 127.0.0.1). */
  nodes?(): Promise<NodeInfo[]>;
}
