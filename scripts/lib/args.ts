import { EXIT, TaskError } from './task.js';

/** The typed arguments of each hosting task, parsed from the `--name=value` map. */
export interface DeployArgs {
  id: string;
  template?: string;
  restoreData: boolean;
}
export interface TenantArgs {
  id: string;
}
export interface TeardownArgs {
  id: string;
  keepData: boolean;
}
export interface InfoArgs {
  id?: string;
}

export function deployArgs(raw: Record<string, string>): DeployArgs {
  allowOnly(raw, ['id', 'template', 'restoreData']);
  return {
    id: required(raw, 'id'),
    template: optional(raw, 'template'),
    restoreData: bool(raw, 'restoreData'),
  };
}

export function tenantArgs(raw: Record<string, string>): TenantArgs {
  allowOnly(raw, ['id']);
  return { id: required(raw, 'id') };
}

export function teardownArgs(raw: Record<string, string>): TeardownArgs {
  allowOnly(raw, ['id', 'keepData']);
  return { id: required(raw, 'id'), keepData: bool(raw, 'keepData') };
}

export function infoArgs(raw: Record<string, string>): InfoArgs {
  allowOnly(raw, ['id']);
  return { id: optional(raw, 'id') };
}

function allowOnly(raw: Record<string, string>, names: string[]): void {
  for (const name of Object.keys(raw)) {
    if (!names.includes(name)) {
      throw new TaskError(
        `unknown argument --${name} (expected ${names.map((n) => `--${n}`).join(', ')})`,
        EXIT.usage,
      );
    }
  }
}

/** An empty value counts as absent: the agent may pass an optional arg as `--name=`. */
function optional(raw: Record<string, string>, name: string): string | undefined {
  const value = raw[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(raw: Record<string, string>, name: string): string {
  const value = optional(raw, name);
  if (value === undefined) throw new TaskError(`missing argument --${name}`, EXIT.usage);
  return value;
}

function bool(raw: Record<string, string>, name: string): boolean {
  const value = optional(raw, name);
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new TaskError(`--${name} must be true or false, got ${JSON.stringify(value)}`, EXIT.usage);
}
