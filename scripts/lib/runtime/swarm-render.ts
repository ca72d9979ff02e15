import { yaml } from '../lazy.js';
import { composeDoc, renderedHeader, type Doc, type RenderInput } from './render.js';
import { LABEL_MANAGED, LABEL_TENANT } from './types.js';

export interface StackInput extends RenderInput {
  /** The node every service is pinned to; null lets them float (stateless templates). */
  node: string | null;
  /** The service nginx proxies to: the only one that publishes a port. */
  webService: string;
  constraints: string[];
  limits: { memory: string; cpus: number };
}

/** Compose keys `docker stack deploy` ignores or refuses, and what happens instead. */
const DROPPED: Record<string, string> = {
  container_name: 'swarm names task containers itself',
  depends_on: 'swarm starts services in any order; the restart policy covers an app that starts first',
  links: 'services reach each other by name on the tenant network',
  build: 'swarm runs images only; the image must be on every node',
  mem_limit: 'resources come from deploy.resources (hosting.swarm.limits)',
  cpus: 'resources come from deploy.resources (hosting.swarm.limits)',
  restart: 'translated into deploy.restart_policy',
};

/**
 * Turns a template's compose.yml into a swarm stack file: the compose rendering (labels,
 * volume names, checks), then ${ID}, ${PORT_APP}, ${PORT_DB} substituted here (stack deploy
 * reads no .env), compose-only keys dropped or translated, the web port published in host
 * mode, and a deploy section of our own: dnsrr, placement, restart policy and limits.
 */
export function renderStack(
  templateText: string,
  input: StackInput,
): { text: string; notes: string[]; services: string[] } {
  const doc = substitute(composeDoc(templateText, input), input.vars) as Doc;
  const notes: string[] = [];
  const services = doc.services as Record<string, Doc>;
  if (!services[input.webService]) {
    throw new Error(`template ${input.templateName}: no service ${input.webService} (its web.service)`);
  }
  for (const [name, svc] of Object.entries(services)) {
    services[name] = stackService(name, svc, input, notes);
  }
  for (const network of Object.values((doc.networks ?? {}) as Record<string, Doc>)) {
    network.driver ??= 'overlay';
  }
  const { version: _ignored, ...rest } = doc;
  const text = renderedHeader(input) + yaml().stringify({ version: '3.8', ...rest });
  return { text, notes, services: Object.keys(services) };
}

function stackService(name: string, svc: Doc, input: StackInput, notes: string[]): Doc {
  const fail = (why: string) => new Error(`template ${input.templateName}: service ${name} ${why}`);
  if (typeof svc.image !== 'string') throw fail('has no image; swarm cannot build one');
  for (const v of Array.isArray(svc.volumes) ? svc.volumes : []) {
    const bind = typeof v === 'string' ? /^[/.~]/.test(v) : (v as Doc)?.type === 'bind';
    if (bind) throw fail(`bind-mounts ${JSON.stringify(v)}; on a cluster use a named volume`);
  }
  const restart = restartPolicy(svc.restart);
  for (const key of Object.keys(DROPPED)) {
    if (key in svc) {
      delete svc[key];
      notes.push(`service ${name}: ${key} dropped (${DROPPED[key]})`);
    }
  }
  const ports = Array.isArray(svc.ports) ? svc.ports : [];
  if (name === input.webService) svc.ports = ports.map((p) => hostPort(p, fail));
  else if (ports.length) {
    delete svc.ports;
    notes.push(`service ${name}: ports not published (reached over the tenant network only)`);
  }
  const labels = { [LABEL_MANAGED]: 'true', [LABEL_TENANT]: input.id };
  const own = (svc.deploy ?? {}) as Doc;
  const pin = input.node === null ? [] : [`node.hostname == ${input.node}`];
  svc.deploy = {
    mode: 'replicated',
    replicas: 1,
    endpoint_mode: 'dnsrr',
    labels,
    placement: { constraints: [...pin, ...input.constraints] },
    restart_policy: restart,
    resources: own.resources ?? {
      limits: { memory: input.limits.memory, cpus: String(input.limits.cpus) },
    },
  };
  return svc;
}

/** compose `restart` → swarm restart_policy; a service without one restarts on any exit, as swarm's default. */
function restartPolicy(restart: unknown): Doc {
  const value = typeof restart === 'string' ? restart : 'always';
  if (value === 'no') return { condition: 'none' };
  const failure = /^on-failure(?::(\d+))?$/.exec(value);
  if (failure)
    return {
      condition: 'on-failure',
      delay: '2s',
      ...(failure[1] ? { max_attempts: Number(failure[1]) } : {}),
    };
  return { condition: 'any', delay: '2s' };
}

/** "127.0.0.1:8100:3000" or the long form → published in host mode on the node (no routing mesh). */
function hostPort(port: unknown, fail: (why: string) => Error): Doc {
  let published: unknown;
  let target: unknown;
  let protocol: unknown = 'tcp';
  if (typeof port === 'string') {
    const [spec, proto] = port.split('/');
    const parts = spec.split(':');
    [published, target] = parts.slice(-2);
    protocol = proto ?? 'tcp';
  } else if (port && typeof port === 'object') {
    ({ published, target } = port as Doc);
    protocol = (port as Doc).protocol ?? 'tcp';
  }
  const p = Number(published);
  const t = Number(target);
  if (!Number.isInteger(p) || !Number.isInteger(t))
    throw fail(`publishes ${JSON.stringify(port)}, not one port`);
  return { target: t, published: p, protocol, mode: 'host' };
}

/** ${VAR}, ${VAR:-default}, ${VAR:?error} and $VAR in every string value; $$ stays for stack deploy. */
function substitute(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (match, braced?: string, op?: string, word?: string, bare?: string) => {
        if (match === '$$') return match;
        const name = (braced ?? bare) as string;
        const v = vars[name];
        if (v !== undefined && (v !== '' || !op?.startsWith(':'))) return v;
        if (op?.endsWith('?')) throw new Error(`\${${name}} is required: ${word || 'not set'}`);
        return op?.endsWith('-') ? (word ?? '') : '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}
