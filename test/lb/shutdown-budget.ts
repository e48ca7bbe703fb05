// The demo's shutdown budget from an environment, computed by the demo's own code (readConfig + shutdownOptions).
import { Lifecycle } from '@lbkit/core';
import type { CleanupHook, GracefulShutdownOptions } from '@lbkit/shutdown';
import { readConfig, shutdownOptions } from '../../examples/shared/src/index.js';

/** gracefulShutdown's default bound on each cleanup hook (packages/shutdown README). */
export const DEFAULT_HOOK_TIMEOUT_MS = 5000;

/** Drain delay, drain timeout and the sum of the cleanup hooks' timeouts of a demo instance started with `env`. */
export function shutdownBudget(env: Record<string, string>): {
  drainDelayMs: number;
  drainTimeoutMs: number;
  hooksMs: number;
  hooks: number;
  totalMs: number;
} {
  const options: GracefulShutdownOptions = shutdownOptions({
    config: readConfig(env),
    lifecycle: new Lifecycle(),
    close: async () => {},
  });
  const hooks: readonly CleanupHook[] = options.hooks ?? [];
  const perHook = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  const hooksMs = hooks.reduce((sum, hook) => sum + (hook.timeoutMs ?? perHook), 0);
  const drainDelayMs = options.drainDelayMs ?? 0;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  return {
    drainDelayMs,
    drainTimeoutMs,
    hooksMs,
    hooks: hooks.length,
    totalMs: drainDelayMs + drainTimeoutMs + hooksMs,
  };
}
