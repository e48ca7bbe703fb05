// Fastify plugins of @lbkit/metrics: GET /metrics for a Prometheus scrape, and OpenTelemetry request metrics; closed with the instance.
import { isHealth } from '@lbkit/health';
import {
  createMetrics,
  createOtelMetrics,
  isMetrics,
  isOtelMetrics,
  type LbkitMetrics,
  type LbkitOtelMetrics,
  type MetricSources,
  type MetricsOptions,
  type OtelMetricsOptions,
} from '@lbkit/metrics';
import { isLoadShedder } from '@lbkit/shedding';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The metrics of `metricsPlugin`: `lbkitMetrics.observe({ shutdown })` adds sources made later. */
    lbkitMetrics: LbkitMetrics;
    /** The instruments of `otelMetricsPlugin`: `lbkitOtel.observe({ shutdown })` adds sources made later. */
    lbkitOtel: LbkitOtelMetrics;
  }
}

/**
 * Options of {@link metricsPlugin}: the metrics' options or `{ metrics }` made with `createMetrics()`,
 * and the route's path. Without `shedder` or `health`, the plugin observes `fastify.loadShedder` and
 * `fastify.health` when `sheddingPlugin` / `healthPlugin` are registered on the same instance,
 * before or after it (those registered after are observed in `onReady`).
 */
export type MetricsPluginOptions = (MetricsOptions | { readonly metrics: LbkitMetrics }) & {
  /** Where the scrape is answered. Default `/metrics`. */
  readonly path?: string;
};

async function metricsRoutes(fastify: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  // `prefix` is the metrics' own option (names' prefix); Fastify does not apply it to this plugin.
  const { own, rest } = readPluginOptions<{ metrics?: LbkitMetrics; path?: string }>(
    'metricsPlugin',
    options,
    ['metrics', 'path'],
    true,
    ['prefix'],
  );
  const path = own.string('path', '/metrics', 1024);
  if (!path.startsWith('/')) {
    throw own.invalid(
      `path must start with "/", got ${JSON.stringify(path)}`,
      "For example path: '/metrics'.",
    );
  }
  const given = own.get('metrics');
  if (given !== undefined && !isMetrics(given)) {
    throw own.invalid(
      'metrics must be metrics made by createMetrics()',
      'Pass metrics: createMetrics({ ... }), or the options directly.',
    );
  }
  if (given !== undefined && Object.keys(rest).length > 0) {
    throw own.invalid(
      `${Object.keys(rest).join(', ')} would be ignored next to metrics`,
      'Pass them to the createMetrics() that made them, or leave metrics out.',
    );
  }
  const metrics = given ?? createMetrics(rest as MetricsOptions);
  if (!given) {
    const wanted = { shedder: rest.shedder === undefined, health: rest.health === undefined };
    observeDecorated(fastify, metrics, wanted);
    // A sheddingPlugin or healthPlugin registered after this one decorates the same instance later.
    fastify.addHook('onReady', function observeLaterPlugins(done) {
      observeDecorated(fastify, metrics, wanted);
      done();
    });
  }
  fastify.decorate('lbkitMetrics', metrics);
  fastify.get(
    path,
    { config: { lbkit: { probe: 'metrics' } } },
    function scrape(request: FastifyRequest, reply: FastifyReply) {
      // The registry writes the exposition itself: Fastify must not serialize or touch the reply.
      reply.hijack();
      metrics.respond(request.raw, reply.raw);
    },
  );
  fastify.addHook('onClose', function closeMetrics(_instance, done) {
    // Metrics passed in belong to the caller, who may serve them elsewhere too.
    if (!given) metrics.close();
    done();
  });
}

/** Observes the shedder and the probes lbkit's plugins decorated `fastify` with, once each. */
function observeDecorated(
  fastify: FastifyInstance,
  metrics: { observe(sources: MetricSources): void },
  wanted: { shedder: boolean; health: boolean },
): void {
  const shedder =
    wanted.shedder && fastify.hasDecorator('loadShedder') && isLoadShedder(fastify.loadShedder)
      ? fastify.loadShedder
      : undefined;
  const health =
    wanted.health && fastify.hasDecorator('health') && isHealth(fastify.health) ? fastify.health : undefined;
  if (shedder) wanted.shedder = false;
  if (health) wanted.health = false;
  if (shedder || health) metrics.observe({ shedder, health });
}

/**
 * Prometheus metrics for Fastify: registers `GET /metrics` (HEAD too) and decorates the instance
 * with `lbkitMetrics`. The route is flagged `config.lbkit.probe`, so lbkit's hooks leave it alone.
 */
export const metricsPlugin = fp(metricsRoutes, { name: '@lbkit/metrics', fastify: '5.x' });

/** Options of {@link otelMetricsPlugin}: `createOtelMetrics()`'s options, or `{ otel }` made with it. */
export type OtelMetricsPluginOptions = OtelMetricsOptions | { readonly otel: LbkitOtelMetrics };

async function otelHooks(fastify: FastifyInstance, options: OtelMetricsPluginOptions): Promise<void> {
  const { own, rest } = readPluginOptions<{ otel?: LbkitOtelMetrics }>(
    'otelMetricsPlugin',
    options,
    ['otel'],
    true,
  );
  const given = own.get('otel');
  if (given !== undefined && !isOtelMetrics(given)) {
    throw own.invalid(
      'otel must be instruments made by createOtelMetrics()',
      'Pass otel: createOtelMetrics({ ... }), or the options directly.',
    );
  }
  if (given !== undefined && Object.keys(rest).length > 0) {
    throw own.invalid(
      `${Object.keys(rest).join(', ')} would be ignored next to otel`,
      'Pass them to the createOtelMetrics() that made them, or leave otel out.',
    );
  }
  const otel = given ?? createOtelMetrics(rest as OtelMetricsOptions);
  if (!given) {
    const r = rest as OtelMetricsOptions;
    const wanted = { shedder: r.shedder === undefined, health: r.health === undefined };
    observeDecorated(fastify, otel, wanted);
    fastify.addHook('onReady', function observeLaterPlugins(done) {
      observeDecorated(fastify, otel, wanted);
      done();
    });
  }
  fastify.decorate('lbkitOtel', otel);
  fastify.addHook('onRequest', function trackRequest(request: FastifyRequest, reply: FastifyReply, done) {
    // routeOptions.url is the template Fastify matched (/users/:id), undefined for a 404.
    otel.track(request.raw, reply.raw, () => request.routeOptions.url);
    done();
  });
  fastify.addHook('onClose', function closeOtel(_instance, done) {
    if (!given) otel.close();
    done();
  });
}

/**
 * OpenTelemetry metrics for Fastify: every request of the instance in
 * `http.server.request.duration` and `http.server.active_requests`, `http.route` from Fastify's
 * router, and lbkit's `lbkit.*` instruments; decorates the instance with `lbkitOtel`.
 */
export const otelMetricsPlugin = fp(otelHooks, { name: '@lbkit/otel-metrics', fastify: '5.x' });
