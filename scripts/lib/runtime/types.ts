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
}

export interface Removal {
  id: string;
  dir: string;
  /** Data volumes carrying one of these keys survive; every other volume of the tenant goes. */
  keepDataKeys: string[];
}

/** What was found, and removed, by `down`. */
export interface RemovalReport {
  containers: number;
  networks: number;
  volumes: number;
}

/** The only seam to the container engine. `compose` today; `swarm` later. */
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
  volumes(tenant: string): Promise<{ name: string; dataKey: string }[]>;
}
