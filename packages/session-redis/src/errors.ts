// The store's errors: LbkitError with the HTTP status Express and Fastify answer with when it reaches them.
import { LbkitError } from '@lbkit/core';
import type { SessionErrorCode } from './types.js';

const STATUS: Partial<Record<SessionErrorCode, number>> = {
  LBKIT_SESSION_REDIS_UNAVAILABLE: 503,
  LBKIT_SESSION_REDIS_TIMEOUT: 503,
  // A failover lost the session or left the write unconfirmed: the user may retry once it is over.
  LBKIT_SESSION_DATA_LOST: 503,
  LBKIT_SESSION_WRITE_UNREPLICATED: 503,
  LBKIT_SESSION_WRITE_CONFLICT: 409,
  LBKIT_SESSION_WRITE_DESTROYED: 409,
  LBKIT_SESSION_DATA_TOO_LARGE: 413,
  LBKIT_SESSION_ID_INVALID: 400,
  LBKIT_SESSION_ROTATION_REFUSED: 409,
  LBKIT_SESSION_ROTATION_CONTENDED: 503,
};

/**
 * An error of the session store. `statusCode`/`status` are what Express's final handler and
 * Fastify's error handler read, so a Redis outage becomes a 503 (with `Retry-After`) and a
 * strict-mode conflict a 409 without any glue code.
 */
export class SessionStoreError extends LbkitError {
  /** HTTP status the frameworks answer with. */
  readonly statusCode: number;
  /** Same as `statusCode` (Express reads `status` first). */
  readonly status: number;
  /** Headers Express's final handler adds to the error response. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Top-level keys in conflict (`LBKIT_SESSION_WRITE_CONFLICT` only). */
  readonly keys: readonly string[] | undefined;

  constructor(
    code: SessionErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; keys?: readonly string[] } = {},
  ) {
    super(code, message, options);
    this.name = 'SessionStoreError';
    this.statusCode = STATUS[code] ?? 500;
    this.status = this.statusCode;
    this.headers = this.statusCode === 503 ? { 'retry-after': '1' } : undefined;
    this.keys = options.keys;
  }
}

/** A misconfiguration found at construction. */
export function optionError(code: SessionErrorCode, message: string, hint: string): SessionStoreError {
  return new SessionStoreError(code, message, { hint });
}
