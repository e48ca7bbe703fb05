// Runs cleanup hooks one at a time in reverse registration order, each bounded by its own timeout.
import { performance } from 'node:perf_hooks';
import { withTimeout } from '@lbkit/core/internal';
import type { CleanupHook } from './types.js';

/** How one hook ended. */
export interface HookOutcome {
  readonly name: string;
  readonly outcome: 'ok' | 'timeout' | 'error';
  readonly error?: unknown;
  readonly durationMs: number;
}

/**
 * Runs `hook` with an AbortSignal that fires at its timeout. A hook that ignores the signal is
 * abandoned, not awaited: the next hook starts and the shutdown stays bounded.
 */
export async function runHook(
  hook: CleanupHook,
  reason: string,
  defaultTimeoutMs: number,
  ref: boolean,
): Promise<HookOutcome> {
  const started = performance.now();
  const timeoutMs = hook.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  try {
    const ran = Promise.resolve().then(() => hook.run({ signal: controller.signal, reason }));
    const outcome = await withTimeout(
      ran.then(() => 'ok' as const),
      timeoutMs,
      'timeout' as const,
      {
        ref,
        onTimeout: () =>
          controller.abort(new Error(`cleanup hook ${hook.name} timed out after ${timeoutMs} ms`)),
      },
    );
    return { name: hook.name, outcome, durationMs: performance.now() - started };
  } catch (error) {
    return { name: hook.name, outcome: 'error', error, durationMs: performance.now() - started };
  }
}
