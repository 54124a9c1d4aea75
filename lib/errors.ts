/**
 * Errors the domain raises on purpose; the HTTP wrapper and the CLI turn them into answers.
 *
 * Status mapping, one rule: 400 when the request itself is malformed (not JSON, a field failing
 * its schema: every ZodError, an unknown parameter value); 422 when the request is well formed but
 * the content it points at cannot be used (an import file with invalid rows or no header, a phase
 * with nothing to train on); 404 for a missing record and 409 for a clash with existing state,
 * including Prisma's P2025 (record not found) and P2002 (unique constraint) via fromPrismaError.
 */
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

/** Prisma's known request errors that mean "not found" (P2025) or "already exists" (P2002), as DomainErrors; else null. */
export function fromPrismaError(e: unknown): DomainError | null {
  if (!(e instanceof Error) || e.name !== 'PrismaClientKnownRequestError') return null;
  const { code, meta } = e as Error & { code?: string; meta?: Record<string, unknown> };
  const model = typeof meta?.modelName === 'string' ? meta.modelName : 'record';
  if (code === 'P2025') return notFound(model);
  if (code === 'P2002') {
    const fields = uniqueFields(meta);
    return conflict(`a ${model} with this ${fields.length ? fields.join(', ') : 'key'} already exists`, fields.length ? { fields } : undefined);
  }
  return null;
}

/** The columns of a violated unique constraint: meta.target (classic engine) or the driver adapter's cause. */
function uniqueFields(meta: Record<string, unknown> | undefined): string[] {
  if (Array.isArray(meta?.target)) return meta.target.map(String);
  const cause = (meta?.driverAdapterError as { cause?: { table?: string; constraint?: { fields?: unknown; index?: string } } } | undefined)?.cause;
  const fields = cause?.constraint?.fields;
  if (Array.isArray(fields)) return fields.map((f) => String(f).replace(/^"|"$/g, ''));
  // PostgreSQL names only the index; Prisma names unique indexes <Table>_<columns>_key.
  const index = cause?.constraint?.index;
  const table = cause?.table ?? (typeof meta?.modelName === 'string' ? meta.modelName : '');
  if (index && index.startsWith(`${table}_`) && index.endsWith('_key')) return [index.slice(table.length + 1, -'_key'.length)];
  return [];
}

/** Refused for now (throttled login, busy database): the answer carries Retry-After in seconds. */
export class RetryLaterError extends DomainError {
  constructor(message: string, status: 429 | 503, code: string, readonly retryAfterSeconds: number, details?: unknown) {
    super(message, status, code, details);
  }
}
