import type { HostingSettings } from '../settings.js';
import { EXIT, TaskError } from '../task.js';
import { ComposeRuntime } from './compose.js';
import type { Runtime } from './types.js';

export type { ContainerInfo, Removal, RemovalReport, Runtime, Workload } from './types.js';

/** The runtime the settings ask for. */
export function createRuntime(settings: Pick<HostingSettings, 'runtime'>): Runtime {
  if (settings.runtime === undefined || settings.runtime === 'compose') return new ComposeRuntime();
  throw new TaskError(
    `runtime ${JSON.stringify(settings.runtime)} is not available yet (use compose)`,
    EXIT.usage,
  );
}
