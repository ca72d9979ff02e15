export interface VhostVars {
  ID: string;
  SERVER_NAME: string;
  LISTEN: string;
  UPSTREAM: string;
  LOG_DIR: string;
}

/** Fills the {{NAME}} placeholders of the vhost template; an unknown placeholder is an error. */
export function renderVhost(template: string, vars: VhostVars): string {
  const values: Record<string, string> = { ...vars };
  return template.replace(/\{\{\s*([A-Z_]+)\s*\}\}/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`vhost template uses unknown placeholder ${match}`);
    return value;
  });
}

/** The catch-all server: a Host that names no tenant is dropped, never routed to one. */
export function renderDefaultServer(listen: number, logDir: string): string {
  return [
    '# Catch-all for unknown hosts; rendered by probe; do not edit.',
    'server {',
    // deferred: nginx gets a connection only once its request has arrived, so a graceful reload
    // never closes a just-accepted connection as idle before reading it.
    `    listen ${listen} default_server deferred;`,
    '    server_name _;',
    `    access_log ${logDir}/default.access.log;`,
    '    return 444;',
    '}',
    '',
  ].join('\n');
}
