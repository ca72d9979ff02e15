import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { NginxSettings } from '../../scripts/lib/settings.js';

/** A private nginx (own prefix, config, pid and logs in a temp folder) for end-to-end tests. */
export interface PrivateNginx {
  dir: string;
  port: number;
  settings: NginxSettings;
  stop(): Promise<void>;
}

export const REPO = path.resolve(import.meta.dirname, '../..');
export const VHOST_TEMPLATE = path.join(REPO, 'config/templates/nginx/vhost.conf');

/** A port nothing listens on right now, picked by the kernel on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port for nginx to listen on, below the kernel's range for outgoing connections:
 * nginx binds it only when the first vhost arrives, and a port from that range may be
 * taken by some connection in between.
 */
export async function listenPort(): Promise<number> {
  for (;;) {
    const port = 22000 + Math.floor(Math.random() * 8000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Starts nginx in the foreground (daemon off) so it can be stopped by its own pid. */
export async function startNginx(): Promise<PrivateNginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-nginx-'));
  const confDir = path.join(dir, 'conf.d');
  const logDir = path.join(dir, 'logs');
  fs.mkdirSync(confDir);
  fs.mkdirSync(logDir);
  const port = await listenPort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, mainConfig(dir, confDir, logDir));
  const base = ['-p', dir, '-c', conf, '-e', path.join(logDir, 'error.log')];
  const child: ChildProcess = spawn('nginx', base, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  await waitStarted(path.join(dir, 'nginx.pid'), child, () => stderr);
  const settings: NginxSettings = {
    confDir,
    listen: port,
    test: ['nginx', ...base, '-t'],
    reload: ['nginx', ...base, '-s', 'reload'],
    vhostTemplate: VHOST_TEMPLATE,
    logDir,
  };
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGQUIT');
      const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { dir, port, settings, stop };
}

function mainConfig(dir: string, confDir: string, logDir: string): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${logDir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  server_names_hash_max_size 4096;
  server_names_hash_bucket_size 128;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${confDir}/*.conf;
}
`;
}

/** nginx has no server to listen with until the first vhost arrives, so start-up is its pid file. */
async function waitStarted(pidFile: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start: ${stderr()}`);
    if (fs.existsSync(pidFile)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not start within 10 s: ${stderr()}`);
}
