/** Placeholder: replaced by the full document. */
export function openApiDocument(): Record<string, unknown> {
  return { openapi: '3.1.0', info: { title: 'probe', version: '0.1.0' }, paths: {} };
}
