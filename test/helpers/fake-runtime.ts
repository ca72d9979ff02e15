import http from 'node:http';
import type {
  ContainerInfo,
  Removal,
  RemovalReport,
  Runtime,
  Workload,
} from '../../scripts/lib/runtime/index.js';
import type { Log } from '../../scripts/lib/task.js';

/**
 * A runtime without docker for unit tests: `up` serves 200 on the tenant's app port from
 * an in-process HTTP server, `down` closes it. Failures can be switched on per method.
 */
export class FakeRuntime implements Runtime {
  readonly kind = 'fake';
  readonly calls: string[] = [];
  fail: Partial<Record<'up' | 'down' | 'reach', string>> = {};
  private servers = new Map<string, http.Server>();

  async ensureReachable(): Promise<void> {
    if (this.fail.reach) throw new Error(this.fail.reach);
  }

  async up(w: Workload, log: Log): Promise<void> {
    this.calls.push(`up ${w.id}`);
    log(`fake up ${w.id}`);
    if (this.fail.up) throw new Error(this.fail.up);
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(w.ports.app, '127.0.0.1', resolve));
    this.servers.set(w.id, server);
  }

  async down(removal: Removal): Promise<RemovalReport> {
    this.calls.push(`down ${removal.id} keep=${removal.keepDataKeys.join(',')}`);
    if (this.fail.down) throw new Error(this.fail.down);
    const server = this.servers.get(removal.id);
    this.servers.delete(removal.id);
    if (server) await new Promise((resolve) => server.close(resolve));
    return { containers: server ? 2 : 0, networks: server ? 1 : 0, volumes: 0 };
  }

  async list(tenant?: string): Promise<ContainerInfo[]> {
    return [...this.servers.keys()]
      .filter((id) => !tenant || id === tenant)
      .map((id) => ({
        ref: id,
        name: `${id}-app`,
        tenant: id,
        service: 'app',
        state: 'running',
        status: 'Up',
      }));
  }

  async logs(): Promise<string[]> {
    return [];
  }

  async volumes(): Promise<{ name: string; dataKey: string }[]> {
    return [];
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.servers.keys()]) await this.down({ id, dir: '', keepDataKeys: [] });
  }
}
