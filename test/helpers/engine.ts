// A fake Docker engine on a unix socket, and tests that run without the docker CLI.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fake engine on a unix socket: a fixed answer, or one per request path. */
export async function fakeEngine(dir: string, status: number, body: string | ((url: URL) => unknown)) {
  const socket = path.join(dir, 'docker.sock');
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://engine');
    res.writeHead(status).end(typeof body === 'string' ? body : JSON.stringify(body(url)));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * Each test gets a temp folder and the environment `set` makes of it (PATH without the docker
 * CLI, so that only a fake engine can answer and a fall-back to the CLI fails loudly); the
 * variables it touches, and DOCKER_HOST, are put back after.
 */
export function isolated(set: (dir: string) => Record<string, string>): { dir: string } {
  const state = { dir: '' };
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-engine-'));
    const vars = set(state.dir);
    saved = Object.fromEntries(['DOCKER_HOST', ...Object.keys(vars)].map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}

export const withoutDockerCli = () => isolated((dir) => ({ PATH: path.join(dir, 'bin') }));
