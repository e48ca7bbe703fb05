// Express adapter of @lbkit/shedding: loadShedding() middleware, which then decides on the server's request event.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerUncalledFactory } from '@lbkit/core/internal';
import { type ChannelFactory, isLoadShedder, LoadShedder, type LoadSheddingOptions } from '@lbkit/shedding';
import type { NextFunction } from './types.js';

/** The middleware returned by {@link loadShedding}, with the shedder it drives. */
export interface LoadSheddingMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  /** The shedder: pass it to `overloadCheck()` for readiness, read `snapshot()` for metrics. */
  readonly shedder: LoadShedder;
}

/** What the middleware reads of an Express app: enough to know it is the app's first layer. */
interface AppLike {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly parent?: unknown;
  readonly _router?: { readonly stack?: readonly { readonly handle?: unknown; readonly name?: string }[] };
  readonly router?: { readonly stack?: readonly { readonly handle?: unknown; readonly name?: string }[] };
}

/** A server as the middleware finds it on a request's socket. */
interface ServerLike {
  listeners(event: 'request'): ((...args: unknown[]) => void)[];
  on(event: 'request', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'request', listener: (...args: unknown[]) => void): unknown;
}

// Express 4's own first layers (query parsing, expressInit): per-request work of Express itself.
const EXPRESS_INIT_LAYERS: ReadonlySet<string> = new Set(['query', 'expressInit']);

// `fail` hands a ShedError to Express's error handlers (rejectWith: 'error'); the shedder decides
// everything else and writes on the response itself.
const expressChannel: ChannelFactory = (_context, next) => ({ fail: next });

/**
 * Adaptive load shedding for Express. Mount it first (`app.use(loadShedding({ health }))`, see the
 * root README's "Mount order") so a shed request costs no body parsing, session lookup or routing;
 * with `health`, the probes' paths are never shed, whatever they are. Pass options to build a
 * shedder, or an existing `LoadShedder` to share it.
 *
 * Mounted first on the app the server runs, it moves its decision in front of Express: from the
 * second request on, the server's `request` event reaches the shedder before the app (the
 * node:http recipe, set up by the middleware itself the first time it sees the server), so a
 * rejected or queued request costs none of Express's own per-request work. That needs decisions
 * made on the raw request alone (no `classify`, no `exempt` function, no `onReject`, no
 * `rejectWith: 'error'`, see `LoadShedder.rawDecision`); otherwise, or mounted anywhere else, the
 * middleware decides where it stands, for the same requests.
 */
export function loadShedding(options: LoadSheddingOptions | LoadShedder = {}): LoadSheddingMiddleware {
  // biome-ignore lint/complexity/noArguments: mounted uncalled, the factory gets (req, res, next), more than it declares
  if (answerUncalledFactory('EXPRESS', 'loadShedding', arguments)) return undefined as never;
  const shedder = isLoadShedder(options) ? options : new LoadShedder(options);
  const seen = new WeakSet<object>();
  const gate: Gate = { current: undefined };
  const middleware = function loadSheddingMiddleware(
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
  ): void {
    // The request the gate at the server's request event admitted and is running now: decided.
    if (req === gate.current) {
      next();
      return;
    }
    const server = (req.socket as { server?: object } | undefined)?.server;
    if (server !== undefined && !seen.has(server)) {
      seen.add(server);
      decideEarly(server as ServerLike, req, middleware, shedder, gate);
    }
    // A request admitted at the gate but reaching here later (an app that defers its first layer)
    // is handed on by the shedder, which knows it, without being counted twice.
    shedder.admitVia(req, res, next as () => void, expressChannel, undefined);
  };
  return Object.assign(middleware, { shedder });
}

/**
 * Puts the shedder in front of the app on `server`'s `request` event when that decides exactly
 * what the middleware would: the middleware is the first layer of the top-level app, mounted at
 * the root, and the app is the server's own request listener.
 */
function decideEarly(
  server: ServerLike,
  req: IncomingMessage,
  middleware: unknown,
  shedder: LoadShedder,
  gate: Gate,
): void {
  if (!shedder.rawDecision || (req as { baseUrl?: string }).baseUrl !== '') return;
  const app = (req as { app?: AppLike }).app;
  if (typeof app !== 'function' || app.parent !== undefined) return;
  // Express 4 keeps its router in `_router` (its `router` getter throws); Express 5 in `router`.
  const stack = (app._router ?? app.router)?.stack ?? [];
  const first = stack.find((layer) => !EXPRESS_INIT_LAYERS.has(layer.name ?? ''));
  if (first?.handle !== middleware) return;
  const listeners = server.listeners('request');
  if (!listeners.includes(app as (...args: unknown[]) => void)) return;
  const onRequest = function loadSheddingGate(request: IncomingMessage, response: ServerResponse): void {
    shedder.admitVia(request, response, () => runApp(app, request, response, gate), undefined, undefined);
  } as (...args: unknown[]) => void;
  // Listeners keep their order: the gate takes the app's place.
  for (const listener of listeners) server.removeListener('request', listener);
  for (const listener of listeners) server.on('request', listener === app ? onRequest : listener);
}

/**
 * The request the gate is handing to the app, while the app runs synchronously: Express reaches
 * its first layer, this middleware, before `app()` returns, and the middleware knows the request
 * by identity instead of asking the shedder (no lookup; with `concurrencyLimit: false` the
 * shedder keeps nothing per request to ask).
 */
interface Gate {
  current: IncomingMessage | undefined;
}

function runApp(app: AppLike, request: IncomingMessage, response: ServerResponse, gate: Gate): void {
  gate.current = request;
  try {
    app(request, response);
  } finally {
    gate.current = undefined;
  }
}
