// When a session expires: from the cookie, else `ttl` (connect-redis's rules), as Redis expiry and stored fields.
import type { StoredSession } from './types.js';

/** The cookie of a session reduced to what the store keeps. */
export interface CookieParts {
  /** Cookie JSON without `expires` (unless null) and `originalExpires`, which change on every touch. */
  readonly json: string;
  /** Cookie expiry in ms since the epoch, or null for a browser-session cookie. */
  readonly exp: number | null;
  /** The cookie's originalMaxAge in ms (rolling cookies), or null. */
  readonly ma: number | null;
}

/** A cookie's fields other than its expiry, as serialized, with what was derived from them. */
interface SerializedFields {
  /** Own enumerable keys in order, without `expires`/`originalExpires`. */
  readonly keys: readonly string[];
  /** Their values: strings, numbers, booleans, null or undefined only. */
  readonly values: readonly unknown[];
  readonly json: string;
  readonly ma: number | null;
}

/**
 * The fields of the last cookie serialized. Nearly every save serializes the same cookie options
 * (only the expiry, which is not part of the JSON, moves), so the next save whose fields are the
 * same keys in the same order with the same primitive values gets the same JSON without
 * JSON.stringify. Any other cookie is serialized and replaces it.
 */
let lastSerialized: SerializedFields | undefined;

function isPrimitive(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  );
}

/** True when the fields read are exactly those of `last`: same keys, same order, same values. */
function sameFields(keys: readonly string[], values: readonly unknown[], last: SerializedFields): boolean {
  if (keys.length !== last.keys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== last.keys[i] || values[i] !== last.values[i]) return false;
  }
  return true;
}

/** Serializes the fields (the rule of every save), remembering them for the next save when they are flat. */
function serializeFields(keys: readonly string[], values: readonly unknown[]): SerializedFields {
  // Built without the expiry fields rather than deleted from a copy: `delete` turns the object
  // into a slow dictionary, and this runs on every save.
  const data: Record<string, unknown> = {};
  let flat = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    data[key] = values[i];
    // `__proto__` would set data's prototype instead of a field; such a cookie is not remembered.
    if (key === '__proto__' || !isPrimitive(values[i])) flat = false;
  }
  const ma = typeof data.originalMaxAge === 'number' && data.originalMaxAge > 0 ? data.originalMaxAge : null;
  const fields: SerializedFields = { keys, values, json: JSON.stringify(data), ma };
  if (flat) lastSerialized = fields;
  return fields;
}

/**
 * How far a cookie's originalMaxAge may be from the stored one and still be the same. express-session
 * recomputes it at the end of every request from the new expiry and a second `Date.now()`, so it comes
 * out a millisecond or so short whenever the clock ticks in between; taken as a change, that made an
 * unmodified request write the whole cookie instead of a touch (and the stored value drift down). A
 * "remember me" switch moves it by far more than this.
 */
const MAX_AGE_DRIFT_MS = 1000;

/** True when `maxAge` (a cookie's originalMaxAge) is the stored `ma` field, within express-session's drift. */
export function sameStoredMaxAge(maxAge: unknown, stored: string): boolean {
  if (typeof maxAge !== 'number' || !(maxAge > 0)) return stored === '';
  return stored !== '' && Math.abs(maxAge - Number(stored)) <= MAX_AGE_DRIFT_MS;
}

/**
 * Splits the framework's cookie (express-session or @fastify/session `Cookie`, or plain JSON). With
 * `storedMa` (the `ma` field the request read), an originalMaxAge within {@link MAX_AGE_DRIFT_MS} of it
 * is taken as the stored value, so express-session's drift changes neither the cookie JSON nor `ma`.
 */
export function cookieParts(session: StoredSession, storedMa = ''): CookieParts {
  const raw = session.cookie as unknown;
  let source: Record<string, unknown> = {};
  if (raw !== null && typeof raw === 'object') {
    const toJSON = (raw as { toJSON?: unknown }).toJSON;
    source =
      typeof toJSON === 'function'
        ? (toJSON.call(raw) as Record<string, unknown>)
        : (raw as Record<string, unknown>);
  }
  // Each field is read once, as JSON.stringify would (a getter's value may change between reads).
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const key of Object.keys(source)) {
    const value = source[key];
    // A browser-session cookie's `expires: null` stays in the JSON, so a read gives it back.
    if ((key === 'expires' && value !== null) || key === 'originalExpires') continue;
    keys.push(key);
    values.push(
      key === 'originalMaxAge' && storedMa !== '' && sameStoredMaxAge(value, storedMa)
        ? Number(storedMa)
        : value,
    );
  }
  const last = lastSerialized;
  const fields = last !== undefined && sameFields(keys, values, last) ? last : serializeFields(keys, values);
  const expires = source.expires;
  let exp: number | null = null;
  if (expires instanceof Date) exp = expires.getTime();
  else if (typeof expires === 'string' || typeof expires === 'number') exp = new Date(expires).getTime();
  if (exp !== null && !Number.isFinite(exp)) exp = null;
  return { json: fields.json, exp, ma: fields.ma };
}

/** The expiry rules, from the options. */
export interface ExpiryRules {
  readonly ttlSeconds: number;
  readonly ttlFunction: ((session: StoredSession) => number) | undefined;
  readonly disableTTL: boolean;
}

/** Expiry of one write: `pttl` for PEXPIRE (0 = only the lifetime cap), `ttl` the stored field. */
export interface Expiry {
  readonly pttl: number;
  /** Stored `ttl` field: the refresh period when it does not come from the cookie, else ''. */
  readonly ttl: string;
  /** Stored `at` field of a `ttl` session: when this write sets its expiry ('' when cookie-based). */
  readonly at: string;
}

/**
 * connect-redis's rule: a `ttl` function wins; else the cookie's expiry; else `ttl` seconds.
 * A non-positive result means the session is already over.
 */
export function expiryOf(
  session: StoredSession,
  cookie: CookieParts,
  rules: ExpiryRules,
  now: number,
): Expiry {
  if (rules.disableTTL) return { pttl: 0, ttl: '', at: '' };
  if (rules.ttlFunction) {
    const ms = Math.round(Number(rules.ttlFunction(session)) * 1000);
    return { pttl: Number.isFinite(ms) ? ms : 0, ttl: String(ms), at: String(now) };
  }
  if (cookie.exp !== null) return { pttl: cookie.exp - now, ttl: '', at: '' };
  const ms = Math.round(rules.ttlSeconds * 1000);
  return { pttl: ms, ttl: String(ms), at: String(now) };
}

/**
 * How recent a refresh of the expiry may be for a touch to be skipped: 1% of the period, between
 * 1 s and 60 s. The stored expiry then lags the cookie's by at most that, and a session read many
 * times a second costs one command instead of three.
 */
export function freshnessWindowMs(periodMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(periodMs / 100)));
}
