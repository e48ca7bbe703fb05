// What every built-in check shares: picking the common settings and timing a dependency round trip.
import { performance } from 'node:perf_hooks';
import type { CheckOptions, CheckResult, HealthCheck } from '../types.js';

const SETTINGS = ['name', 'critical', 'timeoutMs', 'cacheMs', 'startup', 'componentType'] as const;

/** A check object from `defaults` overridden by the settings the user gave (driver options left out). */
export function withSettings(
  options: CheckOptions,
  defaults: Required<Pick<CheckOptions, 'name' | 'critical' | 'componentType'>>,
  check: HealthCheck['check'],
  close?: HealthCheck['close'],
): HealthCheck {
  const picked: Record<string, unknown> = { ...defaults };
  for (const key of SETTINGS) if (options[key] !== undefined) picked[key] = options[key];
  return { ...(picked as unknown as CheckOptions & { name: string }), check, ...(close ? { close } : {}) };
}

/** A dependency check: `ping` succeeds → pass with the round trip in ms; it throws → fail with its message. */
export function roundTrip(ping: (signal: AbortSignal) => PromiseLike<unknown>): HealthCheck['check'] {
  return async function roundTrip(signal: AbortSignal): Promise<CheckResult> {
    const started = performance.now();
    await ping(signal);
    return { status: 'pass', observedValue: round(performance.now() - started), observedUnit: 'ms' };
  };
}

/** Grades `value` against optional warn and fail levels (strictly above a level trips it). */
export function grade(
  value: number,
  warnAbove: number | undefined,
  failAbove: number | undefined,
): CheckResult['status'] {
  if (failAbove !== undefined && value > failAbove) return 'fail';
  if (warnAbove !== undefined && value > warnAbove) return 'warn';
  return 'pass';
}

/** Rounds to 3 decimals: enough for milliseconds and percents, short in JSON. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
