// The one reject decision: onReject (guarded), the framework's error handler, the adapter's send, or the raw default.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeRejection } from './rejection.js';
import { ShedError } from './shed-error.js';
import type { RejectHandler, Rejection, RejectionChannel } from './types.js';

/** How long a custom `onReject` may take to answer before the default rejection is written. */
export const ON_REJECT_ANSWER_MS = 1000;

/** The resolved options the decision reads. */
export interface RejectSettings {
  readonly onReject: RejectHandler | undefined;
  readonly rejectWith: 'response' | 'error';
  readonly message: string | undefined;
  readonly format: 'json' | 'text';
}

/**
 * Answers every shed request of one shedder, for every adapter: the adapters only say how their
 * framework sends a response or an error, never which one a request gets.
 */
export class RejectDecision {
  readonly #settings: RejectSettings;
  readonly #failure: { body: Buffer; type: string };
  #warned = false;

  constructor(settings: RejectSettings) {
    this.#settings = settings;
    this.#failure =
      settings.format === 'json'
        ? { body: Buffer.from('{"error":"Internal Server Error"}'), type: 'application/json; charset=utf-8' }
        : { body: Buffer.from('Internal Server Error\n'), type: 'text/plain; charset=utf-8' };
  }

  /** Answers `req` with `rejection`, through `channel` where the framework must do it. */
  answer(
    rejection: Rejection,
    req: IncomingMessage,
    res: ServerResponse,
    channel: RejectionChannel | undefined,
  ): void {
    const { onReject, rejectWith, message } = this.#settings;
    if (onReject) this.#custom(onReject, rejection, req, res, channel);
    else if (rejectWith === 'error' && channel?.fail) channel.fail(new ShedError(rejection, message));
    else if (channel?.send) channel.send(rejection);
    else writeRejection(rejection, req, res);
  }

  #custom(
    onReject: RejectHandler,
    rejection: Rejection,
    req: IncomingMessage,
    res: ServerResponse,
    channel: RejectionChannel | undefined,
  ): void {
    channel?.release?.();
    let result: unknown;
    try {
      result = onReject(rejection, req, res);
    } catch (error) {
      this.#failed(error, res);
      return;
    }
    if (answered(res)) return;
    // A handler that answers later (from a callback, or a promise that never settles) gets a
    // bounded time to do so: a shed request must never hang, and shedding is meant to be quick.
    const fallback = (): void => {
      clearTimeout(guard);
      if (!answered(res)) writeRejection(rejection, req, res);
    };
    const guard = setTimeout(fallback, ON_REJECT_ANSWER_MS);
    guard.unref();
    res.once('close', () => clearTimeout(guard));
    if (isThenable(result)) {
      result.then(fallback, (error: unknown) => {
        clearTimeout(guard);
        this.#failed(error, res);
      });
    }
  }

  /** A throwing `onReject`: answer 500 (the process carries on) and say so once. */
  #failed(error: unknown, res: ServerResponse): void {
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, {
        'content-type': this.#failure.type,
        'content-length': this.#failure.body.length,
        'cache-control': 'no-store',
      });
      res.end(this.#failure.body);
    } else if (!res.writableEnded) res.destroy();
    if (this.#warned) return;
    this.#warned = true;
    process.emitWarning(
      `loadShedding(): onReject failed (${error instanceof Error ? error.message : String(error)}); the request was answered 500. Further failures are not reported.`,
      { code: 'LBKIT_SHEDDING_ON_REJECT_FAILED' },
    );
  }
}

function answered(res: ServerResponse): boolean {
  return res.writableEnded || res.destroyed;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
