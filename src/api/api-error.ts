/** One problem with a request, e.g. `{ field: 'events.0', message: 'unknown event type' }`. */
export interface ErrorDetail {
  field?: string;
  message: string;
}

/**
 * An error meant for the client. The error middleware renders it as
 * `{"error": {"code", "message", "details"}}` with `status`; anything else becomes a 500 without internals.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Extra response headers, e.g. `Retry-After` on 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what = 'resource'): ApiError => new ApiError(404, 'not_found', `${what} not found`);
