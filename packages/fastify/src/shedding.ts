// Fastify plugin of @lbkit/shedding: admits, queues or sheds in onRequest, before the body is read.
import { LoadShedder, type LoadSheddingOptions, type Rejection } from '@lbkit/shedding';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The load shedder of `sheddingPlugin`: pass it to `overloadCheck()`, read `snapshot()` for metrics. */
    loadShedder: LoadShedder;
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
  if (given !== undefined && !(given instanceof LoadShedder)) {
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
  const onReject = shedder.onReject;
  fastify.decorate('loadShedder', shedder);

  fastify.addHook(
    'onRequest',
    function onRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      // @lbkit/health marks its probe routes, wherever their paths are: never limit or shed them.
      if ((request.routeOptions.config as ProbeConfig | undefined)?.lbkit?.probe) {
        shedder.lifecycle.inFlight.track(request.raw, reply.raw);
        done();
        return;
      }
      shedder.admit(
        request.raw,
        reply.raw,
        () => done(),
        function rejectRequest(rejection: Rejection) {
          if (onReject) {
            // A custom response writes to the raw objects: Fastify must keep its hands off them.
            reply.hijack();
            onReject(rejection, request.raw, reply.raw);
            return;
          }
          reply.code(rejection.statusCode).headers(rejection.headers).send(rejection.body);
        },
      );
    },
  );

  fastify.addHook('onClose', function onClose(_instance, done) {
    // A shedder passed in belongs to the caller, who may share it between servers.
    if (!given) shedder.close();
    done();
  });
}

/**
 * Adaptive load shedding for Fastify: register it first so its `onRequest` hook runs before
 * other plugins' hooks and before the body is parsed. Decorates the instance with `loadShedder`.
 */
export const sheddingPlugin = fp(shedding, { name: '@lbkit/shedding', fastify: '5.x' });
