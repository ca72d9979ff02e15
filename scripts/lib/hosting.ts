import path from 'node:path';
import { loadSettings, SettingsError, type HostingSettings } from './settings.js';
import { EXIT, TaskError, type Log } from './task.js';
import { tenantIdProblem } from './tenant.js';

/** Loads the hosting settings; a missing or broken hosting section is a usage error (exit 2). */
export function hostingSettings(env: NodeJS.ProcessEnv = process.env): HostingSettings {
  try {
    return loadSettings(env);
  } catch (err) {
    if (err instanceof SettingsError) throw new TaskError(err.message, EXIT.usage);
    throw err;
  }
}

/** Re-checks the tenant id (the agent checked it too) before it touches a path or a name. */
export function checkTenantId(id: string | undefined, settings: HostingSettings): string {
  const problem = tenantIdProblem(id, settings.reserved);
  if (problem) throw new TaskError(problem, EXIT.usage);
  return id as string;
}

export function tenantsRoot(settings: HostingSettings): string {
  return path.join(settings.stateDir, 'tenants');
}

export function tenantDir(settings: HostingSettings, id: string): string {
  return path.join(tenantsRoot(settings), id);
}

export function serverName(settings: HostingSettings, id: string): string {
  return `${id}.${settings.domain}`;
}

/** The public address of a tenant; the port is left out when it is 80. */
export function tenantUrl(settings: HostingSettings, id: string): string {
  const port = settings.nginx.listen === 80 ? '' : `:${settings.nginx.listen}`;
  return `http://${serverName(settings, id)}${port}/`;
}

/** Prefixes every line with a step name, e.g. `[deploy] -----> Starting containers`. */
export function tagged(log: Log, step: string): Log {
  return (line) => log(`[${step}] ${line}`);
}

export function step(log: Log, message: string): void {
  log(`-----> ${message}`);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
