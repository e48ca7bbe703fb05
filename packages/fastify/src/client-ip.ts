// Fastify plugin of @lbkit/client-ip: decorates request.clientIp and request.clientInfo, resolved on first read.
import type { Socket } from 'node:net';
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

// Per-request slots of the lazy decorators: the resolution, and an address the application set itself.
const INFO = Symbol('lbkit.clientInfo');
const IP = Symbol('lbkit.clientIp');

interface LazyRequest extends FastifyRequest {
  [INFO]: ClientInfo | null;
  [IP]: { readonly ip: string | undefined } | null;
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
  // Resolved on first read, once per request: a route that never reads the client pays nothing.
  fastify.decorateRequest(INFO, null);
  fastify.decorateRequest(IP, null);
  fastify.decorateRequest('clientInfo', {
    getter(this: FastifyRequest): ClientInfo {
      const request = this as LazyRequest;
      let info = request[INFO];
      if (info === null) {
        info = resolver.resolve(request.raw);
        request[INFO] = info;
      }
      return info;
    },
    setter(this: FastifyRequest, info: ClientInfo) {
      (this as LazyRequest)[INFO] = info;
    },
  });
  fastify.decorateRequest('clientIp', {
    getter(this: FastifyRequest): string | undefined {
      const set = (this as LazyRequest)[IP];
      return set === null ? this.clientInfo.ip : set.ip;
    },
    setter(this: FastifyRequest, ip: string | undefined) {
      (this as LazyRequest)[IP] = { ip };
    },
  });
  // A later read must see the socket as the request did, even once the client has gone: Node keeps
  // the addresses of a socket once read, so they are read once per connection, not per request.
  const server = fastify.server;
  server.on('connection', rememberAddresses);
  server.on('secureConnection', rememberAddresses);
  fastify.addHook('onClose', function forgetClientIpListeners(_instance, done) {
    server.off('connection', rememberAddresses);
    server.off('secureConnection', rememberAddresses);
    done();
  });
  // Chosen once, here: without frameworkFields no hook runs per request.
  if (resolver.frameworkFields) {
    fastify.addHook(
      'onRequest',
      function clientIpFrameworkFields(
        request: FastifyRequest,
        _reply: FastifyReply,
        done: HookHandlerDoneFunction,
      ): void {
        Object.defineProperties(request, FRAMEWORK_FIELDS);
        done();
      },
    );
  }
}

/** Reads, so Node keeps, the addresses of an accepted socket (net.Socket caches its peer and local names). */
function rememberAddresses(socket: Socket): void {
  void socket.remoteAddress;
  void socket.localPort;
}

/**
 * `fastify.register(clientIpPlugin, { trust: 'loopback' })`: decorates `request.clientIp` /
 * `request.clientInfo`, resolved from the request the first time either is read (once per request;
 * routes that read neither pay nothing). Options are checked at
 * registration (LbkitError on misconfiguration). Leave Fastify's `trustProxy` off. With
 * `frameworkFields: true`, `request.ip`, `request.ips`, `request.protocol` and `request.host` (and so
 * `hostname` and `port`) report the same resolution (an onRequest hook sets them up); otherwise they keep
 * Fastify's view (the socket address). For the PROXY protocol, call `acceptProxyProtocol(fastify.server, …)`
 * before `listen()`. Pass `{ resolver }` to share a resolver made with `createClientIpResolver()`.
 */
export const clientIpPlugin = fp(lbkitClientIp, { name: '@lbkit/client-ip', fastify: '5.x' });
