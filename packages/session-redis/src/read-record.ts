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
  /** Stored `cookie`, `exp`, `ma`, `ttl`, `at`, `born` fields ('' when absent). */
  cookie: string;
  exp: string;
  ma: string;
  ttl: string;
  at: string;
  born: string;
  /** `Date.now()` when Redis last extended this session's expiry, if this request saw it. */
  refreshedAt: number | undefined;
  /** The touch a read found due, while it runs (the request's own touch waits for it). */
  touching: Promise<void> | undefined;
  /** Read from connect-redis's layout: the next save writes everything and removes the old key. */
  legacy: boolean;
}

/**
 * The record travels with the session, because both frameworks copy what `get` returns into
 * their own session object (so a WeakMap keyed by the returned object would lose it):
 * - express-session builds `req.session` with `createSession` (implemented by this store), which
 *   registers it under that object; later saves register it under the session they saved;
 * - @fastify/session spreads the returned cookie's `toJSON()` into its private cookie options,
 *   where {@link attachToCookie} makes the record an enumerable symbol, so it is found on one of
 *   the session's own symbol-keyed objects.
 * Symbols are invisible to JSON, to both frameworks' change hashes and to `for…in` copies.
 */
/**
 * A record with no fields read yet: a new session, one read from connect-redis's layout, or the
 * start of a decode (which passes the maps it fills).
 */
export function emptyRecord(
  id: string,
  legacy = false,
  texts: Map<string, string> = new Map(),
  stored: Map<string, string> = new Map(),
): ReadRecord {
  return {
    id,
    texts,
    stored,
    cookie: '',
    exp: '',
    ma: '',
    ttl: '',
    at: '',
    born: '',
    refreshedAt: undefined,
    touching: undefined,
    legacy,
  };
}

export const READ_RECORD: unique symbol = Symbol('lbkit.session-redis.read');

type WithRecord = { [READ_RECORD]?: ReadRecord };

/**
 * @fastify/session copies the cookie `get` returned with `{ ...cookie.toJSON() }` when it has a
 * `toJSON` (lib/session.js), so the copy it keeps carries the record as an enumerable symbol,
 * while the cookie the caller sees has neither: JSON and deep equality read only what was stored.
 */
function cookieWithRecord(this: WithRecord): object {
  return { ...this, [READ_RECORD]: this[READ_RECORD] };
}

/**
 * Puts `record` on a cookie the store built, non-enumerable (defined once, at its creation), with
 * the non-enumerable `toJSON` that hands it to @fastify/session.
 */
export function attachToCookie(cookie: object, record: ReadRecord): void {
  Object.defineProperty(cookie, READ_RECORD, { value: record, writable: true, configurable: true });
  Object.defineProperty(cookie, 'toJSON', { value: cookieWithRecord, writable: true, configurable: true });
}

/** Where a session object carries its own record: a non-enumerable symbol, invisible to JSON and copies. */
const OWN_RECORD: unique symbol = Symbol('lbkit.session-redis.own');

type WithOwnRecord = { [OWN_RECORD]?: ReadRecord };

/**
 * Registers `record` as the one of `session` (the framework's session object). A property rather
 * than a WeakMap: every request registers one or two, and a WeakMap's entries are ephemerons the
 * garbage collector processes one by one, which showed in profiles; the property's shape change is
 * the same for every session object of a framework.
 */
export function attachRecord(session: object, record: ReadRecord): void {
  const carrier = session as WithOwnRecord;
  if (Object.hasOwn(carrier, OWN_RECORD)) carrier[OWN_RECORD] = record;
  else if (Object.isExtensible(carrier)) {
    Object.defineProperty(carrier, OWN_RECORD, { value: record, writable: true, configurable: true });
  } else frozen.set(carrier, record);
}

/** Sessions `get` returned under express-session held at most; beyond, the oldest were never loaded. */
const PENDING_MAX = 1024;

/**
 * Under express-session, the records of sessions `get` returned, until express-session hands the
 * session to the store's `createSession` (in `get`'s callback). A Map entry instead of two
 * `defineProperty` on the cookie (about 1 µs per read here), on the path every request takes.
 * A session read by other code stays findable by `set` until the bound clears it.
 */
export class PendingRecords {
  readonly #bySession = new Map<object, ReadRecord>();

  hold(session: object, record: ReadRecord): void {
    if (this.#bySession.size >= PENDING_MAX) this.#bySession.clear();
    this.#bySession.set(session, record);
  }

  /** The record of `session`, removed: it moves onto express-session's `Session`. */
  take(session: object): ReadRecord | undefined {
    const record = this.#bySession.get(session);
    if (record !== undefined) this.#bySession.delete(session);
    return record;
  }

  /** The record of session `id` held for `session`, if any. */
  find(session: object, id: string): ReadRecord | undefined {
    const record = this.#bySession.get(session);
    return record !== undefined && record.id === id ? record : undefined;
  }
}

/** Records of session objects that cannot take a property (frozen or sealed by the caller). */
const frozen = new WeakMap<object, ReadRecord>();

/** The record of session `id` carried by `session`, if any. */
export function findRecord(session: object, id: string): ReadRecord | undefined {
  const own = (session as WithOwnRecord)[OWN_RECORD] ?? frozen.get(session);
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
