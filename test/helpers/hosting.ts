import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HostingSettings, NginxSettings } from '../../scripts/lib/settings.js';
import { REPO } from './nginx.js';

const run = promisify(execFile);

export const RESULT_PREFIX = '::result:: ';

export interface TaskRun {
  code: number;
  stdout: string;
  stderr: string;
  result: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  ms: number;
}

/** Hosting settings over a fresh temp state folder, the repo's templates and a private nginx. */
export function makeSettings(
  nginx: NginxSettings,
  overrides: Partial<HostingSettings> = {},
): HostingSettings {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-state-'));
  return {
    stateDir,
    domain: 'saas.localhost',
    defaultTemplate: 'demo',
    templatesDir: path.join(REPO, 'config/templates'),
    ports: { from: 18000, to: 18999 },
    reserved: ['www', 'api', 'admin'],
    runtime: 'compose',
    nginx,
    ...overrides,
  };
}

/** Runs a compiled task script the way the agent does: `node dist/scripts/<task>.js --k=v`, small env. */
export function runTask(
  task: string,
  args: Record<string, string | boolean>,
  settings: HostingSettings | undefined,
  extraEnv: Record<string, string> = {},
): Promise<TaskRun> {
  const argv = Object.entries(args).map(([k, v]) => `--${k}=${v}`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    PROBE_RUN_ID: `test-${Date.now()}`,
    ...(settings ? { PROBE_HOSTING: JSON.stringify(settings) } : {}),
    ...extraEnv,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('node', [path.join(REPO, 'dist/scripts', `${task}.js`), ...argv], { env, cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      const result = line ? JSON.parse(line.slice(RESULT_PREFIX.length)) : undefined;
      resolve({ code: code ?? -1, stdout, stderr, result, ms: Date.now() - started });
    });
  });
}

/** Runs docker and returns its non-empty output lines. */
export async function docker(...args: string[]): Promise<string[]> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

/** Everything docker still holds for a tenant: containers, networks, volumes. */
export async function dockerLeftovers(id: string): Promise<string[]> {
  const byLabel = `label=io.probe.tenant=${id}`;
  const byProject = `label=com.docker.compose.project=probe-${id}`;
  const found = [
    ...(await docker('ps', '-a', '--filter', byLabel, '--format', 'container {{.Names}}')),
    ...(await docker('ps', '-a', '--filter', byProject, '--format', 'container {{.Names}}')),
    ...(await docker('network', 'ls', '--filter', byLabel, '--format', 'network {{.Name}}')),
    ...(await docker('network', 'ls', '--filter', `name=probe-${id}_`, '--format', 'network {{.Name}}')),
    ...(await docker('volume', 'ls', '--filter', byLabel, '--format', 'volume {{.Name}}')),
    ...(await docker('volume', 'ls', '--filter', `name=probe-${id}-`, '--format', 'volume {{.Name}}')),
  ];
  return [...new Set(found)];
}

/** Removes every docker object of the given tenants (afterAll safety net). */
export async function forceRemoveTenants(ids: string[]): Promise<void> {
  for (const id of ids) {
    const label = `label=io.probe.tenant=${id}`;
    const containers = await docker('ps', '-aq', '--filter', label).catch(() => []);
    if (containers.length) await docker('rm', '-f', '-v', ...containers).catch(() => []);
    const networks = await docker('network', 'ls', '-q', '--filter', label).catch(() => []);
    if (networks.length) await docker('network', 'rm', ...networks).catch(() => []);
    const volumes = await docker('volume', 'ls', '-q', '--filter', label).catch(() => []);
    if (volumes.length) await docker('volume', 'rm', '-f', ...volumes).catch(() => []);
  }
}

/** True when the docker engine answers and both demo images are present. */
export async function demoImagesReady(): Promise<boolean> {
  try {
    const images = await docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}');
    return images.includes('probe/demo-shop:1') && images.includes('probe/demo-redis:1');
  } catch {
    return false;
  }
}
