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
 * Express's router (the routers' mount paths + the matched route's path, `/api/users/:id`), and lbkit's `lbkit.*`
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
  const { route, baseUrl, app } = req as IncomingMessage & {
    route?: { path?: unknown };
    baseUrl?: string;
    app?: { router?: { stack?: unknown }; _router?: { stack?: unknown } };
  };
  if (route?.path === undefined) return undefined;
  const own = templateOf(route.path);
  if (!baseUrl) return own;
  // req.baseUrl is the matched mount path (/t/acme): the mount's pattern (/t/:tenant) comes from the router tree.
  return `${mountTemplate(app, route) ?? baseUrl}${own}`;
}

/** A route or mount path as declared: a string, a RegExp, or several of them. */
function templateOf(path: unknown): string {
  return Array.isArray(path) ? path.map(String).join('|') : String(path);
}

/** Mount templates by route, found once: null when the route is not found once (Express 4 keeps no pattern). */
const mountTemplates = new WeakMap<object, string | null>();

interface LayerLike {
  readonly rawPath?: unknown;
  readonly route?: object;
  readonly handle?: { readonly stack?: unknown };
}

function mountTemplate(
  app: { router?: { stack?: unknown }; _router?: { stack?: unknown } } | undefined,
  route: object,
): string | undefined {
  let template = mountTemplates.get(route);
  if (template === undefined) {
    const found: string[] = [];
    // Express 4 keeps its router in _router, and its app.router getter throws (removed in 4.0).
    const stack = (app?._router ?? app?.router)?.stack;
    if (Array.isArray(stack)) findRoute(stack, '', route, found, 0);
    template = found.length === 1 ? (found[0] as string) : null;
    mountTemplates.set(route, template);
  }
  return template ?? undefined;
}

/** Collects the mount prefix of every place `route` sits in `stack`'s tree (Express 5 layers keep `rawPath`). */
function findRoute(
  stack: readonly unknown[],
  prefix: string,
  route: object,
  found: string[],
  depth: number,
): void {
  if (depth > 16) return;
  for (const layer of stack as LayerLike[]) {
    if (layer?.route === route) found.push(prefix);
    const inner = layer?.handle?.stack;
    if (Array.isArray(inner) && layer.rawPath !== undefined) {
      const mount = templateOf(layer.rawPath);
      findRoute(inner, mount === '/' ? prefix : `${prefix}${mount}`, route, found, depth + 1);
    }
  }
}
