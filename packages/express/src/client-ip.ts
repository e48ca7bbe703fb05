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
const ADDRESSES_KEPT = Symbol.for('@lbkit/express.clientIp.addressesKept');

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
 * Makes the lazy `clientIp` / `clientInfo` getters reachable from `proto`, the prototype Express
 * gave a request (its app's `request`, or a mounted sub-app's, which inherits from its parent's):
 * they go on `express.request`, which every Express request of this Express copy inherits from
 * (Express exports it to be extended; mounted sub-apps swap the prototypes below it, never it), so
 * they answer in the app, in its sub-apps and after a sub-app hands the request back. False for a
 * request that is no Express request (node:http's own prototype is never touched).
 */
function installLazyFields(proto: object): boolean {
  // Express makes every app's `request` with the app as an own property.
  if (!Object.hasOwn(proto, 'app')) return false;
  const base = expressRequestAbove(proto);
  if (base === undefined) return false;
  if (!Object.hasOwn(base, INSTALLED)) Object.defineProperties(base, LAZY_FIELDS);
  return true;
}

/** `express.request` above `proto`: the object of the chain whose prototype is node:http's IncomingMessage's. */
function expressRequestAbove(proto: object): object | undefined {
  // Express's chain is req → app.request (→ a parent app's request, per level of mounting) →
  // express.request → IncomingMessage.prototype; a request straight off node:http has none of it.
  let candidate = Object.getPrototypeOf(proto) as object | null;
  for (let depth = 0; candidate !== null && depth < MOUNT_DEPTH; depth++) {
    const above = Object.getPrototypeOf(candidate) as object | null;
    if (above === IncomingMessage.prototype) return candidate;
    candidate = above;
  }
  return undefined;
}

/** Sub-apps mounted deeper than this are not looked through (nobody nests Express apps 30 deep). */
const MOUNT_DEPTH = 32;

/** A socket whose addresses clientIp() has had Node keep. */
interface KeptSocket {
  readonly remoteAddress?: unknown;
  readonly localPort?: unknown;
  [ADDRESSES_KEPT]?: true;
}

/**
 * Reads, so Node keeps, the addresses of a connection (net.Socket caches its peer and local names
 * once read), at the first request of the connection clientIp() sees: a resolution made later must
 * see the socket as it was, even once the client has gone. Reading them on every request cost more
 * than everything else the middleware does; a mark on the socket is one property load.
 */
function keepAddresses(socket: KeptSocket): void {
  void socket.remoteAddress;
  void socket.localPort;
  socket[ADDRESSES_KEPT] = true;
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
  // The request prototype (an app's `request`) last seen with the getters above it: after the first
  // request of an app, a request costs one prototype read and one slot, nothing is resolved.
  let lazyProto: object | undefined;
  return function clientIp(req: LazyRequest, _res: ServerResponse, next: NextFunction): void {
    const proto = Object.getPrototypeOf(req) as object | null;
    if (proto !== lazyProto && proto !== null && installLazyFields(proto)) lazyProto = proto;
    if (proto === lazyProto) {
      slotsOf(req)[RESOLVER] = resolver;
      const socket = req.socket as KeptSocket | null | undefined;
      if (socket && socket[ADDRESSES_KEPT] !== true) keepAddresses(socket);
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
