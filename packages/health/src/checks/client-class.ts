// Recognises driver clients by their class names and own markers, without importing the (optional) drivers.
import { LbkitError } from '@lbkit/core';
import { classNames } from '@lbkit/core/internal';

/** True when one of `names` is on `value`'s prototype chain. */
export function isInstanceOfNamed(value: object, names: readonly string[]): boolean {
  return classNames(value).some((name) => names.includes(name));
}

/** The error for a client a built-in check cannot recognise. */
export function unrecognisedClient(check: string, expected: string, hint: string): LbkitError {
  return new LbkitError('LBKIT_HEALTH_CLIENT_UNRECOGNIZED', `${check}: the client is not ${expected}`, {
    hint,
  });
}

/** Narrows to an object or throws the unrecognised-client error. */
export function requireObject(value: unknown, check: string, expected: string, hint: string): object {
  if (typeof value !== 'object' || value === null) throw unrecognisedClient(check, expected, hint);
  return value;
}
