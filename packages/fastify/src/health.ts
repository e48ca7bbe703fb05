// Fastify plugin of @lbkit/health: the probe routes, a `fastify.health` decorator, checks closed on onClose.
import {
  createHealth,
  type Health,
  type HealthOptions,
  type HealthResponse,
  isHealth,
  type ProbeName,
} from '@lbkit/health';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The probes of this instance (from @lbkit/fastify's healthPlugin). */
    health: Health;
  }
}

/** Options of {@link healthPlugin}: the health options, or `{ health }` to serve a Health made elsewhere. */
export type FastifyHealthOptions = HealthOptions & {
  /** A Health from `createHealth()`; its owner closes it (the plugin closes only what it created). */
  readonly health?: Health;
};

async function lbkitHealth(fastify: FastifyInstance, options: FastifyHealthOptions): Promise<void> {
  const { own, rest } = readPluginOptions<FastifyHealthOptions>('healthPlugin', options, ['health'], true);
  const given = own.get('health');
  if (given !== undefined && !isHealth(given)) {
    throw own.invalid(
      'health must be a Health made by createHealth()',
      'Pass health: createHealth({ ... }), or pass the health options directly.',
    );
  }
  if (given !== undefined && Object.keys(rest).length > 0) {
    throw own.invalid(
      `${Object.keys(rest).join(', ')} would be ignored next to health`,
      'Pass them to the createHealth() that made it, or leave health out.',
    );
  }
  const health = given ?? createHealth(rest as HealthOptions);
  fastify.decorate('health', health);
  if (given === undefined) {
    fastify.addHook('onClose', async function closeHealth() {
      await health.close();
    });
  }
  // The warm-up's self-requests need the listening server; without a warmUp option this resolves at once.
  fastify.addHook('onListen', function warmUpOnListen(done) {
    health.warmUp(fastify.server).catch(() => {});
    done();
  });
  for (const [url, probe] of health.routes) {
    fastify.route({
      method: ['GET', 'HEAD'],
      url,
      exposeHeadRoute: false,
      // Fastify runs every application hook on every route (parents push hooks into children), so
      // hooks that must leave probes alone, such as load shedding, recognise them by this flag.
      config: { lbkit: { probe } },
      handler: probeHandler(health, probe),
    });
  }
}

function probeHandler(health: Health, probe: ProbeName) {
  return function healthProbe(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> | undefined {
    const answer = health.answer(probe, request.raw);
    if (answer instanceof Promise) return answer.then((ready) => send(request, reply, ready));
    send(request, reply, answer);
    return undefined;
  };
}

function send(request: FastifyRequest, reply: FastifyReply, answer: HealthResponse): FastifyReply {
  // The body is already JSON: a Buffer with its content-type skips Fastify's serializer.
  return reply
    .code(answer.statusCode)
    .headers(answer.headers)
    .send(request.method === 'HEAD' ? undefined : answer.body);
}

/**
 * `fastify.register(healthPlugin, { checks })`: GET/HEAD routes for the probes (paths as in
 * @lbkit/health), the `fastify.health` decorator, the checks' timers closed in `onClose`, and the
 * `warmUp` option's warm-up started once the server listens.
 */
export const healthPlugin = fp(lbkitHealth, { name: '@lbkit/health', fastify: '5.x' });
