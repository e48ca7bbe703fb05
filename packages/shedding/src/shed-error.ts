// The error a shed request is handed to the framework's error handler with (`rejectWith: 'error'`).
import type { Rejection, ShedErrorLike } from './types.js';

/**
 * A shed request as an error: Express's final handler and Fastify's default error handler answer it
 * with its `statusCode` (503) and set its `headers` (`Retry-After`); a custom error handler can tell
 * it by `code` or `instanceof ShedError`.
 */
export class ShedError extends Error implements ShedErrorLike {
  readonly code = 'LBKIT_SHEDDING_REQUEST_SHED' as const;
  readonly statusCode = 503 as const;
  readonly headers: Readonly<Record<string, string>>;
  readonly rejection: Rejection;

  constructor(rejection: Rejection, message = 'Service Unavailable') {
    super(message);
    this.name = 'ShedError';
    this.rejection = rejection;
    this.headers = { 'retry-after': String(rejection.retryAfterSeconds) };
  }
}
