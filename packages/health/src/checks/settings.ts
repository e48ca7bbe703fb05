// What every built-in check shares: reading its options, the common settings, and timing a round trip.
import { performance } from 'node:perf_hooks';
import { OptionReader, show } from '@lbkit/core/internal';
import { CHECK_SETTINGS, readCheckSettings } from '../check-settings.js';
import type { CheckOptions, CheckResult, HealthCheck } from '../types.js';

/**
 * The reader of a built-in check's options: the common settings plus the check's `own` options;
 * any other key is refused with the closest known name.
 */
export function checkOptions<T extends CheckOptions>(
  factory: string,
  options: unknown,
  own: readonly (keyof T & string)[] = [],
): OptionReader<T> {
  return new OptionReader<T>('HEALTH', `${factory}()`, options, [...CHECK_SETTINGS, ...own]);
}

/**
 * Validates the common settings now and returns the builder of the check object: `defaults`
 * overridden by the settings the user gave. Read before starting anything, so a refused option
 * leaves nothing running.
 */
export function withSettings(
  reader: OptionReader<CheckOptions>,
  defaults: Required<Pick<CheckOptions, 'name' | 'critical' | 'componentType'>>,
): (check: HealthCheck['check'], close?: HealthCheck['close']) => HealthCheck {
  const settings = { ...defaults, ...readCheckSettings(reader) };
  return (check, close) => ({ ...settings, check, ...(close ? { close } : {}) });
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

/** The SQL a query check runs: a non-empty string (new lines allowed), or `fallback`. */
export function query(
  reader: OptionReader<CheckOptions & { readonly query?: string }>,
  fallback: string,
): string {
  const value: unknown = reader.get('query');
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 65_536) {
    throw reader.invalid(
      `query must be a non-empty string of SQL, got ${show(value)}`,
      'Leave it out to run SELECT 1, or pass the SQL to run.',
    );
  }
  return value;
}
