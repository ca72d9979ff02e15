// The placement rule, where a tenant is served from, and the hosting.swarm config section.
// No engine needed.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import type { ContainerInfo, NodeInfo } from '../../scripts/lib/runtime/index.js';
import { candidates, chooseNode } from '../../scripts/lib/tasks/placement.js';
import { LOOPBACK, whereServed } from '../../scripts/lib/tasks/where.js';
import { writeConfig } from '../helpers/agent.js';

const node = (name: string, more: Partial<NodeInfo> = {}): NodeInfo => ({
  name,
  address: `10.0.0.${name.length}`,
  state: 'ready',
  availability: 'active',
  engine: 'ok',
  up: true,
  ...more,
});

const task = (tenant: string, service: string, on: string, state = 'running'): ContainerInfo => ({
  ref: `${tenant}-${service}`,
  name: `probe-${tenant}_${service}.1`,
  tenant,
  service,
  state,
  status: state,
  node: on,
});

describe('placement', () => {
  it('picks the node with the fewest pinned tenants, the first by name on a tie', () => {
    const nodes = [node('w2'), node('w1'), node('mgr')];
    expect(chooseNode(nodes, {})).toBe('mgr');
    expect(chooseNode(nodes, { mgr: 1 })).toBe('w1');
    expect(chooseNode(nodes, { mgr: 1, w1: 1, w2: 0 })).toBe('w2');
    // Six tenants one after the other end up 2/2/2.
    const load: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const n = chooseNode(nodes, load);
      load[n] = (load[n] ?? 0) + 1;
    }
    expect(load).toEqual({ mgr: 2, w1: 2, w2: 2 });
  });

  it('only places on nodes that are up and active', () => {
    const nodes = [
      node('a', { up: false, state: 'down' }),
      node('b', { availability: 'drain' }),
      node('c', { availability: 'pause' }),
      node('d', { engine: 'unreachable', up: false }),
      node('e'),
    ];
    expect(candidates(nodes).map((n) => n.name)).toEqual(['e']);
  });
});

describe('whereServed', () => {
  const nodes = [node('w1'), node('w22', { up: false, state: 'down' })];

  it('is loopback on a single host', () => {
    expect(whereServed({ id: 'x', node: null }, 'app', [], [])).toEqual({ node: null, address: LOOPBACK });
  });

  it('is the pinned node, up or down', () => {
    expect(whereServed({ id: 'x', node: 'w22' }, 'app', [], nodes)).toEqual({
      node: 'w22',
      address: '10.0.0.3',
    });
  });

  it('follows a floating web task to a node that is up, and is nowhere while it moves', () => {
    const tasks = [task('x', 'cache', 'w1'), task('x', 'app', 'w22')];
    expect(whereServed({ id: 'x', node: null }, 'app', tasks, nodes)).toBeUndefined();
    const moved = [task('x', 'cache', 'w1'), task('x', 'app', 'w1')];
    expect(whereServed({ id: 'x', node: null }, 'app', moved, nodes)).toEqual({
      node: 'w1',
      address: '10.0.0.2',
    });
    const pending = [task('x', 'app', 'w1', 'pending')];
    expect(whereServed({ id: 'x', node: null }, 'app', pending, nodes)).toBeUndefined();
  });
});

describe('hosting.swarm config', () => {
  const hosting = (swarm: unknown) => ({
    hosting: {
      domain: 'saas.test',
      ports: { from: 9000, to: 9100 },
      runtime: 'swarm',
      nginx: { confDir: './vhosts' },
      swarm,
    },
  });

  it('resolves the section with its defaults', () => {
    const h = loadConfig(
      writeConfig(hosting({ nodes: { w1: { docker: 'unix:///run/w1.sock', address: '10.0.0.2' } } })).file,
    ).hosting!;
    expect(h.runtime).toBe('swarm');
    expect(h.swarm).toEqual({
      nodes: { w1: { docker: 'unix:///run/w1.sock', address: '10.0.0.2' } },
      constraints: [],
      limits: { memory: '512M', cpus: 1 },
    });
  });

  it.each([
    ['a bad endpoint', { nodes: { w1: { docker: 'http://x' } } }, /hosting\.swarm\.nodes\.w1\.docker/],
    ['an unknown node key', { nodes: { w1: { ip: '1.2.3.4' } } }, /unknown key "ip"/],
    ['a bad constraint', { constraints: ['anything'] }, /hosting\.swarm\.constraints\.0/],
    ['a bad memory limit', { limits: { memory: 'lots' } }, /hosting\.swarm\.limits\.memory/],
  ])('refuses %s, naming the key', (_what, swarm, message) => {
    expect(() => loadConfig(writeConfig(hosting(swarm)).file)).toThrow(message);
  });
});
