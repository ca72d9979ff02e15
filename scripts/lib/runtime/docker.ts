import { socketGet } from '../http.js';
import { run } from './exec.js';
import { LABEL_DATA_KEY, LABEL_MANAGED, LABEL_TENANT, type ContainerInfo } from './types.js';

/** Plain docker CLI calls shared by runtime implementations. */

const PS_FORMAT = [
  '{{.ID}}',
  '{{.Names}}',
  '{{.State}}',
  '{{.Status}}',
  `{{.Label "${LABEL_TENANT}"}}`,
  '{{.Label "com.docker.compose.service"}}',
].join('\t');

const ENGINE_TIMEOUT_MS = 20_000;

/** Fails with one clear line when the engine does not answer (dead socket: at once; busy: up to 20 s). */
export async function checkEngine(timeoutMs = ENGINE_TIMEOUT_MS): Promise<void> {
  const ping = await pingOnSocket(timeoutMs);
  if (ping === 'ok') return;
  if (ping === 'timeout') throw overloaded(timeoutMs);
  // The CLI answers for any DOCKER_HOST or context, and words why the engine is unreachable.
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], {
    timeoutMs,
  });
  if (r.ok) return;
  if (r.timedOut) throw overloaded(timeoutMs);
  const reason = r.output.trim().split('\n').filter(Boolean).pop() ?? r.problem;
  throw new Error(`docker engine unreachable: ${reason || r.problem}; run npm run setup-host`);
}

/** Set-up would not help here: the engine is there, but it (or this host) is too busy. */
function overloaded(timeoutMs: number): Error {
  return new Error(
    `docker engine did not answer within ${timeoutMs / 1000} s: the engine or this host is overloaded`,
  );
}

/**
 * The engine's /_ping over its unix socket, when the docker CLI would use that socket: a few
 * milliseconds where `docker version` costs a process start. `timeout` when the engine accepted
 * the connection but did not answer in time; `unknown` whenever the CLI should be asked instead.
 */
async function pingOnSocket(timeoutMs: number): Promise<'ok' | 'timeout' | 'unknown'> {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://') || process.env.DOCKER_CONTEXT) return 'unknown';
  try {
    const answer = await socketGet(host.slice('unix://'.length), '/_ping', timeoutMs);
    return answer.status === 200 && answer.body === 'OK' ? 'ok' : 'unknown';
  } catch (err) {
    return /no answer within/.test((err as Error).message) ? 'timeout' : 'unknown';
  }
}

/**
 * Asked afresh after a failure: why the engine stopped answering, or undefined when it still
 * does. Compose words a lost engine in its own way ("Couldn't connect … http+docker://localhost").
 */
export async function engineLost(): Promise<string | undefined> {
  try {
    await checkEngine();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** All managed containers, or one tenant's, from one `docker ps -a` call. */
export async function listContainers(tenant?: string): Promise<ContainerInfo[]> {
  const filter = tenant ? `label=${LABEL_TENANT}=${tenant}` : `label=${LABEL_MANAGED}=true`;
  const stdout = await docker(['ps', '-a', '--no-trunc', '--filter', filter, '--format', PS_FORMAT]);
  return lines(stdout).map((line) => {
    const [ref, name, state, status, owner, service] = line.split('\t');
    return { ref, name, state, status, tenant: owner, service };
  });
}

/** Ids of a tenant's containers or networks, matched by our label or by its compose project. */
export async function tenantObjects(kind: 'container' | 'network', tenant: string, project: string) {
  const cmd = kind === 'container' ? ['ps', '-a', '-q'] : ['network', 'ls', '-q'];
  const found = new Set<string>();
  for (const filter of [`label=${LABEL_TENANT}=${tenant}`, `label=com.docker.compose.project=${project}`]) {
    for (const ref of lines(await docker([...cmd, '--no-trunc', '--filter', filter]))) found.add(ref);
  }
  return [...found];
}

/** `docker volume ls` for one tenant's volumes, with their data keys; run on any node's engine. */
export function volumeListArgs(tenant: string): string[] {
  return [
    'volume',
    'ls',
    '--filter',
    `label=${LABEL_TENANT}=${tenant}`,
    '--format',
    `{{.Name}}\t{{.Label "${LABEL_DATA_KEY}"}}`,
  ];
}

export function parseVolumes(stdout: string): { name: string; dataKey: string }[] {
  return lines(stdout).map((line) => {
    const [name, dataKey] = line.split('\t');
    return { name, dataKey: dataKey ?? '' };
  });
}

export async function tenantVolumes(tenant: string): Promise<{ name: string; dataKey: string }[]> {
  return parseVolumes(await docker(volumeListArgs(tenant)));
}

export async function containerLogs(ref: string, count: number): Promise<string[]> {
  const r = await run('docker', ['logs', '--tail', String(count), ref], { timeoutMs: 20_000 });
  if (!r.ok && !r.output) throw new Error(r.problem);
  return lines(r.output);
}

/** Runs a docker command and returns its stdout; throws with docker's message on failure. */
export async function docker(args: string[]): Promise<string> {
  const r = await run('docker', args, { timeoutMs: 60_000 });
  if (!r.ok) throw new Error(r.problem);
  return r.stdout;
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
