import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** `docker compose config` when the v2 plugin exists, else docker-compose v1. */
function composeConfig(file: string): Record<string, any> {
  let cmd: [string, string[]] = ['docker-compose', ['-f', file, 'config']];
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    cmd = ['docker', ['compose', '-f', file, 'config']];
  } catch {
    /* v1 */
  }
  return parse(
    execFileSync(cmd[0], cmd[1], { encoding: 'utf8', env: { ...process.env, DOCKER_GID: '998' } }),
  );
}

describe('shipping the agent as a container', () => {
  it('deploy/docker-compose.yml is valid: agent + nginx container sharing the vhost folder and the socket', () => {
    const c = composeConfig(join(ROOT, 'deploy/docker-compose.yml'));
    const { agent, nginx } = c.services;
    expect(agent.build.args.DOCKER_GID).toBe('998');
    expect(agent.volumes.map(String).join(' ')).toContain('/var/run/docker.sock:/var/run/docker.sock');
    const vhosts = (s: { volumes: unknown[] }) =>
      s.volumes.map(String).find((v) => v.includes('/etc/nginx/probe.d'));
    expect(vhosts(agent)?.split(':')[0]).toBe(vhosts(nginx)?.split(':')[0]);
    const agentConfig = parse(read('deploy/agent.yaml'));
    expect(agentConfig.hosting.nginx.reload).toEqual([
      'docker',
      'exec',
      nginx.container_name,
      'nginx',
      '-s',
      'reload',
    ]);
    expect(agentConfig.hosting.nginx.test).toEqual(['docker', 'exec', nginx.container_name, 'nginx', '-t']);
  });

  it("the container's agent.yaml loads, and its task commands exist in the built output", () => {
    const config = loadConfig(join(ROOT, 'deploy/agent.yaml'));
    expect(config.auth.algorithms).toEqual(['RS256']);
    for (const task of config.tasks.values()) {
      const script = task.command[1];
      expect(script.startsWith(join(ROOT, 'dist/scripts/'))).toBe(true);
      expect(existsSync(script), script).toBe(true);
    }
    expect(
      existsSync(join(config.hosting!.templatesDir, config.hosting!.defaultTemplate, 'compose.yml')),
    ).toBe(true);
  });

  it('the Dockerfile is multi-stage, copies paths that exist, runs a built file as a non-root user, with a health check', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]) as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', 'dist/agent/cli.js']);
    expect(existsSync(join(ROOT, cmd[1]))).toBe(true);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(dockerfile).toMatch(/^USER probe$/m);
    expect(dockerfile).toMatch(/docker-compose \/usr\/local\/lib\/docker\/cli-plugins\/docker-compose/);
    expect(dockerfile).not.toMatch(/^(ENV|ARG) .*(SECRET|TOKEN|PASSWORD|KEY)/im);
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['node_modules', 'var', '.git', '*.secret', '*.key']) expect(ignored).toContain(p);
  });

  it('the systemd unit starts the built CLI', () => {
    const unit = read('deploy/probe.service');
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1];
    expect(exec).toMatch(/dist\/agent\/cli\.js serve --config /);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
  });
});
