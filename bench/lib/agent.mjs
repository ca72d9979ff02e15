// Starts a real agent (the built CLI, `probe serve`) on a free loopback port, with its
// own config and state in a temp folder and its log lines in a file there.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { capture, freePort, startServer, waitHttp } from './proc.mjs';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/agent/cli.js');

function newestMtime(dir, ext) {
  let newest = { file: '', mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    const { mtimeMs } = statSync(file);
    if (mtimeMs > newest.mtime) newest = { file, mtime: mtimeMs };
  }
  return newest;
}

/** The benchmarks measure dist/: refuse to measure a build older than agent/. */
export function requireBuild() {
  if (!existsSync(CLI)) throw new Error('dist/agent/cli.js is missing; run `npm run build` first');
  const src = newestMtime(join(ROOT, 'agent'), '.ts');
  const out = newestMtime(join(ROOT, 'dist/agent'), '.js');
  if (src.mtime > out.mtime) {
    throw new Error(`${relative(ROOT, src.file)} is newer than dist/agent; run \`npm run build\` first`);
  }
}

/**
 * @typedef {{ url: string, token: string, dir: string, config: string, logFile: string,
 *   command: string[], pid: number | undefined, stop(): Promise<void> }} BenchAgent
 */

/**
 * @param {Record<string, unknown>} tasks the `tasks:` section
 * @param {Record<string, unknown>} [server] extra `server:` keys
 * @param {{ nodeArgs?: string[], config?: Record<string, unknown> }} [options] `nodeArgs` e.g.
 *   `--cpu-prof` for a profile of the agent; `config` more top-level keys (`hosting:`)
 * @returns {Promise<BenchAgent>}
 */
export async function startAgent(tasks, server = {}, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'probe-bench-'));
  const config = join(dir, 'agent.yaml');
  const port = await freePort();
  const body = {
    server: { host: '127.0.0.1', port, maxConcurrentRuns: 64, ...server },
    stateDir: './state',
    log: { level: 'info' },
    auth: { algorithms: ['HS256'], secretFile: './state/jwt.secret', maxTtl: '1h' },
    tasks,
    ...options.config,
  };
  writeFileSync(config, `${JSON.stringify(body, null, 2)}\n`); // JSON is YAML
  chmodSync(config, 0o644);
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  let token;
  try {
    token = (
      await capture(process.execPath, [CLI, 'token', '--config', config, '--sub', 'bench', '--scope', '*'])
    ).trim();
  } catch (err) {
    cleanUp();
    throw err;
  }
  const logFile = join(dir, 'agent.log');
  const args = [...(options.nodeArgs ?? []), CLI, 'serve', '--config', config];
  const proc = startServer(process.execPath, args, { logFile });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/healthz`);
  } catch (err) {
    await proc.stop();
    const log = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
    cleanUp();
    throw new Error(`the agent did not start: ${err.message}\n${log}`);
  }
  return {
    url,
    token,
    dir,
    config,
    logFile,
    command: proc.command,
    pid: proc.pid,
    async stop() {
      await proc.stop();
      cleanUp();
    },
  };
}
