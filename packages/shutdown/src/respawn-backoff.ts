// Exponential backoff for replacing workers that die unexpectedly, so that a crash loop does not spin.
import { LbkitError } from '@lbkit/core';
import { duration } from './options.js';
import type { RespawnBackoff } from './types.js';

/** Backoff with defaults applied. */
export interface ResolvedBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly resetAfterMs: number;
}

/** Validates the backoff options; throws `LBKIT_SHUTDOWN_DURATION_INVALID` or `LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID`. */
export function resolveBackoff(options: RespawnBackoff = {}): ResolvedBackoff {
  const factor = options.factor ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 100) {
    throw new LbkitError('LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID', 'respawn.factor must be a number from 1 to 100', {
      hint: 'Use 2 to double the delay after each early death.',
    });
  }
  const initialDelayMs = duration('respawn.initialDelayMs', options.initialDelayMs, 100);
  const maxDelayMs = duration('respawn.maxDelayMs', options.maxDelayMs, 10_000);
  if (maxDelayMs < initialDelayMs) {
    throw new LbkitError(
      'LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID',
      'respawn.maxDelayMs is below respawn.initialDelayMs',
      {
        hint: 'Make the upper bound at least the first delay.',
      },
    );
  }
  return {
    initialDelayMs,
    maxDelayMs,
    factor,
    resetAfterMs: duration('respawn.resetAfterMs', options.resetAfterMs, 10_000),
  };
}

/** Delay before replacement number `attempt` (1-based) of consecutive early deaths. */
export function respawnDelay(attempt: number, backoff: ResolvedBackoff): number {
  const grown = backoff.initialDelayMs * backoff.factor ** Math.max(0, attempt - 1);
  return Math.min(backoff.maxDelayMs, Math.round(grown));
}
