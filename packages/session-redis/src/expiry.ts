// When a session expires: from the cookie, else `ttl` (connect-redis's rules), as Redis expiry and stored fields.
import type { StoredSession } from './types.js';

/** The cookie of a session reduced to what the store keeps. */
export interface CookieParts {
  /** Cookie JSON without `expires`/`originalExpires`, which change on every touch. */
  readonly json: string;
  /** Cookie expiry in ms since the epoch, or null for a browser-session cookie. */
  readonly exp: number | null;
  /** The cookie's originalMaxAge in ms (rolling cookies), or null. */
  readonly ma: number | null;
}

/** Splits the framework's cookie (express-session or @fastify/session `Cookie`, or plain JSON). */
export function cookieParts(session: StoredSession): CookieParts {
  const raw = session.cookie as unknown;
  let source: Record<string, unknown> = {};
  if (raw !== null && typeof raw === 'object') {
    const toJSON = (raw as { toJSON?: unknown }).toJSON;
    source =
      typeof toJSON === 'function'
        ? (toJSON.call(raw) as Record<string, unknown>)
        : (raw as Record<string, unknown>);
  }
  // Copied without the expiry fields rather than deleted from a copy: `delete` turns the object
  // into a slow dictionary, and this runs on every save.
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (key !== 'expires' && key !== 'originalExpires') data[key] = source[key];
  }
  const expires = source.expires;
  let exp: number | null = null;
  if (expires instanceof Date) exp = expires.getTime();
  else if (typeof expires === 'string' || typeof expires === 'number') exp = new Date(expires).getTime();
  if (exp !== null && !Number.isFinite(exp)) exp = null;
  const ma = typeof data.originalMaxAge === 'number' && data.originalMaxAge > 0 ? data.originalMaxAge : null;
  return { json: JSON.stringify(data), exp, ma };
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
