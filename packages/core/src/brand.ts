// Brands: how lbkit recognises its own objects across two copies of a package, where instanceof fails.

/** Marks and recognises one kind of lbkit object. @internal Shared by lbkit's packages; not a public API. */
export interface Brand<T extends object> {
  /** Sets the brand on `value` (non-enumerable, so spreads, JSON and `for…in` never see it); returns it. */
  mark<V extends T>(value: V): V;
  /** True when `value` carries the brand, whichever copy of the package set it. */
  is(value: unknown): value is T;
}

/**
 * The brand of objects of one kind, `Symbol.for('lbkit.<kind>')`: `Symbol.for` is shared by every
 * module of a process, so a Health made by one copy of @lbkit/health is recognised by another
 * (a second install in node_modules, or a CommonJS and an ESM copy), which `instanceof` is not.
 * @internal Shared by lbkit's packages; not a public API.
 */
export function brand<T extends object>(kind: string): Brand<T> {
  const key = Symbol.for(`lbkit.${kind}`);
  return {
    mark(value) {
      return Object.defineProperty(value, key, { value: true });
    },
    is(value): value is T {
      return (
        (typeof value === 'object' || typeof value === 'function') &&
        value !== null &&
        (value as Record<symbol, unknown>)[key] === true
      );
    },
  };
}
