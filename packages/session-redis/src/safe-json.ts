// JSON parsing that cannot smuggle a prototype: `__proto__` and `constructor.prototype` keys are dropped.

/** Result of {@link parseJsonSafely}: the value, and whether dangerous keys were removed. */
export interface SafeParse {
  readonly value: unknown;
  readonly stripped: boolean;
}

/**
 * False when plain `JSON.parse(text)` cannot produce a dangerous key: neither word occurs, and no
 * `\u` escape does (JSON.parse turns `"\u005f_proto__"` into `__proto__`; JSON.stringify only
 * escapes control characters and lone surrogates, so ordinary values never pay for the reviver).
 */
export function needsReviver(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
}

/**
 * `JSON.parse` that removes `__proto__` keys and `constructor` keys holding a `prototype`, the
 * shapes that turn into prototype pollution once the object is merged somewhere. The reviver,
 * which is slow, only runs when the text contains one of the two words (secure-json-parse's trick).
 */
export function parseJsonSafely(text: string): SafeParse {
  if (!needsReviver(text)) return { value: JSON.parse(text), stripped: false };
  let stripped = false;
  const value = JSON.parse(text, function revive(this: Record<string, unknown>, key: string, val: unknown) {
    if (key === '__proto__') {
      stripped = true;
      return undefined;
    }
    if (
      key === 'constructor' &&
      val !== null &&
      typeof val === 'object' &&
      Object.hasOwn(val as object, 'prototype')
    ) {
      stripped = true;
      return undefined;
    }
    return val;
  });
  return { value, stripped };
}

/** The default serializer: JSON both ways, parsed safely. */
export const safeJsonSerializer = {
  parse(text: string): unknown {
    return parseJsonSafely(text).value;
  },
  stringify(value: unknown): string | undefined {
    return JSON.stringify(value);
  },
};
