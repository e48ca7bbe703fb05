// Express adapter of @lbkit/health: healthcheck() answers the probe routes as one middleware.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerUncalledFactory } from '@lbkit/core/internal';
import { createHealth, type Health, type HealthOptions, isHealth } from '@lbkit/health';
import type { NextFunction } from './types.js';

/** The middleware `healthcheck()` returns; `health` is the underlying probes (call `health.close()` on shutdown). */
export interface HealthcheckMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  /** The probes this middleware answers with. */
  readonly health: Health;
}

/**
 * `app.use(healthcheck({ checks }))`: answers GET/HEAD on `/health/live`, `/health/ready`,
 * `/health/startup` and `/health` (configurable with `paths`) and passes every other request on.
 * Mount it before session, body parsing and load shedding, so probes stay cheap and are never shed.
 * Accepts options or a Health made with `createHealth()`.
 */
export function healthcheck(options: HealthOptions | Health = {}): HealthcheckMiddleware {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'healthcheck', arguments)) return undefined as never;
  const health = isHealth(options) ? options : createHealth(options);
  function healthcheck(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    if (!health.handle(req, res)) next();
  }
  return Object.assign(healthcheck, { health });
}
