// Express adapter of @lbkit/shedding: loadShedding() middleware; mount it first, before body parsers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerUncalledFactory } from '@lbkit/core/internal';
import { isLoadShedder, LoadShedder, type LoadSheddingOptions } from '@lbkit/shedding';
import type { NextFunction } from './types.js';

/** The middleware returned by {@link loadShedding}, with the shedder it drives. */
export interface LoadSheddingMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  /** The shedder: pass it to `overloadCheck()` for readiness, read `snapshot()` for metrics. */
  readonly shedder: LoadShedder;
}

/**
 * Adaptive load shedding for Express. Mount it first (`app.use(loadShedding({ health }))`, see the
 * root README's "Mount order") so a shed request costs no body parsing, session lookup or routing;
 * with `health`, the probes' paths are never shed, whatever they are. Pass options to build a
 * shedder, or an existing `LoadShedder` to share it.
 */
export function loadShedding(options: LoadSheddingOptions | LoadShedder = {}): LoadSheddingMiddleware {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'loadShedding', arguments)) return undefined as never;
  const shedder = isLoadShedder(options) ? options : new LoadShedder(options);
  const middleware = function loadSheddingMiddleware(
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
  ): void {
    // `fail` hands a ShedError to Express's error handlers (rejectWith: 'error'); the shedder
    // decides everything else and writes on the response itself.
    shedder.admit(req, res, next, { fail: next });
  };
  return Object.assign(middleware, { shedder });
}
