// Fastify plugin of @lbkit/metrics: GET /metrics for a Prometheus scrape, metrics closed with the instance.
import { isHealth } from '@lbkit/health';
import { createMetrics, isMetrics, type LbkitMetrics, type MetricsOptions } from '@lbkit/metrics';
import { isLoadShedder } from '@lbkit/shedding';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The metrics of `metricsPlugin`: `lbkitMetrics.observe({ shutdown })` adds sources made later. */
    lbkitMetrics: LbkitMetrics;
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
  metrics: LbkitMetrics,
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
