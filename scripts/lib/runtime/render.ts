import path from 'node:path';
import { yaml } from '../lazy.js';
import { publishProblem } from './publish.js';
import { LABEL_DATA_KEY, LABEL_MANAGED, LABEL_TENANT } from './types.js';

export interface RenderInput {
  id: string;
  dataKey: string;
  templateName: string;
  /** Absolute template folder: relative paths in the template are resolved against it. */
  templateDir: string;
  /** The .env values (ID, PORT_APP, PORT_DB, ...), used to check published ports. */
  vars: Record<string, string>;
}

export type Doc = Record<string, unknown>;

/** The compose project of a tenant. */
export function projectName(id: string): string {
  return `probe-${id}`;
}

/** The docker name of a template volume for one deployment of a tenant. */
export function volumeName(id: string, volume: string, dataKey: string): string {
  return `probe-${id}-${volume}-${dataKey}`;
}

/**
 * Turns a template's compose.yml into the tenant's: our labels on every service,
 * network and volume; volumes named with the data key; relative paths made absolute;
 * and a clear refusal of anything published beyond 127.0.0.1.
 */
export function renderCompose(templateText: string, input: RenderInput): string {
  return renderedHeader(input) + yaml().stringify(composeDoc(templateText, input));
}

/**
 * The service names of a compose file, read from its top-level `services:` block as
 * renderCompose writes it (two-space indent, plain keys) without parsing the whole file:
 * `info` reads one file per tenant. Any other shape is parsed as YAML.
 */
export function composeServices(text: string): string[] {
  const lines = text.split('\n');
  const at = lines.indexOf('services:');
  if (at !== -1) {
    const names: string[] = [];
    for (const line of lines.slice(at + 1)) {
      if (/^\S/.test(line)) break; // the next top-level key
      const key = /^ {2}([A-Za-z0-9][\w.-]*):$/.exec(line);
      if (key) names.push(key[1]);
      else if (!/^ {4}|^\s*$/.test(line)) return parsedServices(text); // not our shape
    }
    if (names.length) return names;
  }
  return parsedServices(text);
}

function parsedServices(text: string): string[] {
  const doc = yaml().parse(text) as { services?: Record<string, unknown> } | null;
  return Object.keys(doc?.services ?? {});
}

export function renderedHeader(input: Pick<RenderInput, 'templateName' | 'id'>): string {
  return `# Rendered from template ${input.templateName} for tenant ${input.id}; do not edit.\n`;
}

/** The tenant's compose document, before it is written: what renderCompose prints. */
export function composeDoc(templateText: string, input: RenderInput): Doc {
  const doc = yaml().parse(templateText) as Doc | null;
  const services = doc?.services as Record<string, Doc | null> | undefined;
  if (!doc || !services || typeof services !== 'object' || Object.keys(services).length === 0) {
    throw new Error(`template ${input.templateName}: compose.yml declares no services`);
  }
  const labels = { [LABEL_MANAGED]: 'true', [LABEL_TENANT]: input.id };
  for (const [name, service] of Object.entries(services)) {
    const svc = service ?? {};
    services[name] = svc;
    if (svc.network_mode === 'host') {
      throw new Error(
        `template ${input.templateName}: service ${name} uses network_mode: host, which is not allowed`,
      );
    }
    for (const port of asArray(svc.ports)) {
      const problem = publishProblem(name, port, input.vars);
      if (problem) throw new Error(`template ${input.templateName}: ${problem}`);
    }
    svc.labels = withLabels(svc.labels, labels);
    absolutizePaths(svc, input.templateDir);
  }
  doc.volumes = labelVolumes(doc.volumes as Record<string, Doc | null> | undefined, input, labels);
  doc.networks = labelNetworks(doc.networks as Record<string, Doc | null> | undefined, input, labels);
  return doc;
}

/** The tenant's .env file, read by compose for the ${...} variables. */
/** The variables a template's compose file may use, for both runtimes. */
export function workloadVars(w: { id: string; ports: { app: number; db: number }; dataKey: string }) {
  return { ID: w.id, PORT_APP: String(w.ports.app), PORT_DB: String(w.ports.db), DATA_KEY: w.dataKey };
}

export function renderEnv(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

function labelVolumes(volumes: Record<string, Doc | null> | undefined, input: RenderInput, labels: Doc) {
  if (!volumes) return undefined;
  for (const [name, volume] of Object.entries(volumes)) {
    if (volume?.external) {
      throw new Error(
        `template ${input.templateName}: volume ${name} is external; tenant data must be its own`,
      );
    }
    volumes[name] = {
      ...(volume ?? {}),
      name: volumeName(input.id, name, input.dataKey),
      labels: withLabels(volume?.labels, { ...labels, [LABEL_DATA_KEY]: input.dataKey }),
    };
  }
  return volumes;
}

function labelNetworks(networks: Record<string, Doc | null> | undefined, input: RenderInput, labels: Doc) {
  const all = networks ?? {};
  if (!all.default) all.default = {};
  for (const [name, network] of Object.entries(all)) {
    if (network?.external) {
      throw new Error(
        `template ${input.templateName}: network ${name} is external; each tenant gets its own network`,
      );
    }
    all[name] = { ...(network ?? {}), labels: withLabels(network?.labels, labels) };
  }
  return all;
}

/** Adds labels to a compose `labels` entry, which may be a map or a list of "k=v". */
function withLabels(existing: unknown, add: Doc): unknown {
  if (Array.isArray(existing)) {
    const kept = existing.filter((e) => !Object.keys(add).includes(String(e).split('=')[0]));
    return [...kept, ...Object.entries(add).map(([k, v]) => `${k}=${v}`)];
  }
  return { ...((existing as Doc | null) ?? {}), ...add };
}

/** build.context, env_file and relative bind mounts point into the template folder. */
function absolutizePaths(svc: Doc, templateDir: string): void {
  const abs = (p: string) => (isRelative(p) ? path.resolve(templateDir, p) : p);
  if (typeof svc.build === 'string') svc.build = abs(svc.build);
  else if (svc.build && typeof svc.build === 'object') {
    const build = svc.build as Doc;
    build.context = abs(typeof build.context === 'string' ? build.context : '.');
  }
  if (typeof svc.env_file === 'string') svc.env_file = abs(svc.env_file);
  else if (Array.isArray(svc.env_file))
    svc.env_file = svc.env_file.map((f) => (typeof f === 'string' ? abs(f) : f));
  if (Array.isArray(svc.volumes)) {
    svc.volumes = svc.volumes.map((v) => {
      if (typeof v === 'string' && /^\.\.?\//.test(v)) {
        const [src, ...rest] = v.split(':');
        return [abs(src), ...rest].join(':');
      }
      if (v && typeof v === 'object' && typeof (v as Doc).source === 'string' && (v as Doc).type === 'bind') {
        return { ...(v as Doc), source: abs((v as Doc).source as string) };
      }
      return v;
    });
  }
}

function isRelative(p: string): boolean {
  return !path.isAbsolute(p) && !/^[a-z]+:\/\//i.test(p) && !p.startsWith('git@');
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
