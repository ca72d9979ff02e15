import fs from 'node:fs';
import path from 'node:path';
import { yaml } from './lazy.js';
import { EXIT, TaskError } from './task.js';

/** A hosting template: a folder holding compose.yml and template.yaml. */
export interface Template {
  name: string;
  dir: string;
  composeFile: string;
  description: string;
  web: { service: string; port: number };
  health: { path: string; timeoutMs: number };
  stateless: boolean;
  images: string[];
}

const TEMPLATE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Names of the folders in templatesDir that hold a template.yaml. */
export function listTemplates(templatesDir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(templatesDir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(templatesDir, e.name, 'template.yaml')))
    .map((e) => e.name)
    .sort();
}

/** Loads and checks a template; an unknown name is a usage error listing the known ones. */
export function loadTemplate(templatesDir: string, name: string): Template {
  const known = listTemplates(templatesDir);
  if (!TEMPLATE_NAME.test(name) || !known.includes(name)) {
    const list = known.length ? known.join(', ') : `none found in ${templatesDir}`;
    throw new TaskError(`unknown template ${JSON.stringify(name)} (templates: ${list})`, EXIT.usage);
  }
  const dir = path.join(templatesDir, name);
  const composeFile = path.join(dir, 'compose.yml');
  if (!fs.existsSync(composeFile)) throw new TaskError(`template ${name} has no compose.yml in ${dir}`);
  const file = path.join(dir, 'template.yaml');
  let doc: Record<string, unknown>;
  try {
    doc = (yaml().parse(fs.readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new TaskError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  return { name, dir, composeFile, ...templateFields(doc, file) };
}

function templateFields(
  doc: Record<string, unknown>,
  file: string,
): Omit<Template, 'name' | 'dir' | 'composeFile'> {
  const bad = (key: string, value: unknown): TaskError =>
    new TaskError(`${file}: invalid ${key} ${JSON.stringify(value)}`);
  const web = (doc.web ?? {}) as Record<string, unknown>;
  if (typeof web.service !== 'string' || !web.service) throw bad('web.service', web.service);
  if (!Number.isInteger(web.port)) throw bad('web.port', web.port);
  const health = (doc.health ?? {}) as Record<string, unknown>;
  const healthPath = health.path ?? '/';
  if (typeof healthPath !== 'string' || !healthPath.startsWith('/')) throw bad('health.path', healthPath);
  const timeoutMs = parseDuration(health.timeout ?? '60s');
  if (timeoutMs === undefined) throw bad('health.timeout', health.timeout);
  const images = doc.images ?? [];
  if (!Array.isArray(images) || images.some((i) => typeof i !== 'string')) throw bad('images', images);
  return {
    description: typeof doc.description === 'string' ? doc.description : '',
    web: { service: web.service, port: web.port as number },
    health: { path: healthPath, timeoutMs },
    stateless: doc.stateless === true,
    images: images as string[],
  };
}

/** Parses `500ms`, `60s`, `2m` or a plain number of seconds into milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && value > 0) return value * 1000;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(value.trim());
  if (!m) return undefined;
  const unit = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : undefined;
}
