import fs from 'node:fs';
import path from 'node:path';
import type { NginxSettings } from '../settings.js';
import type { Log } from '../task.js';
import { run } from '../runtime/exec.js';
import { withNginxLock } from './lock.js';
import { renderDefaultServer, renderVhost } from './render.js';

export const DEFAULT_SERVER_FILE = '000-default.conf';

export interface Site {
  id: string;
  serverName: string;
  appPort: number;
  /** Where the app's port answers: 127.0.0.1 on one host, the node's address on a cluster. */
  address?: string;
}

/** The first line of every vhost we write names its upstream, so a re-point can compare. */
const UPSTREAM_MARK = '# probe upstream: ';

export function upstreamOf(site: Site): string {
  return `${site.address ?? '127.0.0.1'}:${site.appPort}`;
}

/** The upstream a vhost file was written for, or undefined when it has none or does not exist. */
export function currentUpstream(nginx: NginxSettings, id: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(vhostFile(nginx, id), 'utf8');
  } catch {
    return undefined;
  }
  return text.startsWith(UPSTREAM_MARK) ? text.slice(UPSTREAM_MARK.length, text.indexOf('\n')) : undefined;
}

/** A tenant's vhost file as writeVhost writes it: the upstream mark, then the rendered template. */
export function renderSite(nginx: NginxSettings, site: Site): string {
  const upstream = upstreamOf(site);
  const text = renderVhost(fs.readFileSync(nginx.vhostTemplate, 'utf8'), {
    ID: site.id,
    SERVER_NAME: site.serverName,
    LISTEN: String(nginx.listen),
    UPSTREAM: upstream,
    LOG_DIR: nginx.logDir,
  });
  return `${UPSTREAM_MARK}${upstream}\n${text}`;
}

/** The vhost file of a tenant. */
export function vhostFile(nginx: NginxSettings, id: string): string {
  return path.join(nginx.confDir, `${id}.conf`);
}

/**
 * Writes a tenant's vhost (and the catch-all default server if needed), checks the
 * whole config with nginx's test command and reloads gracefully. When nginx rejects
 * the config, the previous files come back and nginx is not reloaded.
 */
export async function writeVhost(
  stateDir: string,
  nginx: NginxSettings,
  site: Site,
  log: Log,
): Promise<string> {
  const text = renderSite(nginx, site);
  const file = vhostFile(nginx, site.id);
  await withNginxLock(stateDir, async () => {
    fs.mkdirSync(nginx.confDir, { recursive: true });
    fs.mkdirSync(nginx.logDir, { recursive: true });
    const defaultFile = path.join(nginx.confDir, DEFAULT_SERVER_FILE);
    const undo = [
      replaceFile(defaultFile, renderDefaultServer(nginx.listen, nginx.logDir)),
      replaceFile(file, text),
    ];
    log(`wrote ${file}`);
    await testAndReload(nginx, log, () => undo.reverse().forEach((restore) => restore()));
  });
  return file;
}

/**
 * Points an existing vhost at a new upstream (a tenant that moved to another node), through
 * the same test, reload and restore path as writeVhost. A missing vhost is left missing: a
 * tenant being removed is never published again.
 */
export async function repointVhost(
  stateDir: string,
  nginx: NginxSettings,
  site: Site,
  log: Log,
): Promise<'absent' | 'unchanged' | 'repointed'> {
  const upstream = upstreamOf(site);
  const now = () => (fs.existsSync(vhostFile(nginx, site.id)) ? currentUpstream(nginx, site.id) : null);
  if (now() === upstream) return 'unchanged';
  return withNginxLock(stateDir, async () => {
    const before = now();
    if (before === null) return 'absent';
    if (before === upstream) return 'unchanged';
    const restore = replaceFile(vhostFile(nginx, site.id), renderSite(nginx, site));
    log(`re-pointing ${site.serverName}: ${before ?? '?'} -> ${upstream}`);
    await testAndReload(nginx, log, restore);
    return 'repointed';
  });
}

/** Removes a tenant's vhost and reloads; false when there was none. */
export async function removeVhost(
  stateDir: string,
  nginx: NginxSettings,
  id: string,
  log: Log,
): Promise<boolean> {
  const file = vhostFile(nginx, id);
  if (!fs.existsSync(file)) return false;
  await withNginxLock(stateDir, async () => {
    const previous = fs.readFileSync(file, 'utf8');
    fs.rmSync(file, { force: true });
    log(`removed ${file}`);
    await testAndReload(nginx, log, () => atomicWrite(file, previous));
  });
  return true;
}

async function testAndReload(nginx: NginxSettings, log: Log, restore: () => void): Promise<void> {
  const test = await run(nginx.test[0], nginx.test.slice(1), { timeoutMs: 30_000 });
  if (!test.ok) {
    restore();
    throw new Error(
      `nginx rejected the configuration, previous files restored, not reloaded: ${nginxError(test)}`,
    );
  }
  log('nginx configuration test passed');
  const reload = await run(nginx.reload[0], nginx.reload.slice(1), { timeoutMs: 30_000 });
  if (!reload.ok) {
    restore();
    throw new Error(`nginx reload failed, previous files restored: ${nginxError(reload)}`);
  }
  log('nginx reloaded');
}

/** The lines nginx flags as errors, else the whole failure summary. */
function nginxError(r: { output: string; problem: string }): string {
  const lines = r.output.split('\n').filter((l) => /\[(emerg|alert|crit|error)\]/.test(l));
  return lines.length ? lines.join(' | ') : r.problem;
}

/** Puts `text` in place when it differs; returns how to put the old content back. */
function replaceFile(file: string, text: string): () => void {
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (previous === text) return () => {};
  atomicWrite(file, text);
  return () => (previous === undefined ? fs.rmSync(file, { force: true }) : atomicWrite(file, previous));
}

/** Temp file in the same folder (not ending in .conf, so nginx never includes it), then rename. */
function atomicWrite(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, file);
}
