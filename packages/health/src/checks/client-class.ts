// Recognises driver clients by their class names and own markers, without importing the (optional) drivers.
import { LbkitError } from '@lbkit/core';

/** Names of the classes on `value`'s prototype chain, nearest first (bounded: chains are short). */
export function classNames(value: object): string[] {
  const names: string[] = [];
  let proto: unknown = Object.getPrototypeOf(value);
  for (let depth = 0; proto && depth < 16; depth++) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string') names.push(name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

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
