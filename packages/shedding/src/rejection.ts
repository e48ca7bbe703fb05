// Builds and writes the 503 of a shed request: prebuilt body, jittered Retry-After, nothing else.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Priority, Rejection, RejectionReason } from './types.js';

/** Resolved `retryAfter` settings. */
export interface RetryAfterSettings {
  readonly minSeconds: number;
  readonly maxSeconds: number;
  readonly jitter: number;
}

/** Defaults of `retryAfter`, shared with option validation and the README. */
export const RETRY_AFTER_DEFAULTS: RetryAfterSettings = { minSeconds: 1, maxSeconds: 30, jitter: 0.5 };

const REASONS: readonly RejectionReason[] = [
  'stopped',
  'backstop',
  'overloaded',
  'queue-timeout',
  'queue-full',
];

/** Rejection bodies for every reason, built once per shedder so the hot path only picks one. */
export type RejectionBodies = Readonly<Record<RejectionReason, { body: Buffer; type: string }>>;

/** Builds the bodies of `format`, with the `message` option when one is set. */
export function buildBodies(format: 'json' | 'text', message?: string): RejectionBodies {
  const entries = REASONS.map((reason) => {
    const body =
      format === 'json'
        ? Buffer.from(
            JSON.stringify(
              message === undefined
                ? { error: 'Service Unavailable', reason }
                : { error: 'Service Unavailable', message, reason },
            ),
          )
        : Buffer.from(
            message === undefined ? `Service Unavailable (${reason}): retry later\n` : `${message}\n`,
          );
    const type = format === 'json' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
    return [reason, { body, type }] as const;
  });
  return Object.fromEntries(entries) as RejectionBodies;
}

/**
 * Whole seconds for `Retry-After`: the estimated time to drain, bounded, then spread by a random
 * factor in [1, 1 + jitter) so that clients shed together do not come back together.
 */
export function retryAfterSeconds(drainMs: number, settings: RetryAfterSettings, random: number): number {
  const base = Math.min(settings.maxSeconds, Math.max(settings.minSeconds, drainMs / 1000));
  const spread = base * (1 + settings.jitter * random);
  return Math.max(settings.minSeconds, Math.min(settings.maxSeconds, Math.round(spread)));
}

/** The rejection object handed to `onReject` and written by default. */
export function makeRejection(
  reason: RejectionReason,
  priority: Priority,
  retryAfter: number,
  bodies: RejectionBodies,
): Rejection {
  const { body, type } = bodies[reason];
  return {
    reason,
    priority,
    statusCode: 503,
    retryAfterSeconds: retryAfter,
    headers: {
      'content-type': type,
      'content-length': body.length,
      'retry-after': String(retryAfter),
      'cache-control': 'no-store',
    },
    body,
  };
}

/** Writes the default rejection (no body for HEAD). Does nothing when the response is already under way. */
export function writeRejection(rejection: Rejection, req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(rejection.statusCode, rejection.headers);
  res.end(req.method === 'HEAD' ? undefined : rejection.body);
}
