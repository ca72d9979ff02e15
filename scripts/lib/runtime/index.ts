import { SWARM_DEFAULTS, type HostingSettings } from '../settings.js';
import { ComposeRuntime } from './compose.js';
import { SwarmRuntime } from './swarm.js';
import type { Runtime } from './types.js';

export type {
  ContainerInfo,
  NodeInfo,
  Removal,
  RemovalReport,
  Runtime,
  VolumeInfo,
  Workload,
} from './types.js';

/** The runtime the settings ask for: compose (one host, the default) or swarm (a cluster). */
export function createRuntime(settings: Pick<HostingSettings, 'runtime' | 'swarm'>): Runtime {
  if (settings.runtime === 'swarm') return new SwarmRuntime(settings.swarm ?? SWARM_DEFAULTS);
  return new ComposeRuntime();
}
