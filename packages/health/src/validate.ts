// Validation of numeric and string options, raising LbkitError with a stable code at startup.
import { LbkitError } from '@lbkit/core';

/** setTimeout's largest delay; longer values fire at once in Node. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A whole number of milliseconds in [min, MAX_TIMER_MS], or `fallback` when undefined. */
export function milliseconds(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new LbkitError(
      'LBKIT_HEALTH_OPTION_INVALID',
      `${name} must be a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}, got ${show(value)}`,
      { hint: `Pass for example ${name}: ${Math.max(min, 1000)}.` },
    );
  }
  return value;
}

/** A finite number in [min, max], or `fallback` when undefined. */
export function numberInRange(
  name: string,
  value: unknown,
  fallback: number | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new LbkitError(
      'LBKIT_HEALTH_OPTION_INVALID',
      `${name} must be a number from ${min} to ${max}, got ${show(value)}`,
      {
        hint: `Check the ${name} option.`,
      },
    );
  }
  return value;
}

/** A boolean, or `fallback` when undefined. */
export function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new LbkitError('LBKIT_HEALTH_OPTION_INVALID', `${name} must be true or false, got ${show(value)}`, {
      hint: `Pass ${name}: true or ${name}: false.`,
    });
  }
  return value;
}

/** A non-empty string without control characters, or undefined. */
export function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || !isPrintable(value)) {
    throw new LbkitError(
      'LBKIT_HEALTH_OPTION_INVALID',
      `${name} must be a string of 1 to 256 printable characters, got ${show(value)}`,
      { hint: `Check the ${name} option.` },
    );
  }
  return value;
}

/** A short, printable rendering of a bad value for error messages. */
export function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function isPrintable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}
