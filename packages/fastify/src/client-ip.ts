// Fastify plugin of @lbkit/client-ip: decorates request.clientIp and request.clientInfo in an onRequest hook.
import {
  type ClientInfo,
  type ClientIpOptions,
  type ClientIpResolver,
  createClientIpResolver,
  isClientIpResolver,
} from '@lbkit/client-ip';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

// The PROXY protocol wrapper works on the server, not per request: re-exported for one-import apps.
export { acceptProxyProtocol, proxyProtocolInfo } from '@lbkit/client-ip';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address resolved by @lbkit/fastify clientIpPlugin (undefined only without any IP). */
    clientIp: string | undefined;
    /** Address, proto, host, port, chain and rate-limit key resolved by @lbkit/fastify clientIpPlugin. */
    clientInfo: ClientInfo;
  }
}

/** Options of {@link clientIpPlugin}: the client-ip options, or `{ resolver }` to share a resolver made elsewhere. */
export type ClientIpPluginOptions = ClientIpOptions | { readonly resolver: ClientIpResolver };

function field(read: (info: ClientInfo) => unknown): PropertyDescriptor {
  return {
    configurable: true,
    enumerable: true,
    get(this: FastifyRequest) {
      return read(this.clientInfo);
    },
  };
}

// Own properties shadow the getters of Fastify's Request prototype (its hostname and port read
// this.host, so they follow); one shared set of getters, so a request pays one defineProperties call.
const FRAMEWORK_FIELDS: PropertyDescriptorMap = {
  ip: field((info) => info.ip),
  // Fastify's order (proxy-addr's all()): the socket peer first, the client last.
  ips: field((info) => [...info.chain]),
  protocol: field((info) => info.proto),
  // Fastify answers '' when there is no Host header.
  host: field((info) => info.host ?? ''),
};

async function lbkitClientIp(fastify: FastifyInstance, options: ClientIpPluginOptions): Promise<void> {
  const { own, rest } = readPluginOptions<{ resolver?: ClientIpResolver }>(
    'clientIpPlugin',
    options,
    ['resolver'],
    true,
  );
  const given = own.get('resolver');
  if (given !== undefined && !isClientIpResolver(given)) {
    throw own.invalid(
      'resolver must be a resolver made by createClientIpResolver()',
      'Pass resolver: createClientIpResolver({ ... }), or the options directly.',
    );
  }
  if (given !== undefined && Object.keys(rest).length > 0) {
    throw own.invalid(
      `${Object.keys(rest).join(', ')} would be ignored next to resolver`,
      'Pass them to the createClientIpResolver() that made it, or leave resolver out.',
    );
  }
  const resolver = given ?? createClientIpResolver(rest as unknown as ClientIpOptions);
  fastify.decorateRequest('clientIp', undefined);
  fastify.decorateRequest('clientInfo', null as unknown as ClientInfo);
  // Chosen once, here: without frameworkFields the per-request path is what it always was.
  const onRequest = resolver.frameworkFields
    ? function resolveClientIpAndFields(
        request: FastifyRequest,
        _reply: FastifyReply,
        done: HookHandlerDoneFunction,
      ): void {
        const info = resolver.resolve(request.raw);
        request.clientInfo = info;
        request.clientIp = info.ip;
        Object.defineProperties(request, FRAMEWORK_FIELDS);
        done();
      }
    : function resolveClientIp(
        request: FastifyRequest,
        _reply: FastifyReply,
        done: HookHandlerDoneFunction,
      ): void {
        const info = resolver.resolve(request.raw);
        request.clientInfo = info;
        request.clientIp = info.ip;
        done();
      };
  fastify.addHook('onRequest', onRequest);
}

/**
 * `fastify.register(clientIpPlugin, { trust: 'loopback' })`: resolves each request's client in
 * `onRequest` and decorates `request.clientIp` / `request.clientInfo`. Options are checked at
 * registration (LbkitError on misconfiguration). Leave Fastify's `trustProxy` off. With
 * `frameworkFields: true`, `request.ip`, `request.ips`, `request.protocol` and `request.host` (and so
 * `hostname` and `port`) report the same resolution from this hook on; otherwise they keep
 * Fastify's view (the socket address). For the PROXY protocol, call `acceptProxyProtocol(fastify.server, …)`
 * before `listen()`. Pass `{ resolver }` to share a resolver made with `createClientIpResolver()`.
 */
export const clientIpPlugin = fp(lbkitClientIp, { name: '@lbkit/client-ip', fastify: '5.x' });
