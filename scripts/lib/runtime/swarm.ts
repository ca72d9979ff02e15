import fs from 'node:fs';
import path from 'node:path';
import type { SwarmSettings } from '../settings.js';
import type { Log } from '../task.js';
import { run } from './exec.js';
import { projectName, workloadVars } from './render.js';
import { lines, reachable, swarmNodes } from './swarm-nodes.js';
import { nodeVolumes, removeStack } from './swarm-remove.js';
import { renderStack } from './swarm-render.js';
import { stackTasks } from './swarm-tasks.js';
import { waitTasksRunning } from './swarm-wait.js';
import { type Removal, type RemovalReport, type Runtime, type VolumeInfo, type Workload } from './types.js';

/**
 * The swarm runtime: one stack `probe-<id>` per tenant, deployed through the manager this
 * process's engine is. Volumes are node-local, so they are listed and removed through each
 * node's own engine (hosting.swarm.nodes.<name>.docker).
 */
export class SwarmRuntime implements Runtime {
  readonly kind = 'swarm';
  private reachableCheck?: Promise<void>;

  constructor(private readonly settings: SwarmSettings) {}

  /** One engine call: the engine answers, and it manages the swarm (stacks are deployed through it). */
  ensureReachable(): Promise<void> {
    this.reachableCheck ??= (async () => {
      const format = '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}';
      const r = await run('docker', ['info', '--format', format], { timeoutMs: 20_000 });
      if (!r.ok) {
        const reason = r.output.trim().split('\n').filter(Boolean).pop() ?? r.problem;
        throw new Error(`docker engine unreachable: ${reason}; run npm run setup-host`);
      }
      if (r.stdout.trim() !== 'active true') {
        throw new Error(
          `the swarm runtime needs this docker engine to be a swarm manager (swarm: ${r.stdout.trim()})`,
        );
      }
    })();
    return this.reachableCheck;
  }

  async up(w: Workload, log: Log): Promise<void> {
    await this.ensureReachable();
    const vars = workloadVars(w);
    const { text, notes, services } = renderStack(fs.readFileSync(w.template.composeFile, 'utf8'), {
      id: w.id,
      dataKey: w.dataKey,
      templateName: w.template.name,
      templateDir: w.template.dir,
      vars,
      node: w.node ?? null,
      webService: w.template.web.service,
      constraints: this.settings.constraints,
      limits: this.settings.limits,
    });
    for (const note of notes) log(`swarm: ${note}`);
    fs.mkdirSync(w.dir, { recursive: true, mode: 0o700 });
    const file = path.join(w.dir, 'compose.yml');
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    log(w.node ? `pinned to node ${w.node}` : 'stateless: its services float over the nodes');
    // --resolve-image never: the images are on the nodes already; no registry is asked.
    const args = ['stack', 'deploy', '--resolve-image', 'never', '--prune', '-c', file, projectName(w.id)];
    const r = await run('docker', args, { log, cwd: w.dir, timeoutMs: 120_000 });
    if (!r.ok) throw new Error(`docker stack deploy failed: ${r.problem}`);
    await waitTasksRunning(w.id, services, w.template.health.timeoutMs, log);
  }

  down(removal: Removal, log: Log): Promise<RemovalReport> {
    return this.ensureReachable().then(() => removeStack(this.settings, removal, log));
  }

  list(tenant?: string) {
    return stackTasks(tenant);
  }

  async logs(ref: string, count: number): Promise<string[]> {
    const r = await run('docker', ['service', 'logs', '--raw', '--tail', String(count), ref], {
      timeoutMs: 20_000,
    });
    if (!r.ok && !r.output) throw new Error(r.problem);
    return lines(r.output);
  }

  /** The tenant's volumes on every node we can reach, each with its node. */
  async volumes(tenant: string): Promise<VolumeInfo[]> {
    const out: VolumeInfo[] = [];
    for (const node of (await swarmNodes(this.settings)).filter(reachable)) {
      out.push(...(await nodeVolumes(node, tenant)));
    }
    return out;
  }

  async nodes() {
    return (await swarmNodes(this.settings)).map(({ id: _id, self: _self, endpoint: _e, ...info }) => info);
  }
}
