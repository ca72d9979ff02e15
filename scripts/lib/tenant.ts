/**
 * The tenant id rule. A tenant id becomes a path segment, a compose project name and
 * part of a server_name, so it is checked before it touches any of them.
 * Dependency-free: the agent imports this file to apply the same rule.
 */
export const TENANT_ID_PATTERN = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

/** Returns why `id` is not a valid tenant id, or undefined when it is. */
export function tenantIdProblem(id: unknown, reserved: readonly string[] = []): string | undefined {
  if (typeof id !== 'string' || id === '') return 'a tenant id is required';
  if (!TENANT_ID_PATTERN.test(id)) {
    return (
      `invalid tenant id ${JSON.stringify(id)}: use 2 to 32 characters, lowercase letters, digits and ` +
      `hyphens, starting with a letter and not ending with a hyphen`
    );
  }
  if (id.includes('--')) return `invalid tenant id ${JSON.stringify(id)}: "--" is not allowed`;
  if (reserved.includes(id)) return `tenant id ${JSON.stringify(id)} is reserved`;
  return undefined;
}
