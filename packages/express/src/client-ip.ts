// Express adapter of @lbkit/client-ip: clientIp() sets req.clientIp and req.clientInfo from the trusted chain.
import { type ClientInfo, type ClientIpOptions, createClientIpResolver } from '@lbkit/client-ip';
import type { NextFunction, Request, Response } from 'express';

// The PROXY protocol wrapper works on the server, not per request: re-exported for one-import apps.
export { acceptProxyProtocol, proxyProtocolInfo } from '@lbkit/client-ip';

declare global {
  namespace Express {
    interface Request {
      /** The client address resolved by @lbkit/express clientIp() (undefined only without any IP). */
      clientIp?: string | undefined;
      /** Address, proto, host, port, chain and rate-limit key resolved by @lbkit/express clientIp(). */
      clientInfo?: ClientInfo;
    }
  }
}

/**
 * `app.use(clientIp({ trust: 'loopback' }))`: resolves each request's client once, before the routes,
 * and sets `req.clientIp` and `req.clientInfo`. Options are checked here, at startup (LbkitError on
 * misconfiguration). Leave Express's own `trust proxy` off: `req.ip` keeps the socket address.
 */
export function clientIp(
  options: ClientIpOptions,
): (req: Request, res: Response, next: NextFunction) => void {
  const resolver = createClientIpResolver(options);
  return function clientIp(req: Request, _res: Response, next: NextFunction): void {
    const info = resolver.resolve(req);
    req.clientInfo = info;
    req.clientIp = info.ip;
    next();
  };
}
