import { engineOverloaded, listing, ping, type ApiContainer } from './engine-api.js';
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
  if (await ping(timeoutMs)) return;
  // The CLI answers for any DOCKER_HOST or context, and words why the engine is unreachable.
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], {
    timeoutMs,
  });
  if (r.ok) return;
  if (r.timedOut) throw engineOverloaded(timeoutMs);
  const reason = r.output.trim().split('\n').filter(Boolean).pop() ?? r.problem;
  throw new Error(`docker engine unreachable: ${reason || r.problem}; run npm run setup-host`);
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

/** All managed containers, or one tenant's, from one engine listing (`docker ps -a`). */
export async function listContainers(tenant?: string): Promise<ContainerInfo[]> {
  const label = tenant ? `${LABEL_TENANT}=${tenant}` : `${LABEL_MANAGED}=true`;
  const listed = await listing<ApiContainer[]>('/containers/json?all=1', { label: [label] });
  if (listed) {
    return listed.map((c) => ({
      ref: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      state: c.State,
      status: c.Status,
      tenant: c.Labels?.[LABEL_TENANT] ?? '',
      service: c.Labels?.['com.docker.compose.service'] ?? '',
    }));
  }
  const filter = `label=${label}`;
  const stdout = await docker(['ps', '-a', '--no-trunc', '--filter', filter, '--format', PS_FORMAT]);
  return lines(stdout).map((line) => {
    const [ref, name, state, status, owner, service] = line.split('\t');
    return { ref, name, state, status, tenant: owner, service };
  });
}

/** Ids of a tenant's containers or networks, matched by our label or by its compose project. */
export async function tenantObjects(kind: 'container' | 'network', tenant: string, project: string) {
  const cmd = kind === 'container' ? ['ps', '-a', '-q'] : ['network', 'ls', '-q'];
  const path = kind === 'container' ? '/containers/json?all=1' : '/networks';
  const found = new Set<string>();
  for (const label of [`${LABEL_TENANT}=${tenant}`, `com.docker.compose.project=${project}`]) {
    const listed = await listing<{ Id: string }[]>(path, { label: [label] });
    const refs =
      listed?.map((o) => o.Id) ?? lines(await docker([...cmd, '--no-trunc', '--filter', `label=${label}`]));
    for (const ref of refs) found.add(ref);
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
  const listed = await listing<{ Volumes: { Name: string; Labels: Record<string, string> | null }[] | null }>(
    '/volumes',
    { label: [`${LABEL_TENANT}=${tenant}`] },
  );
  if (listed)
    return (listed.Volumes ?? []).map((v) => ({ name: v.Name, dataKey: v.Labels?.[LABEL_DATA_KEY] ?? '' }));
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
