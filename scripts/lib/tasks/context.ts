import { Registry } from '../registry.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import type { HostingSettings } from '../settings.js';

/** What every hosting task works with: the settings, the tenant registry and the runtime. */
export interface Hosting {
  settings: HostingSettings;
  registry: Registry;
  runtime: Runtime;
}

export function openHosting(settings: HostingSettings, runtime: Runtime = createRuntime(settings)): Hosting {
  return { settings, registry: Registry.open(settings.stateDir), runtime };
}

/** Opens the hosting context, runs a task body with it and closes the registry. */
export async function withHosting<T>(
  settings: HostingSettings,
  body: (h: Hosting) => Promise<T>,
): Promise<T> {
  const hosting = openHosting(settings);
  try {
    return await body(hosting);
  } finally {
    hosting.registry.close();
  }
}
