import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadKeys } from './auth/keys.js';
import { makeVerifier } from './auth/token.js';
import type { AgentConfig } from './config/load.js';
import type { AgentContext } from './context.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { createLogger, type Logger } from './log.js';
import { RunManager } from './runs/manager.js';
import { RunStore } from './runs/store.js';
import { compileArgs, type ArgsValidator } from './tasks/args.js';

export interface RunningAgent {
  ctx: AgentContext;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * A run left `running` by an agent that died may still have its process group alive;
 * end it, but only when /proc shows the very command we started (pids get reused).
 */
function endLeftovers(rows: { pid: number | null; command: string | null }[], logger: Logger): void {
  for (const { pid, command } of rows) {
    if (!pid || !command) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const expected = JSON.parse(command) as string[];
      if (expected.every((part, i) => cmdline[i] === part)) {
        process.kill(-pid, 'SIGKILL');
        logger.warn('ended the process group of an interrupted run', { pid });
      }
    } catch {
      /* gone already */
    }
  }
}

export function buildContext(config: AgentConfig, logger: Logger): AgentContext {
  const keys = loadKeys(config.auth);
  const store = new RunStore(config.stateDir);
  store.onWriteError = (err) => logger.error('cannot write run records', { error: err.message });
  const interrupted = store.markInterrupted(new Date().toISOString());
  if (interrupted.length)
    logger.warn('runs interrupted by the previous stop', { runs: interrupted.map((r) => r.id) });
  endLeftovers(interrupted, logger);
  const metrics = createMetrics();
  const validators = new Map<string, ArgsValidator>();
  for (const task of config.tasks.values())
    validators.set(task.name, compileArgs(task.args, config.hosting?.reserved));
  const manager = new RunManager(store, {
    maxConcurrentRuns: config.server.maxConcurrentRuns,
    maxOutputBytes: config.runs.maxOutputBytes,
    hostingJson: config.hosting && JSON.stringify(config.hosting),
    onStart: () => metrics.inFlight.inc(),
    onEnd: (run, end) => {
      metrics.inFlight.dec();
      metrics.runs.inc({ task: run.task, status: end.status });
      metrics.duration.observe({ task: run.task }, end.durationMs / 1000);
      logger.info('run', {
        audit: true,
        runId: run.id,
        sub: run.sub,
        task: run.task,
        args: run.args,
        status: end.status,
        exitCode: end.exitCode,
        durationMs: end.durationMs,
      });
    },
  });
  return { config, manager, store, validators, verify: makeVerifier(config.auth, keys), logger, metrics };
}

/** Starts the agent; stop() ends live runs (recorded as interrupted) and closes the store. */
export async function startAgent(
  config: AgentConfig,
  options: { logger?: Logger; port?: number } = {},
): Promise<RunningAgent> {
  const logger = options.logger ?? createLogger({ level: config.log.level, file: config.log.file });
  const ctx = buildContext(config, logger);
  const app = createApp(ctx);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? config.server.port, config.server.host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`;
  logger.info('listening', { url, tasks: [...config.tasks.keys()] });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await ctx.manager.shutdown();
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1000).unref();
      await closed;
      ctx.store.close();
      logger.info('stopped');
    })());
  return { ctx, server, url, stop };
}
