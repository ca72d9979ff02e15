import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadKeys } from '../../agent/auth/keys.js';
import { signToken } from '../../agent/auth/token.js';
import { loadConfig, type AgentConfig } from '../../agent/config/load.js';
import { createLogger } from '../../agent/log.js';
import { startAgent, type RunningAgent } from '../../agent/server.js';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures');

/** The tasks most agent tests use: tiny fixture scripts, run with this Node. */
export const FIXTURE_TASKS = {
  echo: {
    description: 'echoes argv and env',
    command: ['node', join(FIXTURES, 'echo.mjs')],
    args: {
      name: { type: 'string' },
      code: { type: 'integer', minimum: 0, maximum: 255 },
      count: { type: 'integer', minimum: 1, maximum: 10, default: 2 },
      loud: { type: 'boolean' },
      id: { type: 'tenant' },
    },
    env: { GREETING: 'hi' },
  },
  slow: {
    description: 'prints lines slowly',
    command: ['node', join(FIXTURES, 'slow.mjs')],
    args: { lines: { type: 'integer', default: 5 }, every: { type: 'integer', default: 100 } },
    timeout: '20s',
  },
  locked: {
    description: 'prints lines slowly, one run per key',
    command: ['node', join(FIXTURES, 'slow.mjs')],
    args: {
      key: { type: 'string', required: true },
      lines: { type: 'integer', default: 3 },
      every: { type: 'integer', default: 200 },
    },
    lock: 'slow:{key}',
  },
  stubborn: {
    description: 'ignores SIGTERM',
    command: ['node', join(FIXTURES, 'stubborn.mjs')],
    timeout: '1s',
    killGrace: '300ms',
  },
};

export interface TestAgent extends RunningAgent {
  dir: string;
  config: AgentConfig;
  token(scope: string, sub?: string, ttlMs?: number): string;
  logs: string[];
}

/** Writes a config into a fresh temp folder and returns it loaded (so paths resolve as in production). */
export function writeConfig(overrides: Record<string, unknown> = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'probe-test-'));
  const file = join(dir, 'agent.yaml');
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    stateDir: './state',
    log: { level: 'info' },
    auth: {
      algorithms: ['HS256'],
      secretFile: './state/jwt.secret',
      issuer: 'probe',
      audience: 'probe',
      maxTtl: '1h',
    },
    tasks: FIXTURE_TASKS,
    ...overrides,
  };
  writeFileSync(file, stringify(config));
  chmodSync(file, 0o644);
  return { dir, file };
}

/** Starts a real agent on a free loopback port, capturing its log lines. */
export async function startTestAgent(
  overrides: Record<string, unknown> = {},
  existingFile?: string,
): Promise<TestAgent> {
  const { dir, file } = existingFile
    ? { dir: resolve(existingFile, '..'), file: existingFile }
    : writeConfig(overrides);
  const config = loadConfig(file);
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', silent: true });
  logger.on('data', (info: unknown) => logs.push(JSON.stringify(info)));
  const agent = await startAgent(config, { logger });
  const keys = loadKeys(config.auth);
  return {
    ...agent,
    dir,
    config,
    logs,
    token: (scope, sub = 'tester', ttlMs) => signToken(config.auth, keys, { sub, scope, ttlMs }),
  };
}
