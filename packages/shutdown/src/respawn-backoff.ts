// Exponential backoff for replacing workers that die unexpectedly, so that a crash loop does not spin.
import type { OptionReader } from '@lbkit/core/internal';
import { duration } from './options.js';
import type { RespawnBackoff } from './types.js';

/** Backoff with defaults applied. */
export interface ResolvedBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly resetAfterMs: number;
}

/** Every option of {@link RespawnBackoff}, for the reader of `respawn`. */
export const BACKOFF_KEYS = Object.keys({
  initialDelayMs: true,
  maxDelayMs: true,
  factor: true,
  resetAfterMs: true,
} satisfies Record<keyof RespawnBackoff, true>);

/** Validates the backoff options; throws `LBKIT_SHUTDOWN_DURATION_INVALID` or `LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID`. */
export function resolveBackoff(options: OptionReader<RespawnBackoff>): ResolvedBackoff {
  const factor: unknown = options.get('factor') ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 100) {
    throw options.invalid(
      `respawn.factor must be a number from 1 to 100, got ${String(factor)}`,
      'Use 2 to double the delay after each early death.',
      'LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID',
    );
  }
  const initialDelayMs = duration(options, 'initialDelayMs', 100);
  const maxDelayMs = duration(options, 'maxDelayMs', 10_000);
  if (maxDelayMs < initialDelayMs) {
    throw options.invalid(
      `respawn.maxDelayMs (${maxDelayMs}) is below respawn.initialDelayMs (${initialDelayMs})`,
      'Make the upper bound at least the first delay.',
      'LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID',
    );
  }
  return { initialDelayMs, maxDelayMs, factor, resetAfterMs: duration(options, 'resetAfterMs', 10_000) };
}

/** Delay before replacement number `attempt` (1-based) of consecutive early deaths. */
export function respawnDelay(attempt: number, backoff: ResolvedBackoff): number {
  const grown = backoff.initialDelayMs * backoff.factor ** Math.max(0, attempt - 1);
  return Math.min(backoff.maxDelayMs, Math.round(grown));
}
