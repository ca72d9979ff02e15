/**
 * The hosting settings a hosting task receives from the agent, already resolved
 * (absolute paths, defaults applied), as JSON in the PROBE_HOSTING variable.
 * Scripts never re-read the agent's YAML: this keeps their start-up cheap.
 */
export interface NginxSettings {
  /** Folder of per-tenant vhost files, included by the nginx main config. */
  confDir: string;
  /** Port nginx listens on for tenant sites. */
  listen: number;
  /** Command (argv) that validates the whole nginx config, e.g. ["nginx","-t"]. */
  test: string[];
  /** Command (argv) that reloads nginx gracefully, e.g. ["nginx","-s","reload"]. */
  reload: string[];
  /** Absolute path of the vhost template. */
  vhostTemplate: string;
  /** Folder for the per-tenant access and error logs. */
  logDir: string;
}

/** One swarm node as the agent reaches it; keyed by the node's hostname. */
export interface SwarmNodeSettings {
  /** That node's own engine (unix://, tcp://, ssh://): volumes are node-local, only it can remove them. */
  docker?: string;
  /** The address nginx and the health checks reach the node's published ports on; default its swarm address. */
  address?: string;
}

export interface SwarmSettings {
  /** Per-node engine endpoints and addresses; the manager the agent runs on needs no entry. */
  nodes: Record<string, SwarmNodeSettings>;
  /** Extra placement constraints for every tenant service, e.g. "node.labels.probe.tenants == 1". */
  constraints: string[];
  /** Resource limits for each tenant service that does not declare its own. */
  limits: { memory: string; cpus: number };
}

export interface HostingSettings {
  /** Absolute; the registry is <stateDir>/registry.db, tenants live in <stateDir>/tenants/<id>/. */
  stateDir: string;
  domain: string;
  defaultTemplate: string;
  /** Absolute folder holding one folder per template. */
  templatesDir: string;
  ports: { from: number; to: number };
  reserved: string[];
  runtime: 'compose' | 'swarm';
  /** The swarm runtime's settings; defaults apply when absent. */
  swarm?: SwarmSettings;
  nginx: NginxSettings;
}

export const SWARM_DEFAULTS: SwarmSettings = {
  nodes: {},
  constraints: [],
  limits: { memory: '512M', cpus: 1 },
};

export const HOSTING_ENV = 'PROBE_HOSTING';

export class SettingsError extends Error {}

/** Reads the settings the agent handed over; throws a SettingsError naming what is missing. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): HostingSettings {
  const raw = env[HOSTING_ENV];
  if (!raw) {
    throw new SettingsError(
      'this task needs the hosting section of the agent config (hosting: ...), and the agent has none',
    );
  }
  try {
    return JSON.parse(raw) as HostingSettings;
  } catch {
    throw new SettingsError(`${HOSTING_ENV} is not valid JSON`);
  }
}
