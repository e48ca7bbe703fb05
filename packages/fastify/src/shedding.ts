// Fastify plugin of @lbkit/shedding: admits, queues or sheds in onRequest, before the body is read.
import {
  isLoadShedder,
  LoadShedder,
  type LoadSheddingOptions,
  type Rejection,
  type RejectionChannel,
  type ShedErrorLike,
  type SignalReadings,
} from '@lbkit/shedding';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The load shedder of `sheddingPlugin`: pass it to `overloadCheck()`, read `snapshot()` for metrics. */
    loadShedder: LoadShedder;
    /**
     * True while every request that is not `critical` is shed (a backstop or the `underPressure`
     * source is tripped, or the lifecycle is `stopped`): @fastify/under-pressure's `isUnderPressure()`.
     */
    isUnderPressure(): boolean;
    /** The latest overload readings (event-loop delay and utilisation, heap, RSS): under-pressure's `memoryUsage()`. */
    overloadSignals(): SignalReadings;
  }
}

/** The route config @lbkit/health puts on its probe routes. */
interface ProbeConfig {
  readonly lbkit?: { readonly probe?: string };
}

/** Options of {@link sheddingPlugin}: the shedder's options, or `{ shedder }` to share an existing one. */
export type SheddingPluginOptions = LoadSheddingOptions | { readonly shedder: LoadShedder };

async function shedding(fastify: FastifyInstance, options: SheddingPluginOptions): Promise<void> {
  const { own, rest } = readPluginOptions<{ shedder?: LoadShedder }>(
    'sheddingPlugin',
    options,
    ['shedder'],
    true,
  );
  const given = own.get('shedder');
  if (given !== undefined && !isLoadShedder(given)) {
    throw own.invalid(
      'shedder must be a LoadShedder',
      'Pass shedder: new LoadShedder({ ... }), or the options directly.',
    );
  }
  if (given !== undefined && Object.keys(rest).length > 0) {
    throw own.invalid(
      `${Object.keys(rest).join(', ')} would be ignored next to shedder`,
      'Pass them to the LoadShedder you share, or leave shedder out.',
    );
  }
  const shedder = given ?? new LoadShedder(rest as LoadSheddingOptions);
  fastify.decorate('loadShedder', shedder);
  fastify.decorate('isUnderPressure', function isUnderPressure() {
    return shedder.isUnderPressure();
  });
  fastify.decorate('overloadSignals', function overloadSignals() {
    return shedder.signals;
  });

  fastify.addHook(
    'onRequest',
    function onRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      // @lbkit/health marks its probe routes, wherever their paths are: never limit or shed them.
      if (routeConfig(request)?.lbkit?.probe) {
        shedder.lifecycle.inFlight.track(request.raw, reply.raw);
        done();
        return;
      }
      // `done` called without arguments goes on; the channel is built only for a rejection.
      shedder.admitVia(request.raw, reply.raw, done as () => void, fastifyChannel, reply);
    },
  );

  fastify.addHook('onClose', function onClose(_instance, done) {
    // A shedder passed in belongs to the caller, who may share it between servers.
    if (!given) shedder.close();
    done();
  });
}

/** Fastify's route context on a request, found once by its symbol's description (see {@link routeConfig}). */
let routeContextKey: symbol | null | undefined;

/**
 * The route's config. `request.routeOptions` builds a dozen-field object on every read (Fastify
 * 5, lib/request.js), a sizeable share of what this hook costs; the route context it reads
 * `config` from sits on the request under the symbol `fastify.context`, read directly when present.
 */
function routeConfig(request: FastifyRequest): ProbeConfig | undefined {
  if (routeContextKey === undefined) {
    routeContextKey =
      Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null;
  }
  if (routeContextKey !== null) {
    const context = (request as unknown as Record<symbol, { config?: ProbeConfig } | undefined>)[
      routeContextKey
    ];
    if (context !== undefined) return context.config;
  }
  return request.routeOptions.config as ProbeConfig | undefined;
}

/** How Fastify sends what the shedder decided: the shedder chooses, this only delivers. */
function fastifyChannel(context: unknown, next: () => void): RejectionChannel {
  const reply = context as FastifyReply;
  const done = next as HookHandlerDoneFunction;
  return {
    // Through reply, so onSend hooks (CORS and the like) still apply.
    send: function sendRejection(rejection: Rejection) {
      reply.code(rejection.statusCode).headers(rejection.headers).send(rejection.body);
    },
    // Fastify's error handler answers with the error's statusCode and headers.
    fail: function failRequest(error: ShedErrorLike) {
      done(error);
    },
    // A custom response writes to the raw objects: Fastify must keep its hands off them.
    release: function hijack() {
      reply.hijack();
    },
  };
}

/**
 * Adaptive load shedding for Fastify: register it first so its `onRequest` hook runs before
 * other plugins' hooks and before the body is parsed. Decorates the instance with `loadShedder`,
 * `isUnderPressure()` and `overloadSignals()`.
 */
export const sheddingPlugin = fp(shedding, { name: '@lbkit/shedding', fastify: '5.x' });
