import { spawn } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { engineGet } from './runtime/engine-api.js';

export interface HostFacts {
  hostname: string;
  platform: string;
  cpus: number;
  load: [number, number, number];
  memory: { totalMb: number; freeMb: number };
  disk: { path: string; totalGb: number; freeGb: number };
  uptimeSeconds: number;
  docker: { reachable: boolean; version?: string; error?: string };
}

/**
 * Asks the Docker engine for its version, without a shell, within a few seconds: on its socket
 * when the CLI would use it, else (and to word a failure) through the docker CLI.
 */
async function dockerVersion(): Promise<HostFacts['docker']> {
  try {
    const answer = await engineGet<{ Version?: string }>('/version', 5000);
    if (answer?.Version) return { reachable: true, version: answer.Version };
  } catch (err) {
    return { reachable: false, error: (err as Error).message }; // it took the call, did not answer
  }
  return dockerCliVersion();
}

function dockerCliVersion(): Promise<HostFacts['docker']> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['version', '--format', '{{.Server.Version}}'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ reachable: false, error: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(
        code === 0
          ? { reachable: true, version: out.trim() }
          : { reachable: false, error: err.trim().split('\n')[0] || `exit ${code}` },
      );
    });
  });
}

export async function hostFacts(path = '/'): Promise<HostFacts> {
  const fs = await statfs(path);
  const gb = (blocks: number) => Math.round(((blocks * fs.bsize) / 1024 ** 3) * 10) / 10;
  return {
    hostname: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    load: os.loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number],
    memory: { totalMb: Math.round(os.totalmem() / 2 ** 20), freeMb: Math.round(os.freemem() / 2 ** 20) },
    disk: { path, totalGb: gb(fs.blocks), freeGb: gb(fs.bavail) },
    uptimeSeconds: Math.round(os.uptime()),
    docker: await dockerVersion(),
  };
}

export function formatFacts(f: HostFacts): string {
  const rows: [string, string][] = [
    ['host', `${f.hostname} (${f.platform})`],
    ['cpu', `${f.cpus} cores, load ${f.load.join(' ')}`],
    ['memory', `${f.memory.freeMb} MB free of ${f.memory.totalMb} MB`],
    ['disk', `${f.disk.freeGb} GB free of ${f.disk.totalGb} GB on ${f.disk.path}`],
    ['docker', f.docker.reachable ? `engine ${f.docker.version}` : `unreachable (${f.docker.error})`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(8)} ${v}\n`).join('');
}
