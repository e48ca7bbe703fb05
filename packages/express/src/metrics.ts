// Express adapter of @lbkit/metrics: a /metrics route handler for a Prometheus scrape, and OpenTelemetry request metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerUncalledFactory } from '@lbkit/core/internal';
import {
  createMetrics,
  createOtelMetrics,
  isMetrics,
  isOtelMetrics,
  type LbkitMetrics,
  type LbkitOtelMetrics,
  type MetricsOptions,
  type OtelMetricsOptions,
} from '@lbkit/metrics';
import type { NextFunction } from './types.js';

/** The handler returned by {@link metricsHandler}, with the metrics it serves. */
export interface MetricsHandler {
  (req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  /** The metrics: `metrics.observe({ shutdown })` adds sources made later. */
  readonly metrics: LbkitMetrics;
}

/**
 * `app.get('/metrics', metricsHandler({ lifecycle, shedder, health, sessionStore }))`: answers the
 * scrape in the Prometheus text format. Pass options to create the metrics, or metrics made with
 * `createMetrics()`. Keep it ahead of sessions and body parsers; @lbkit/shedding exempts `/metrics`.
 */
export function metricsHandler(options: MetricsOptions | LbkitMetrics = {}): MetricsHandler {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'metricsHandler', arguments)) return undefined as never;
  const metrics = isMetrics(options) ? options : createMetrics(options);
  const handler = function metricsRoute(req: IncomingMessage, res: ServerResponse): void {
    metrics.respond(req, res);
  };
  return Object.assign(handler, { metrics });
}

/** The middleware returned by {@link otelMetrics}, with the instruments it records into. */
export interface OtelMetricsMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  /** The instruments: `otel.observe({ shutdown })` adds sources made later. */
  readonly otel: LbkitOtelMetrics;
}

/**
 * `app.use(otelMetrics({ meter, shedder, health }))`, first: OpenTelemetry metrics of every
 * request (`http.server.request.duration`, `http.server.active_requests`) with `http.route` from
 * Express's router (`req.baseUrl` + the matched route's path, `/users/:id`), and lbkit's `lbkit.*`
 * instruments. Pass options, or instruments made with `createOtelMetrics()`.
 */
export function otelMetrics(options: OtelMetricsOptions | LbkitOtelMetrics = {}): OtelMetricsMiddleware {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'otelMetrics', arguments)) return undefined as never;
  const otel = isOtelMetrics(options) ? options : createOtelMetrics(options);
  const middleware = function otelMetricsMiddleware(
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
  ): void {
    otel.track(req, res, () => expressRoute(req));
    next();
  };
  return Object.assign(middleware, { otel });
}

/** The template of the route Express matched, read when the response ends; undefined when none did. */
function expressRoute(req: IncomingMessage): string | undefined {
  const { route, baseUrl } = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  const path = route?.path;
  if (path === undefined) return undefined;
  // A route may be declared with several paths or a RegExp: the declaration, never the request's path.
  const template = Array.isArray(path) ? path.map(String).join('|') : String(path);
  return `${baseUrl ?? ''}${template}`;
}
