import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDefaultServer, renderVhost } from '../../../../scripts/lib/proxy/render.js';

const TEMPLATE = fs.readFileSync(
  path.resolve(import.meta.dirname, '../../../../config/templates/nginx/vhost.conf'),
  'utf8',
);
const vars = {
  ID: 'acme',
  SERVER_NAME: 'acme.saas.localhost',
  LISTEN: '8080',
  UPSTREAM: '127.0.0.1:18000',
  LOG_DIR: '/var/log/nginx',
};

describe('vhost rendering', () => {
  const text = renderVhost(TEMPLATE, vars);

  it('fills every placeholder of the shipped template', () => {
    expect(text).not.toMatch(/\{\{/);
    expect(text).toContain('listen 8080;');
    expect(text).toContain('server_name acme.saas.localhost;');
    expect(text).toContain('proxy_pass http://127.0.0.1:18000;');
    expect(text).toContain('access_log /var/log/nginx/acme.access.log;');
  });

  it('forwards the Host, X-Forwarded-* and websocket headers', () => {
    for (const header of [
      'Host',
      'X-Forwarded-For',
      'X-Forwarded-Proto',
      'X-Forwarded-Host',
      'Upgrade',
      'Connection',
    ]) {
      expect(text).toMatch(new RegExp(`proxy_set_header ${header} \\$`));
    }
  });

  it('refuses an unknown placeholder', () => {
    expect(() => renderVhost('server_name {{NAME}};', vars)).toThrow(/unknown placeholder \{\{NAME\}\}/);
  });

  it('renders a catch-all default server', () => {
    const def = renderDefaultServer(8080, '/var/log/nginx');
    expect(def).toContain('listen 8080 default_server deferred;');
    expect(def).toContain('server_name _;');
    expect(def).toContain('return 444;');
  });
});
