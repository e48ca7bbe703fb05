// Express adapter of @lbkit/client-ip: clientIp() sets req.clientIp and req.clientInfo from the trusted chain.
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/**
 * `app.use(clientIp({ trust: 'loopback' }))`: resolves each request's client once, before the routes,
 * and sets `req.clientIp` and `req.clientInfo`. Options are checked here, at startup (LbkitError on
 * misconfiguration). Leave Express's own `trust proxy` off: `req.ip` keeps the socket address.
 * Pass options, or a resolver made with `createClientIpResolver()` to share it.
 */
export function clientIp(
  options: ClientIpOptions | ClientIpResolver,
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'clientIp', arguments)) return undefined as never;
  const resolver = isClientIpResolver(options) ? options : createClientIpResolver(options);
  return function clientIp(req: ResolvedRequest, _res: ServerResponse, next: NextFunction): void {
    const info = resolver.resolve(req);
    req.clientInfo = info;
    req.clientIp = info.ip;
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
