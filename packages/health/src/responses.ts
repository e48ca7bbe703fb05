// HTTP answers: the terse ones built once per Health, detailed and shaped ones per request.
import type { OutgoingHttpHeaders } from 'node:http';
import type { HealthReport, HealthResponse, HealthStatus } from './types.js';

/** Media type of draft-inadarei-api-health-check-06. */
export const HEALTH_CONTENT_TYPE = 'application/health+json';

// A probe answer describes this instant: no cache on the way may hand it to another balancer later.
const CACHE_CONTROL = 'no-cache, no-store, must-revalidate';

/** The status codes in use, per overall status. */
export type StatusCodes = Readonly<Record<HealthStatus, number>>;

/** One answer; `retryAfterS` adds `Retry-After` (seconds). */
export function build(
  statusCode: number,
  status: HealthStatus,
  body: Buffer,
  contentType = HEALTH_CONTENT_TYPE,
  retryAfterS?: number,
): HealthResponse {
  const headers: OutgoingHttpHeaders = {
    'content-type': contentType,
    'cache-control': CACHE_CONTROL,
    'content-length': String(body.length),
  };
  if (retryAfterS !== undefined) headers['retry-after'] = String(retryAfterS);
  return Object.freeze({ statusCode, status, headers: Object.freeze(headers), body });
}

/** The answers a Health shares between requests: built once, frozen. */
export interface SharedAnswers {
  /** `{"status":"pass"}` and friends. */
  readonly terse: Readonly<Record<HealthStatus, HealthResponse>>;
  /** A failing readiness while checks fail: terse, with `Retry-After` of the cache period. */
  readonly checksFailing: HealthResponse;
}

/** Builds the shared answers for `codes`; `retryMs` is how long a failing readiness result stands. */
export function sharedAnswers(codes: StatusCodes, retryMs: number): SharedAnswers {
  const terse = (status: HealthStatus): HealthResponse =>
    build(codes[status], status, Buffer.from(JSON.stringify({ status })));
  return Object.freeze({
    terse: Object.freeze({ pass: terse('pass'), warn: terse('warn'), fail: terse('fail') }),
    checksFailing: build(
      codes.fail,
      'fail',
      Buffer.from(JSON.stringify({ status: 'fail' })),
      HEALTH_CONTENT_TYPE,
      Math.ceil(retryMs / 1000),
    ),
  });
}

/** A detailed answer for one report. */
export function detailed(codes: StatusCodes, report: HealthReport, retryAfterS?: number): HealthResponse {
  return build(
    codes[report.status],
    report.status,
    Buffer.from(JSON.stringify(report)),
    HEALTH_CONTENT_TYPE,
    retryAfterS,
  );
}

/** An answer whose body the `body` hook shaped: strings and Buffers as text, anything else as JSON. */
export function shaped(
  codes: StatusCodes,
  status: HealthStatus,
  value: unknown,
  retryAfterS?: number,
): HealthResponse {
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const body = typeof value === 'string' ? Buffer.from(value) : value;
    return build(codes[status], status, body, 'text/plain; charset=utf-8', retryAfterS);
  }
  const json = JSON.stringify(value) ?? 'null';
  return build(codes[status], status, Buffer.from(json), 'application/json', retryAfterS);
}

/** 405 for methods other than GET and HEAD on a probe path. */
export const METHOD_NOT_ALLOWED = Object.freeze({
  statusCode: 405,
  headers: Object.freeze({ allow: 'GET, HEAD', 'cache-control': CACHE_CONTROL, 'content-length': '0' }),
});
