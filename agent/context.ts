import type { Principal } from './auth/token.js';
import type { AgentConfig } from './config/load.js';
import type { Metrics } from './http/metrics.js';
import type { Logger } from './log.js';
import type { RunManager } from './runs/manager.js';
import type { RunStore } from './runs/store.js';
import type { ArgsValidator } from './tasks/args.js';

/** Everything the HTTP layer needs, built once at start. */
export interface AgentContext {
  config: AgentConfig;
  manager: RunManager;
  store: RunStore;
  validators: ReadonlyMap<string, ArgsValidator>;
  verify: (token: string) => Principal;
  logger: Logger;
  metrics: Metrics;
}
