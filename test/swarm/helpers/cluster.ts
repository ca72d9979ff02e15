// What the swarm hosting tests share: the settings that point the swarm runtime at the lab,
// the engines of every node, and what a tenant may leave on them.
import { execFileSync } from 'node:child_process';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { Registry } from '../../../scripts/lib/registry.js';
import type { HostingSettings, NginxSettings } from '../../../scripts/lib/settings.js';
import { makeSettings } from '../../helpers/hosting.js';
import { docker, nodeDocker, waitFor, WORKERS, type Worker } from '../../helpers/swarm.js';

export const SOCKET = (n: Worker) => `unix:///run/probe-lab/${n}.sock`;

/** Swarm hosting settings over a fresh state folder, the lab's workers reached through their sockets. */
export function swarmSettings(nginx: NginxSettings, ports: { from: number; to: number }): HostingSettings {
  return makeSettings(nginx, {
    runtime: 'swarm',
    ports,
    swarm: {
      nodes: Object.fromEntries(WORKERS.map((n) => [n, { docker: SOCKET(n) }])),
      constraints: ['node.labels.probe.lab == 1'],
      limits: { memory: '256M', cpus: 1 },
    },
  });
}

/** The manager's host name as the swarm knows it (the host's engine). */
export async function managerName(): Promise<string> {
  return docker('node', 'inspect', 'self', '--format', '{{.Description.Hostname}}');
}

/**
 * Whether the host engine runs swarm tasks from the images it has, without asking a registry
 * first (DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1, as setup-host starts it). Without it a task
 * placed on the manager tries a pull, which is slow and leaves the machine: the tests then
 * drain the manager and spread the tenants over the workers only.
 */
export function managerRunsOffline(): boolean {
  try {
    const pid = readFileSync('/var/run/docker.pid', 'utf8').trim();
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .includes('DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1');
  } catch {
    return false;
  }
}

/** Sets the manager's availability; returns the one it had. */
export async function setManagerAvailability(availability: 'active' | 'pause' | 'drain'): Promise<string> {
  const before = await docker('node', 'inspect', 'self', '--format', '{{.Spec.Availability}}');
  const id = await docker('node', 'inspect', 'self', '--format', '{{.ID}}');
  if (before !== availability) await docker('node', 'update', '--availability', availability, id);
  return before;
}

/** The registry row of a tenant. */
export function row(settings: HostingSettings, id: string) {
  const reg = Registry.open(settings.stateDir);
  try {
    return reg.get(id);
  } finally {
    reg.close();
  }
}

/** Node name → address, as the swarm advertises them. */
export async function nodeAddresses(): Promise<Record<string, string>> {
  const ids = (await docker('node', 'ls', '-q')).split('\n');
  const out = await docker(
    'node',
    'inspect',
    ...ids,
    '--format',
    '{{.Description.Hostname}} {{.Status.Addr}}',
  );
  return Object.fromEntries(out.split('\n').map((l) => l.split(' ') as [string, string]));
}

/** Nodes a service's running tasks are on. */
export async function serviceNodes(service: string): Promise<string[]> {
  const out = await docker(
    'service',
    'ps',
    '--filter',
    'desired-state=running',
    '--format',
    '{{.Node}} {{.CurrentState}}',
    service,
  );
  return out
    .split('\n')
    .filter((l) => / Running/.test(l))
    .map((l) => l.split(' ')[0]);
}

/** Everything of a tenant on every engine of the lab: services, containers, networks, volumes. */
export async function clusterLeftovers(id: string): Promise<string[]> {
  const stack = `label=com.docker.stack.namespace=probe-${id}`;
  const tenant = `label=io.probe.tenant=${id}`;
  const engines: [string, (...a: string[]) => Promise<string>][] = [
    ['manager', (...a) => docker(...a)],
    ...WORKERS.map(
      (n) => [n, (...a: string[]) => nodeDocker(n, ...a)] as [string, (...a: string[]) => Promise<string>],
    ),
  ];
  const found: string[] = [];
  const add = (where: string, kind: string, out: string) =>
    out
      .split('\n')
      .filter(Boolean)
      .forEach((x) => found.push(`${where} ${kind} ${x}`));
  add('manager', 'service', await docker('service', 'ls', '--filter', stack, '--format', '{{.Name}}'));
  for (const [where, run] of engines) {
    for (const filter of [stack, tenant]) {
      add(where, 'container', await run('ps', '-a', '--filter', filter, '--format', '{{.Names}}'));
      add(where, 'network', await run('network', 'ls', '--filter', filter, '--format', '{{.Name}}'));
      add(where, 'volume', await run('volume', 'ls', '--filter', filter, '--format', '{{.Name}}'));
    }
    add(where, 'volume', await run('volume', 'ls', '--filter', `name=probe-${id}-`, '--format', '{{.Name}}'));
  }
  return [...new Set(found)];
}

/** True when nothing accepts a TCP connection on address:port. */
export function portClosed(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** docker stack rm, as an operator would, then a wait until only the tenant's volume is left. */
export async function stopStack(id: string): Promise<void> {
  // stack rm may fail to remove the network while the tasks are still stopping: removed below.
  await docker('stack', 'rm', `probe-${id}`).catch(() => undefined);
  await waitFor(
    `stack of ${id} gone`,
    async () => {
      const left = await clusterLeftovers(id);
      if (left.some((l) => / (service|container) /.test(l))) return false;
      for (const l of left.filter((x) => x.startsWith('manager network '))) {
        await docker('network', 'rm', l.split(' ')[2]).catch(() => undefined);
      }
      return left.every((l) => / volume /.test(l));
    },
    90_000,
    500,
  );
}

/** A folder holding a `docker` that notes each call before it runs the real one: put it first on PATH. */
export async function dockerCallLog(): Promise<{ dir: string; calls: () => string[]; reset: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-docker-calls-'));
  const log = path.join(dir, 'calls.log');
  const real = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\necho "$*" >> ${log}\nexec ${real} "$@"\n`, {
    mode: 0o755,
  });
  return {
    dir,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    reset: () => fs.rmSync(log, { force: true }),
  };
}
