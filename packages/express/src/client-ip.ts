// Express adapter of @lbkit/client-ip: clientIp() sets req.clientIp and req.clientInfo from the trusted chain, resolved on first read.
import { IncomingMessage, type ServerResponse } from 'node:http';
import {
  type ClientInfo,
  type ClientIpOptions,
  type ClientIpResolver,
  acceptProxyProtocol as coreAcceptProxyProtocol,
  createClientIpResolver,
  isClientIpResolver,
} from '@lbkit/client-ip';
import { answerUncalledFactory } from '@lbkit/core/internal';
import type { NextFunction } from './types.js';

// Reads the PROXY protocol header of a connection, a request or its socket: re-exported as is,
// since it legitimately takes a request (it is no factory, so there is nothing to guard).
export { proxyProtocolInfo } from '@lbkit/client-ip';

declare global {
  // Merges with @types/express's namespace when it is installed, and stands alone when it is not.
  namespace Express {
    interface Request {
      /** The client address resolved by @lbkit/express clientIp() (undefined only without any IP). */
      clientIp?: string | undefined;
      /** Address, proto, host, port, chain and rate-limit key resolved by @lbkit/express clientIp(). */
      clientInfo?: ClientInfo;
    }
  }
}

/** What clientIp() sets on each request. */
interface ResolvedRequest extends IncomingMessage {
  clientIp?: string | undefined;
  clientInfo?: ClientInfo;
}

function field(read: (info: ClientInfo) => unknown): PropertyDescriptor {
  return {
    configurable: true,
    enumerable: true,
    get(this: ResolvedRequest) {
      return read(this.clientInfo as ClientInfo);
    },
  };
}

// Express's own rule (lib/request.js): the host without its port, an IPv6 literal kept in brackets.
function hostnameOf(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const colon = host.indexOf(':', host.charCodeAt(0) === 91 ? host.indexOf(']') + 1 : 0);
  return colon === -1 ? host : host.slice(0, colon);
}

// Own properties shadow Express's prototype getters and survive the prototype swap of mounted sub-apps;
// one shared set of getters reading req.clientInfo, so a request pays one defineProperties call.
const FRAMEWORK_FIELDS: PropertyDescriptorMap = {
  ip: field((info) => info.ip),
  // Express's order: furthest first, the socket peer left out.
  ips: field((info) => info.chain.slice(1).reverse()),
  protocol: field((info) => info.proto),
  secure: field((info) => info.proto === 'https'),
  hostname: field((info) => hostnameOf(info.host)),
};

// Slots of the lazy fields on a request: the resolver that applies to it, its resolution, and an
// address the application set itself. Registered symbols, so the getters of any copy of this
// package serve the requests of any other.
const RESOLVER = Symbol.for('@lbkit/express.clientIp.resolver');
const INFO = Symbol.for('@lbkit/express.clientIp.info');
const IP = Symbol.for('@lbkit/express.clientIp.ip');

interface LazyRequest extends ResolvedRequest {
  [RESOLVER]?: ClientIpResolver;
  [INFO]?: ClientInfo;
  [IP]?: { readonly ip: string | undefined };
}

const LAZY_FIELDS: PropertyDescriptorMap = {
  [RESOLVER]: { value: undefined, writable: true, configurable: true },
  clientInfo: {
    configurable: true,
    get(this: LazyRequest): ClientInfo | undefined {
      let info = this[INFO];
      if (info === undefined) {
        const resolver = this[RESOLVER];
        if (resolver === undefined) return undefined;
        info = resolver.resolve(this);
        this[INFO] = info;
      }
      return info;
    },
    set(this: LazyRequest, info: ClientInfo | undefined) {
      this[INFO] = info;
    },
  },
  clientIp: {
    configurable: true,
    get(this: LazyRequest): string | undefined {
      const set = this[IP];
      return set === undefined ? this.clientInfo?.ip : set.ip;
    },
    set(this: LazyRequest, ip: string | undefined) {
      this[IP] = { ip };
    },
  },
};

/**
 * Puts the lazy `clientIp` / `clientInfo` getters on the prototype every Express request of this
 * Express copy inherits from (`express.request`, which Express exports to be extended; mounted
 * sub-apps swap the prototype above it, not it). False for a request that is no Express request
 * (node:http's own prototype is never touched).
 */
function installLazyFields(req: IncomingMessage): boolean {
  let proto: object | null = Object.getPrototypeOf(req);
  if (proto === IncomingMessage.prototype) return false;
  while (proto !== null && Object.getPrototypeOf(proto) !== IncomingMessage.prototype) {
    proto = Object.getPrototypeOf(proto);
  }
  if (proto === null) return false;
  if (!Object.hasOwn(proto, RESOLVER)) Object.defineProperties(proto, LAZY_FIELDS);
  return true;
}

/**
 * `app.use(clientIp({ trust: 'loopback' }))`: sets `req.clientIp` and `req.clientInfo`, resolved
 * from the request the first time either is read (once per request; a route that reads neither
 * pays nothing). Options are checked here, at startup (LbkitError on misconfiguration). Leave
 * Express's own `trust proxy` off. With `frameworkFields: true`, `req.ip`, `req.ips`,
 * `req.protocol`, `req.secure` and `req.hostname` report the same resolution (for
 * express-rate-limit, morgan and the like); otherwise they keep Express's view (the socket address).
 * Pass options, or a resolver made with `createClientIpResolver()` to share it.
 */
export function clientIp(
  options: ClientIpOptions | ClientIpResolver,
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'clientIp', arguments)) return undefined as never;
  const resolver = isClientIpResolver(options) ? options : createClientIpResolver(options);
  const frameworkFields = resolver.frameworkFields === true;
  return function clientIp(req: LazyRequest, _res: ServerResponse, next: NextFunction): void {
    if (RESOLVER in req || installLazyFields(req)) {
      // Mounted twice (an app and a router), the later one answers, as an eager resolution would.
      if (req[INFO] !== undefined || req[IP] !== undefined) {
        req[INFO] = undefined;
        req[IP] = undefined;
      }
      req[RESOLVER] = resolver;
      // A resolution made later must see the socket as it is now, even once the client has gone:
      // Node keeps a socket's addresses once read (cheap after the connection's first request).
      const socket = req.socket as { remoteAddress?: unknown; localPort?: unknown } | null | undefined;
      if (socket) {
        void socket.remoteAddress;
        void socket.localPort;
      }
    } else {
      const info = resolver.resolve(req);
      req.clientInfo = info;
      req.clientIp = info.ip;
    }
    if (frameworkFields) Object.defineProperties(req, FRAMEWORK_FIELDS);
    next();
  };
}

/**
 * Accepts the PROXY protocol (v1/v2) on `server`, the server `app.listen()` returns, before any
 * request is read (see @lbkit/client-ip). It wraps a server, not requests: never `app.use()` it.
 */
export function acceptProxyProtocol(
  ...args: Parameters<typeof coreAcceptProxyProtocol>
): ReturnType<typeof coreAcceptProxyProtocol> {
  if (answerUncalledFactory('EXPRESS', 'acceptProxyProtocol', args)) return undefined as never;
  return coreAcceptProxyProtocol(...args);
}
