import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Log } from '../task.js';
import {
  checkEngine,
  containerLogs,
  docker,
  engineLost,
  listContainers,
  tenantObjects,
  tenantVolumes,
} from './docker.js';
import { executable, onPath, run } from './exec.js';
import { projectName, renderCompose, renderEnv, workloadVars } from './render.js';
import type { Removal, RemovalReport, Runtime, Workload } from './types.js';

type ComposeCommand = { file: string; prefix: string[] };

/** The compose runtime: one compose project `probe-<id>` per tenant, files in the tenant folder. */
export class ComposeRuntime implements Runtime {
  readonly kind = 'compose';
  private reachable?: Promise<void>;
  private command?: Promise<ComposeCommand>;

  ensureReachable(): Promise<void> {
    this.reachable ??= checkEngine();
    return this.reachable;
  }

  async up(w: Workload, log: Log): Promise<void> {
    await this.ensureReachable();
    const vars = { ...workloadVars(w), COMPOSE_PROJECT_NAME: projectName(w.id) };
    const text = renderCompose(fs.readFileSync(w.template.composeFile, 'utf8'), {
      id: w.id,
      dataKey: w.dataKey,
      templateName: w.template.name,
      templateDir: w.template.dir,
      vars,
    });
    fs.mkdirSync(w.dir, { recursive: true, mode: 0o700 });
    writePrivate(path.join(w.dir, 'compose.yml'), text);
    writePrivate(path.join(w.dir, '.env'), renderEnv(vars));
    log(`wrote compose.yml and .env in ${w.dir}`);
    const r = await this.compose(w.id, w.dir, ['up', '-d', '--remove-orphans'], log);
    if (!r.ok) throw new Error(`starting containers failed: ${(await engineLost()) ?? r.problem}`);
  }

  /** Compose removes what its file declares; a label sweep then removes whatever is left. */
  async down(removal: Removal, log: Log): Promise<RemovalReport> {
    await this.ensureReachable();
    const project = projectName(removal.id);
    const [containers, networks, volumes] = await this.objects(removal.id, project);
    const doomed = volumes.filter((v) => !removal.keepDataKeys.includes(v.dataKey));
    if (fs.existsSync(path.join(removal.dir, 'compose.yml')) && containers.length + networks.length > 0) {
      const down = ['down', '--remove-orphans', '--timeout', '10'];
      if (removal.keepDataKeys.length) {
        // Keeping data: rm -v drops the anonymous volumes only, then down leaves the named ones.
        await this.compose(removal.id, removal.dir, ['rm', '--stop', '--force', '-v'], log);
        await this.compose(removal.id, removal.dir, down, log);
      } else {
        await this.compose(removal.id, removal.dir, [...down, '-v'], log);
      }
    }
    const [leftContainers, leftNetworks, left] = await this.objects(removal.id, project);
    if (leftContainers.length) await docker(['rm', '--force', '--volumes', ...leftContainers]);
    if (leftNetworks.length) await docker(['network', 'rm', ...leftNetworks]);
    const present = new Set(left.map((v) => v.name));
    const leftVolumes = doomed.map((v) => v.name).filter((name) => present.has(name));
    if (leftVolumes.length) await docker(['volume', 'rm', '--force', ...leftVolumes]);
    if (doomed.length) log(`removed data volumes ${doomed.map((v) => v.name).join(', ')}`);
    return { containers: containers.length, networks: networks.length, volumes: doomed.length };
  }

  /** A tenant's containers, networks and volumes, listed at once. */
  private objects(id: string, project: string) {
    return Promise.all([
      tenantObjects('container', id, project),
      tenantObjects('network', id, project),
      tenantVolumes(id),
    ]);
  }

  list(tenant?: string) {
    return listContainers(tenant);
  }

  logs(ref: string, lines: number) {
    return containerLogs(ref, lines);
  }

  volumes(tenant: string) {
    return tenantVolumes(tenant);
  }

  private async compose(id: string, dir: string, args: string[], log: Log) {
    const { file, prefix } = await this.composeCommand();
    const base = [
      '-p',
      projectName(id),
      '-f',
      path.join(dir, 'compose.yml'),
      '--env-file',
      path.join(dir, '.env'),
    ];
    return run(file, [...prefix, ...base, ...args], { log, cwd: dir, timeoutMs: 300_000 });
  }

  /** `docker compose` (v2) when the plugin is there, else `docker-compose` (v1); detected once. */
  private composeCommand(): Promise<ComposeCommand> {
    this.command ??= (async () => {
      const found = findComposeCli();
      if (found) return found;
      // A plugin in a folder of the CLI's own configuration: only the CLI knows.
      if ((await run('docker', ['compose', 'version'])).ok) return COMPOSE_V2;
      throw new Error(
        'neither "docker compose" nor "docker-compose" works on this host (run npm run setup-host)',
      );
    })();
    return this.command;
  }
}

const COMPOSE_V2: ComposeCommand = { file: 'docker', prefix: ['compose'] };

/**
 * The compose CLI found by looking, not by running it (every task would pay for a start: ~50 ms
 * for the docker CLI, ~0.4 s for v1, a Python program): the v2 plugin in one of the folders the
 * docker CLI searches, else docker-compose v1 on PATH; undefined when neither is found.
 */
export function findComposeCli(): ComposeCommand | undefined {
  const config = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker');
  const pluginDirs = [
    path.join(config, 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ];
  if (pluginDirs.some((dir) => executable(path.join(dir, 'docker-compose')))) return COMPOSE_V2;
  if (onPath('docker-compose')) return { file: 'docker-compose', prefix: [] };
  return undefined;
}

function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
