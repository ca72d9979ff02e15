import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkEngine,
  listContainers,
  tenantObjects,
  tenantVolumes,
} from '../../../../scripts/lib/runtime/docker.js';
import { findComposeCli } from '../../../../scripts/lib/runtime/compose.js';
import { engineGet } from '../../../../scripts/lib/runtime/engine-api.js';
import { onPath } from '../../../../scripts/lib/runtime/exec.js';
import { fakeEngine, isolated, withoutDockerCli } from '../../../helpers/engine.js';

describe('checkEngine', () => {
  const t = withoutDockerCli();

  it('asks the engine socket for /_ping, without running the docker CLI', async () => {
    const engine = await fakeEngine(t.dir, 200, 'OK');
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    await expect(checkEngine()).resolves.toBeUndefined();
    expect(engine.seen).toEqual(['/_ping']);
    await engine.close();
  });

  it('falls back to the CLI when the socket does not say OK, and the CLI names the problem', async () => {
    const engine = await fakeEngine(t.dir, 500, 'Internal Server Error');
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    await expect(checkEngine()).rejects.toThrow(/docker is not installed/);
    await engine.close();
  });

  it('says the engine is overloaded when its socket takes a request and does not answer, without asking the CLI too', async () => {
    const socket = path.join(t.dir, 'busy.sock');
    const server = http.createServer(() => {}); // never answers
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    process.env.DOCKER_HOST = `unix://${socket}`;
    const overloaded = 'docker engine did not answer within 0.3 s: the engine or this host is overloaded';
    await expect(checkEngine(300)).rejects.toThrow(overloaded);
    await expect(engineGet('/containers/json', 300)).rejects.toThrow(overloaded);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('does not guess a socket for a tcp DOCKER_HOST', async () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    await expect(checkEngine()).rejects.toThrow(/docker is not installed/);
  });
});

describe('engine listings on the socket', () => {
  const t = withoutDockerCli();

  /** What the engine filters on: the label of the filters parameter. */
  const label = (url: URL) =>
    (JSON.parse(url.searchParams.get('filters') ?? '{}') as { label: string[] }).label[0];

  it("lists a tenant's containers as docker ps would show them", async () => {
    const engine = await fakeEngine(t.dir, 200, (url) =>
      url.pathname === '/containers/json' && label(url) === 'io.probe.tenant=acme'
        ? [
            {
              Id: 'c1'.repeat(32),
              Names: ['/probe-acme_app_1'],
              State: 'running',
              Status: 'Up 3 minutes',
              Labels: { 'io.probe.tenant': 'acme', 'com.docker.compose.service': 'app' },
            },
            {
              Id: 'c2'.repeat(32),
              Names: ['/probe-acme_db_1'],
              State: 'exited',
              Status: 'Exited (1) 2 seconds ago',
              Labels: null,
            },
          ]
        : [],
    );
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    expect(await listContainers('acme')).toEqual([
      {
        ref: 'c1'.repeat(32),
        name: 'probe-acme_app_1',
        state: 'running',
        status: 'Up 3 minutes',
        tenant: 'acme',
        service: 'app',
      },
      {
        ref: 'c2'.repeat(32),
        name: 'probe-acme_db_1',
        state: 'exited',
        status: 'Exited (1) 2 seconds ago',
        tenant: '',
        service: '',
      },
    ]);
    expect(engine.seen[0]).toMatch(/^\/containers\/json\?all=1&filters=/);
    await engine.close();
  });

  it('finds objects by our label or the compose project, and volumes with their data keys', async () => {
    const engine = await fakeEngine(t.dir, 200, (url) => {
      if (url.pathname === '/networks')
        return label(url) === 'io.probe.tenant=acme' ? [{ Id: 'n1' }] : [{ Id: 'n1' }, { Id: 'n2' }];
      if (url.pathname === '/volumes')
        return {
          Volumes: [
            { Name: 'probe-acme-data-k1', Labels: { 'io.probe.data-key': 'k1' } },
            { Name: 'x', Labels: null },
          ],
        };
      return [];
    });
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    expect(await tenantObjects('network', 'acme', 'probe-acme')).toEqual(['n1', 'n2']);
    expect(await tenantVolumes('acme')).toEqual([
      { name: 'probe-acme-data-k1', dataKey: 'k1' },
      { name: 'x', dataKey: '' },
    ]);
    await engine.close();
  });

  it("asks the CLI when the engine answers an error, so the error keeps the CLI's words", async () => {
    const engine = await fakeEngine(t.dir, 500, '{"message":"boom"}');
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    await expect(listContainers('acme')).rejects.toThrow(/docker is not installed/);
    await engine.close();
  });
});

describe('onPath', () => {
  it('finds an executable on PATH and nothing else', () => {
    expect(onPath('node')).toBe(true);
    expect(onPath('probe-no-such-tool')).toBe(false);
  });

  it('ignores a file that is not executable', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-path-'));
    const saved = process.env.PATH;
    try {
      fs.writeFileSync(path.join(dir, 'docker-compose'), '#!/bin/sh\n', { mode: 0o644 });
      process.env.PATH = dir;
      expect(onPath('docker-compose')).toBe(false);
      fs.chmodSync(path.join(dir, 'docker-compose'), 0o755);
      expect(onPath('docker-compose')).toBe(true);
    } finally {
      process.env.PATH = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('findComposeCli', () => {
  const t = isolated((dir) => ({ PATH: path.join(dir, 'bin'), DOCKER_CONFIG: path.join(dir, 'config') }));
  const tool = (folder: string, name: string) => {
    fs.mkdirSync(path.join(t.dir, folder), { recursive: true });
    fs.writeFileSync(path.join(t.dir, folder, name), '#!/bin/sh\n', { mode: 0o755 });
  };

  // This host's system plugin folders hold no compose plugin (the tests run on compose v1).
  it('finds v1 on PATH without running it, and nothing when there is neither', () => {
    expect(findComposeCli()).toBeUndefined();
    tool('bin', 'docker-compose');
    expect(findComposeCli()).toEqual({ file: 'docker-compose', prefix: [] });
  });

  it('prefers the v2 plugin in the CLI plugin folder of DOCKER_CONFIG', () => {
    tool('bin', 'docker-compose');
    tool('config/cli-plugins', 'docker-compose');
    expect(findComposeCli()).toEqual({ file: 'docker', prefix: ['compose'] });
  });
});
