import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, TaskError } from '../../../scripts/lib/task.js';
import { listTemplates, loadTemplate, parseDuration } from '../../../scripts/lib/template.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function templatesDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-tpl-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('templates', () => {
  it('parses durations', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration(5)).toBe(5000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('0s')).toBeUndefined();
  });

  it('loads a template and lists the known ones', () => {
    const dir = templatesDir({
      'shop/template.yaml': 'web: { service: app, port: 3000 }\nhealth: { path: /healthz, timeout: 5s }\n',
      'shop/compose.yml': 'services: { app: { image: x } }\n',
      'notes/readme.txt': 'not a template',
    });
    expect(listTemplates(dir)).toEqual(['shop']);
    const t = loadTemplate(dir, 'shop');
    expect(t.web).toEqual({ service: 'app', port: 3000 });
    expect(t.health).toEqual({ path: '/healthz', timeoutMs: 5000 });
    expect(t.composeFile).toBe(path.join(dir, 'shop', 'compose.yml'));
  });

  it('refuses an unknown or unsafe template name with a usage error listing the templates', () => {
    const dir = templatesDir({ 'shop/template.yaml': 'web: { service: app, port: 3000 }\n' });
    for (const name of ['nope', '../shop', 'shop/..']) {
      let err: unknown;
      try {
        loadTemplate(dir, name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TaskError);
      expect((err as TaskError).exitCode).toBe(EXIT.usage);
      expect((err as TaskError).message).toContain('templates: shop');
    }
  });

  it('names the bad field of a broken template.yaml', () => {
    const dir = templatesDir({
      'shop/template.yaml': 'web: { service: app, port: 3000 }\nhealth: { timeout: later }\n',
      'shop/compose.yml': 'services: {}\n',
    });
    expect(() => loadTemplate(dir, 'shop')).toThrow(/health.timeout "later"/);
  });
});
