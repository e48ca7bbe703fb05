// Public types of @lbkit/express: what every adapter's middleware takes, and the codes the adapters raise themselves.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Express's `next`: call it with nothing to pass the request on, or with an error to hand it to the
 * error handlers. Typed here on node:http alone, so these declarations need no `@types/express`
 * and accept the `next` of Express 4 and 5 alike.
 */
export type NextFunction = (error?: unknown) => void;

/**
 * A middleware as the adapters return it: `(req, res, next)` on node:http's request and response,
 * which Express's own extend, so it mounts with `app.use()` on Express 4 and 5.
 */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

/**
 * The codes @lbkit/express raises itself; every other code comes from the package an adapter adapts.
 * `LBKIT_EXPRESS_FACTORY_NOT_CALLED`: a factory was mounted without being called
 * (`app.use(healthcheck)`); the request is answered with it through `next(error)`.
 */
export type ExpressErrorCode = 'LBKIT_EXPRESS_FACTORY_NOT_CALLED';
