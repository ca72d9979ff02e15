import { loadKeys } from '../auth/keys.js';
import { signToken } from '../auth/token.js';
import { loadConfig, type AgentConfig } from '../config/load.js';
import { parseDuration } from '../config/duration.js';

export class UsageError extends Error {}

/** The options of every command that talks to a running agent. */
export const REMOTE_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export function configFrom(values: { config?: string }): AgentConfig {
  return loadConfig(values.config ?? process.env.PROBE_CONFIG);
}

/** The agent's URL as this host sees it: --url, PROBE_URL, or the config's listen address. */
export function agentUrl(values: { url?: string }, config?: AgentConfig): string {
  if (values.url) return values.url;
  if (process.env.PROBE_URL) return process.env.PROBE_URL;
  const c = config ?? configFrom({});
  const host = c.server.host === '0.0.0.0' || c.server.host === '::' ? '127.0.0.1' : c.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${c.server.port}`;
}

/** --token, PROBE_TOKEN, or a short token minted from the local config's key. */
export function tokenFor(values: { token?: string; config?: string }, scope: string): string {
  if (values.token) return values.token;
  if (process.env.PROBE_TOKEN) return process.env.PROBE_TOKEN;
  const config = configFrom(values);
  return signToken(config.auth, loadKeys(config.auth), { sub: 'cli', scope, ttlMs: 5 * 60_000 });
}

export function ttlOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new UsageError(`--ttl: not a duration: ${value}`);
  return ms;
}
