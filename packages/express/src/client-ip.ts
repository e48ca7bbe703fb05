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

// Slots of the lazy fields on a request: the resolver that applies to it, its resolution and the
// resolver that made it, and an address the application set itself. Registered symbols, so the
// getters of any copy of this package serve the requests of any other.
const RESOLVER = Symbol.for('@lbkit/express.clientIp.resolver');
const INFO = Symbol.for('@lbkit/express.clientIp.info');
const INFO_BY = Symbol.for('@lbkit/express.clientIp.infoBy');
const IP = Symbol.for('@lbkit/express.clientIp.ip');
const INSTALLED = Symbol.for('@lbkit/express.clientIp.installed');

/** Where a request's slots live: its `res.locals` (a null-prototype object Express makes per request). */
interface Slots {
  [RESOLVER]?: ClientIpResolver;
  [INFO]?: ClientInfo;
  [INFO_BY]?: ClientIpResolver;
  [IP]?: { readonly ip: string | undefined };
}

interface LazyRequest extends ResolvedRequest {
  res?: { locals?: Slots };
}

// Adding a property to an Express request takes V8's slow path through its prototypes (about a
// microsecond); `res.locals` has no prototype, so a slot added there costs what a map entry does.
function slotsOf(req: LazyRequest): Slots {
  return req.res?.locals ?? (req as Slots);
}

const LAZY_FIELDS: PropertyDescriptorMap = {
  [INSTALLED]: { value: true },
  clientInfo: {
    configurable: true,
    get(this: LazyRequest): ClientInfo | undefined {
      const slots = slotsOf(this);
      const resolver = slots[RESOLVER];
      // Mounted twice (an app and a router), the later one answers, as an eager resolution would.
      if (slots[INFO_BY] === resolver || resolver === undefined) return slots[INFO];
      const info = resolver.resolve(this);
      slots[INFO] = info;
      slots[INFO_BY] = resolver;
      return info;
    },
    set(this: LazyRequest, info: ClientInfo | undefined) {
      const slots = slotsOf(this);
      slots[INFO] = info;
      slots[INFO_BY] = slots[RESOLVER];
    },
  },
  clientIp: {
    configurable: true,
    get(this: LazyRequest): string | undefined {
      const set = slotsOf(this)[IP];
      return set === undefined ? this.clientInfo?.ip : set.ip;
    },
    set(this: LazyRequest, ip: string | undefined) {
      slotsOf(this)[IP] = { ip };
    },
  },
};

/**
 * Puts the lazy `clientIp` / `clientInfo` getters on the prototype every Express request of this
 * Express copy inherits from (`express.request`, which Express exports to be extended; mounted
 * sub-apps swap the prototype above it, not it), and returns it. Undefined for a request that is
 * no Express request (node:http's own prototype is never touched).
 */
function installLazyFields(req: IncomingMessage): object | undefined {
  const base = expressRequestOf(req);
  if (base === undefined || Object.getPrototypeOf(base) !== IncomingMessage.prototype) return undefined;
  if (!Object.hasOwn(base, INSTALLED)) Object.defineProperties(base, LAZY_FIELDS);
  return base;
}

/** `express.request` for an Express request: req → app.request (or a sub-app's) → express.request. */
function expressRequestOf(req: IncomingMessage): object | undefined {
  const app = Object.getPrototypeOf(req) as object | null;
  return (app && (Object.getPrototypeOf(app) as object | null)) ?? undefined;
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
  // The express.request the getters were put on last: one identity test per request after the first.
  let lazyBase: object | undefined;
  return function clientIp(req: LazyRequest, _res: ServerResponse, next: NextFunction): void {
    const base = expressRequestOf(req);
    if (base !== undefined && base !== lazyBase) lazyBase = installLazyFields(req);
    if (base !== undefined && base === lazyBase) {
      slotsOf(req)[RESOLVER] = resolver;
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
