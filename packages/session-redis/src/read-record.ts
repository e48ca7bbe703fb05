// What a request read, carried on the session object itself so its save can write only what it changed.

/**
 * The state of one session as one request knows it: what its `get` returned, updated by each
 * successful save. `set` diffs the session against it, so two overlapping requests that change
 * different keys do not overwrite each other, and strict mode knows the value to compare with.
 */
export interface ReadRecord {
  /** The session id the record belongs to (a regenerated session must not use its parent's). */
  readonly id: string;
  /** Serialized text of each top-level key. */
  readonly texts: Map<string, string>;
  /** Stored form of each key (the same strings as `texts` without compression or encryption). */
  readonly stored: Map<string, string>;
  /** Stored `cookie`, `exp`, `ma`, `ttl` fields ('' when absent). */
  cookie: string;
  exp: string;
  ma: string;
  ttl: string;
  /** `Date.now()` when Redis last extended this session's expiry, if this request saw it. */
  refreshedAt: number | undefined;
  /** Read from connect-redis's layout: the next save writes everything and removes the old key. */
  legacy: boolean;
}

/**
 * The record travels with the session, because both frameworks copy what `get` returns into
 * their own session object (so a WeakMap keyed by the returned object would lose it):
 * - express-session builds `req.session` with `createSession` (implemented by this store), which
 *   registers it under that object; later saves register it under the session they saved;
 * - @fastify/session spreads the returned `cookie` into its private cookie options, enumerable
 *   symbols included, so it is found on one of the session's own symbol-keyed objects.
 * Symbols are invisible to JSON, to both frameworks' change hashes and to `for…in` copies.
 */
export const READ_RECORD: unique symbol = Symbol('lbkit.session-redis.read');

type WithRecord = { [READ_RECORD]?: ReadRecord };

/** Session object → its record. A WeakMap rather than a property: no shape change on hot objects. */
const bySession = new WeakMap<object, ReadRecord>();

/** Registers `record` as the one of `session` (the framework's session object). */
export function attachRecord(session: object, record: ReadRecord): void {
  bySession.set(session, record);
}

/** The record of session `id` carried by `session`, if any. */
export function findRecord(session: object, id: string): ReadRecord | undefined {
  const own = bySession.get(session);
  if (own) return own.id === id ? own : undefined;
  const cookie = (session as { cookie?: unknown }).cookie;
  if (cookie !== null && typeof cookie === 'object') {
    const onCookie = (cookie as WithRecord)[READ_RECORD];
    if (onCookie) return onCookie.id === id ? onCookie : undefined;
  }
  for (const symbol of Object.getOwnPropertySymbols(session)) {
    const value = (session as Record<symbol, unknown>)[symbol];
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, READ_RECORD)) {
      const found = (value as WithRecord)[READ_RECORD];
      // A regenerated @fastify/session inherits its parent's cookie options, record included.
      if (found && found.id === id) return found;
    }
  }
  return undefined;
}
