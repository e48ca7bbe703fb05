// HTTP answers in application/health+json: the terse ones built once at load, detailed ones per request.
import type { OutgoingHttpHeaders } from 'node:http';
import type { HealthReport, HealthResponse, HealthStatus } from './types.js';

/** Media type of draft-inadarei-api-health-check-06. */
export const HEALTH_CONTENT_TYPE = 'application/health+json';

// A probe answer describes this instant: no cache on the way may hand it to another balancer later.
const CACHE_CONTROL = 'no-cache, no-store, must-revalidate';

function build(status: HealthStatus, body: Buffer): HealthResponse {
  const headers: OutgoingHttpHeaders = Object.freeze({
    'content-type': HEALTH_CONTENT_TYPE,
    'cache-control': CACHE_CONTROL,
    'content-length': String(body.length),
  });
  return Object.freeze({ statusCode: status === 'fail' ? 503 : 200, status, headers, body });
}

function terse(status: HealthStatus): HealthResponse {
  return build(status, Buffer.from(JSON.stringify({ status })));
}

/** The public answers, shared by every request: `{"status":"pass"}` and friends. */
export const TERSE: Readonly<Record<HealthStatus, HealthResponse>> = Object.freeze({
  pass: terse('pass'),
  warn: terse('warn'),
  fail: terse('fail'),
});

/** A detailed answer for one report. */
export function detailed(report: HealthReport): HealthResponse {
  return build(report.status, Buffer.from(JSON.stringify(report)));
}

/** 405 for methods other than GET and HEAD on a probe path. */
export const METHOD_NOT_ALLOWED = Object.freeze({
  statusCode: 405,
  headers: Object.freeze({ allow: 'GET, HEAD', 'cache-control': CACHE_CONTROL, 'content-length': '0' }),
});
