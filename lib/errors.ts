/** Errors the domain raises on purpose; the HTTP wrapper and the CLI turn them into answers. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badRequest = (message: string, details?: unknown) => new DomainError(message, 400, 'bad_request', details);
export const unauthorized = (message = 'Log in first') => new DomainError(message, 401, 'unauthorized');
export const forbidden = (message = 'Your role cannot do this') => new DomainError(message, 403, 'forbidden');
export const notFound = (what: string) => new DomainError(`${what} not found`, 404, 'not_found');
export const conflict = (message: string, details?: unknown) => new DomainError(message, 409, 'conflict', details);
export const unprocessable = (message: string, details?: unknown) => new DomainError(message, 422, 'invalid', details);

/** Refused for now (throttled login, busy database): the answer carries Retry-After in seconds. */
export class RetryLaterError extends DomainError {
  constructor(message: string, status: 429 | 503, code: string, readonly retryAfterSeconds: number, details?: unknown) {
    super(message, status, code, details);
  }
}
