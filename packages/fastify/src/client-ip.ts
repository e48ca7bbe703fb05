// Fastify plugin of @lbkit/client-ip: decorates request.clientIp and request.clientInfo in an onRequest hook.
import { type ClientInfo, type ClientIpOptions, createClientIpResolver } from '@lbkit/client-ip';
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

async function lbkitClientIp(fastify: FastifyInstance, options: ClientIpOptions): Promise<void> {
  const { rest } = readPluginOptions<object>('clientIpPlugin', options, [], true);
  const resolver = createClientIpResolver(rest as unknown as ClientIpOptions);
  fastify.decorateRequest('clientIp', undefined);
  fastify.decorateRequest('clientInfo', null as unknown as ClientInfo);
  fastify.addHook(
    'onRequest',
    function resolveClientIp(
      request: FastifyRequest,
      _reply: FastifyReply,
      done: HookHandlerDoneFunction,
    ): void {
      const info = resolver.resolve(request.raw);
      request.clientInfo = info;
      request.clientIp = info.ip;
      done();
    },
  );
}

/**
 * `fastify.register(clientIpPlugin, { trust: 'loopback' })`: resolves each request's client in
 * `onRequest` and decorates `request.clientIp` / `request.clientInfo`. Options are checked at
 * registration (LbkitError on misconfiguration). Leave Fastify's `trustProxy` off: `request.ip`
 * keeps the socket address. For the PROXY protocol, call `acceptProxyProtocol(fastify.server, …)`
 * before `listen()`.
 */
export const clientIpPlugin = fp(lbkitClientIp, { name: '@lbkit/client-ip', fastify: '5.x' });
