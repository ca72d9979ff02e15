import { readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import type { HostingSettings } from '../../scripts/lib/settings.js';
import { configSchema, type RawConfig, type TaskSpec } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface TaskConfig extends Omit<TaskSpec, 'timeout' | 'killGrace'> {
  name: string;
  timeoutMs: number;
  killGraceMs: number;
}

export interface AgentConfig extends Omit<RawConfig, 'tasks' | 'hosting'> {
  /** Absolute path of the config file this came from. */
  file: string;
  tasks: ReadonlyMap<string, TaskConfig>;
  hosting?: HostingSettings;
}

export const DEFAULT_CONFIG = 'config/agent.yaml';

/** Turns zod issues into one message per bad key, each naming the key's path. */
function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const at = i.path.length ? i.path.join('.') : '(top level)';
      if (i.code === 'unrecognized_keys')
        return `${at}: unknown key ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${at}: ${i.message}`;
    })
    .join('\n  ');
}

function readConfigFile(file: string): unknown {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    throw new ConfigError(`config file not found: ${file}`);
  }
  if (mode & 0o022) {
    throw new ConfigError(
      `config file ${file} is writable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod go-w on it`,
    );
  }
  try {
    return parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
}

/** Loads, validates, resolves and freezes the agent config. Throws ConfigError naming the bad key. */
export function loadConfig(path: string = process.env.PROBE_CONFIG ?? DEFAULT_CONFIG): AgentConfig {
  const file = resolve(path);
  const parsed = configSchema.safeParse(readConfigFile(file));
  if (!parsed.success)
    throw new ConfigError(`invalid config ${file}:\n  ${describeIssues(parsed.error.issues)}`);
  return resolveConfig(parsed.data, file);
}

export function resolveConfig(raw: RawConfig, file: string): AgentConfig {
  const dir = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  checkAlgorithms(raw.auth);
  const stateDir = at(raw.stateDir);
  const tasks = new Map<string, TaskConfig>();
  for (const [name, spec] of Object.entries(raw.tasks)) {
    tasks.set(name, resolveTask(name, spec, dir, raw.runs.killGrace));
  }
  const config: AgentConfig = {
    ...raw,
    file,
    stateDir,
    log: { ...raw.log, file: raw.log.file && at(raw.log.file) },
    auth: {
      ...raw.auth,
      secretFile: raw.auth.secretFile && at(raw.auth.secretFile),
      publicKeyFile: raw.auth.publicKeyFile && at(raw.auth.publicKeyFile),
      privateKeyFile: raw.auth.privateKeyFile && at(raw.auth.privateKeyFile),
    },
    tasks,
    hosting: raw.hosting && resolveHosting(raw.hosting, at, stateDir),
  };
  return deepFreeze(config);
}

function checkAlgorithms(auth: RawConfig['auth']): void {
  const hmac = auth.algorithms.filter((a) => a.startsWith('HS'));
  if (hmac.length && hmac.length !== auth.algorithms.length) {
    throw new ConfigError('auth.algorithms: mixing HMAC (HS*) and asymmetric algorithms is refused');
  }
  if (hmac.length && !auth.secretFile) throw new ConfigError('auth.secretFile: required for HS* algorithms');
  if (!hmac.length && !auth.publicKeyFile) {
    throw new ConfigError('auth.publicKeyFile: required for asymmetric algorithms');
  }
}

/** `node` means this very Node binary; `./` and `../` entries are relative to the config folder. */
function resolveTask(name: string, spec: TaskSpec, dir: string, defaultGrace: number): TaskConfig {
  const command = spec.command.map((part, i) => {
    if (i === 0 && part === 'node') return process.execPath;
    if (part.startsWith('./') || part.startsWith('../')) return resolve(dir, part);
    return part;
  });
  if (isAbsolute(command[0]) && !existsSync(command[0])) {
    throw new ConfigError(`tasks.${name}.command: ${command[0]} does not exist`);
  }
  for (const [arg, a] of Object.entries(spec.args)) {
    if (a.pattern !== undefined) {
      try {
        new RegExp(a.pattern, 'u');
      } catch {
        throw new ConfigError(`tasks.${name}.args.${arg}.pattern: not a valid regular expression`);
      }
    }
  }
  const { timeout, killGrace, ...rest } = spec;
  return { ...rest, name, command, timeoutMs: timeout, killGraceMs: killGrace ?? defaultGrace };
}

function resolveHosting(
  h: NonNullable<RawConfig['hosting']>,
  at: (p: string) => string,
  stateDir: string,
): HostingSettings {
  const templatesDir = at(h.templatesDir);
  return {
    stateDir,
    domain: h.domain,
    defaultTemplate: h.defaultTemplate,
    templatesDir,
    ports: h.ports,
    reserved: h.reserved,
    runtime: h.runtime,
    ...(h.swarm ? { swarm: h.swarm } : {}),
    nginx: {
      ...h.nginx,
      confDir: at(h.nginx.confDir),
      logDir: at(h.nginx.logDir),
      vhostTemplate: at(h.nginx.vhostTemplate ?? resolve(templatesDir, 'nginx/vhost.conf')),
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) for (const v of value.values()) deepFreeze(v);
    else for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
