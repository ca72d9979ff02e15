/**
 * The one error catalogue. Every error a client can see has a stable code, an HTTP
 * status and a default message; docs/errors (README "Errors") lists the same codes
 * and a test keeps the two in step.
 */
export const ERROR_CATALOGUE = {
  bad_request: { status: 400, message: 'The request is malformed or an argument is invalid.' },
  unauthorized: { status: 401, message: 'A valid bearer token is required.' },
  forbidden: { status: 403, message: 'The token does not grant this.' },
  not_found: { status: 404, message: 'No such resource.' },
  locked: { status: 409, message: 'Another run holds the lock this run needs.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The request body must be application/json.' },
  too_many_requests: { status: 429, message: 'Too many requests or runs; retry later.' },
  internal: { status: 500, message: 'Internal error.' },
  unavailable: { status: 503, message: 'The agent is shutting down.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The only exception type the HTTP layer turns into a response. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: { headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'ApiError';
    this.status = ERROR_CATALOGUE[code].status;
  }

  toBody(): { error: { code: ErrorCode; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.extra.details } };
  }
}
