// Express adapter of @lbkit/metrics: a /metrics route handler for a Prometheus scrape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerUncalledFactory } from '@lbkit/core/internal';
import { createMetrics, isMetrics, type LbkitMetrics, type MetricsOptions } from '@lbkit/metrics';
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
