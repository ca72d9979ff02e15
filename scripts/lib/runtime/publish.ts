/**
 * Checks that a compose service publishes ports on 127.0.0.1 only: nginx is the one
 * public entry, and a database must never be reachable from the world.
 */
export function publishProblem(
  service: string,
  port: unknown,
  vars: Record<string, string>,
): string | undefined {
  const shown = JSON.stringify(port);
  const refuse = `service ${service} publishes port ${shown} on all interfaces; publish on 127.0.0.1 only (e.g. "127.0.0.1:\${PORT_APP}:3000")`;
  if (typeof port === 'number') return refuse;
  if (typeof port === 'string') {
    const spec = interpolate(port, vars).replace(/\/(tcp|udp|sctp)$/, '');
    if (spec.startsWith('[')) return refuse;
    const parts = spec.split(':');
    return parts.length === 3 && parts[0] === '127.0.0.1' ? undefined : refuse;
  }
  if (port && typeof port === 'object') {
    const hostIp = (port as { host_ip?: unknown }).host_ip;
    return typeof hostIp === 'string' && interpolate(hostIp, vars) === '127.0.0.1' ? undefined : refuse;
  }
  return `service ${service} has an invalid port entry ${shown}`;
}

/** Compose-style variable substitution for checking: ${VAR}, ${VAR:-default}, ${VAR:?error}, $VAR and $$. */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, word?: string, bare?: string) => {
      if (match === '$$') return '$';
      const value = vars[(braced ?? bare) as string];
      if (value !== undefined && (value !== '' || op === '-' || op === '?')) return value;
      return op?.endsWith('-') ? (word ?? '') : '';
    },
  );
}
