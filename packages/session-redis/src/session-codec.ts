// Turns a session hash read from Redis into the session object the frameworks expect, and its read record.
import { SessionStoreError } from './errors.js';
import { emptyRecord, type ReadRecord } from './read-record.js';
import { needsReviver, parseJsonSafely } from './safe-json.js';
import type { SessionSerializer, StoredSession } from './types.js';
import { UndecodableValue, type ValueCodec } from './value-codec.js';

/** What decoding needs from the store. */
export interface DecodeContext {
  readonly serializer: SessionSerializer;
  readonly defaultSerializer: boolean;
  readonly codec: ValueCodec;
  readonly maxSessionBytes: number;
}

/**
 * A decoded session and the problems worth reporting that did not prevent reading it. The record
 * is not on the session yet: the store decides how it travels (read-record.ts).
 */
export interface Decoded {
  readonly session: StoredSession;
  readonly record: ReadRecord;
  readonly warning: SessionStoreError | undefined;
}

function corrupt(id: string, why: string, cause?: unknown): SessionStoreError {
  return new SessionStoreError(
    'LBKIT_SESSION_DATA_CORRUPT',
    `session ${id.slice(0, 6)}… is unreadable: ${why}`,
    {
      hint: 'It reads as no session. Another program may write under the same prefix, or the serializer changed.',
      cause,
    },
  );
}

function unsafeKeys(id: string): SessionStoreError {
  return new SessionStoreError(
    'LBKIT_SESSION_KEY_UNSAFE',
    `session ${id.slice(0, 6)}… contained __proto__ or constructor.prototype keys; they were dropped`,
    { hint: 'Someone stored crafted JSON in the session; check what the application copies into it.' },
  );
}

function parseValue(ctx: DecodeContext, text: string): { value: unknown; stripped: boolean } {
  if (ctx.defaultSerializer) return parseJsonSafely(text);
  return { value: ctx.serializer.parse(text), stripped: false };
}

/**
 * Decodes HGETALL pairs (`field, value, …`). Throws (or rejects with) `SessionStoreError`
 * (`LBKIT_SESSION_DATA_CORRUPT`, `LBKIT_SESSION_DECRYPT_FAILED`, `LBKIT_SESSION_DATA_TOO_LARGE`) when the
 * session cannot be used. Answers synchronously unless a custom serializer's `parse` is async:
 * a promise per read, awaited, is a measurable share of the read's cost.
 */
export function decodeSession(
  pairs: readonly string[],
  start: number,
  id: string,
  ctx: DecodeContext,
): Decoded | Promise<Decoded> {
  const texts = new Map<string, string>();
  // With JSON and no compression or encryption, the stored form is the text: one map serves both
  // (JSON never starts with the U+0001 marker that would make them differ).
  const record = emptyRecord(
    id,
    false,
    texts,
    ctx.codec.transparent && ctx.defaultSerializer ? texts : undefined,
  );
  // `cookie` is filled in last; data keys go straight into the session object.
  const session: StoredSession = { cookie: undefined };
  const pending: Array<Promise<void>> = [];
  let bytes = 0;
  let stripped = false;
  for (let i = start; i + 1 < pairs.length; i += 2) {
    const field = pairs[i]!;
    const value = pairs[i + 1]!;
    bytes += value.length;
    if (bytes > ctx.maxSessionBytes) {
      throw new SessionStoreError(
        'LBKIT_SESSION_DATA_TOO_LARGE',
        `session ${id.slice(0, 6)}… exceeds maxSessionBytes`,
        {
          hint: 'It reads as no session. Raise maxSessionBytes or keep less in the session.',
        },
      );
    }
    if (field.charCodeAt(0) === 0x2e) {
      const key = field.slice(1);
      if (key === '__proto__' || key === 'cookie') {
        stripped = true;
        continue;
      }
      let text: string;
      try {
        text = ctx.codec.decode(value, id, key);
      } catch (error) {
        if (error instanceof UndecodableValue && error.reason === 'decrypt') {
          throw new SessionStoreError(
            'LBKIT_SESSION_DECRYPT_FAILED',
            `session ${id.slice(0, 6)}… does not decrypt with any configured key`,
            {
              hint: 'It reads as no session. Keep retired keys in encryption.keys until their sessions expire.',
            },
          );
        }
        throw corrupt(id, `key ${JSON.stringify(key)} does not decode`, error);
      }
      texts.set(key, text);
      if (record.stored !== texts) record.stored.set(key, value);
      let result: unknown;
      try {
        if (ctx.defaultSerializer && !needsReviver(text)) result = JSON.parse(text);
        else {
          const parsed = parseValue(ctx, text);
          stripped ||= parsed.stripped;
          result = parsed.value;
        }
      } catch (error) {
        throw corrupt(id, `key ${JSON.stringify(key)} does not parse`, error);
      }
      if (
        !ctx.defaultSerializer &&
        result !== null &&
        typeof result === 'object' &&
        typeof (result as Promise<unknown>).then === 'function'
      ) {
        pending.push(
          (result as Promise<unknown>).then(
            (v) => {
              session[key] = v;
            },
            (error: unknown) => {
              throw corrupt(id, `key ${JSON.stringify(key)} does not parse`, error);
            },
          ),
        );
      } else {
        session[key] = result;
      }
    } else if (field === 'cookie') record.cookie = value;
    else if (field === 'exp') record.exp = value;
    else if (field === 'ma') record.ma = value;
    else if (field === 'ttl') record.ttl = value;
    else if (field === 'at') record.at = value;
    else if (field === 'born') record.born = value;
  }
  if (pending.length > 0) return Promise.all(pending).then(() => finish(session, record, id, stripped));
  return finish(session, record, id, stripped);
}

/** Cookie texts remembered at most; a full cache starts over (texts differ only by cookie options). */
const KNOWN_COOKIES = 64;

/** Longest cookie text remembered: cookie options are a few hundred bytes, and odd data stays unpinned. */
const KNOWN_COOKIE_CHARS = 1024;

/**
 * Parsed cookie texts whose values are all primitives, frozen. Nearly every session of an
 * application stores the same cookie text (the options, without the expiry), and copying its
 * fields costs a fraction of parsing it again.
 */
const knownCookies = new Map<string, Readonly<Record<string, unknown>>>();

/** A fresh object equal to what `JSON.parse(text)` returns, if the text was remembered. */
function copyOfKnownCookie(text: string): Record<string, unknown> | undefined {
  if (text.length > KNOWN_COOKIE_CHARS) return undefined;
  const known = knownCookies.get(text);
  return known === undefined ? undefined : { ...known };
}

/**
 * Remembers a parsed cookie text that needed no reviver, when it is a flat object (a copy of it
 * then is an independent parse). Returns the parsed value, untouched.
 */
function rememberCookie(text: string, value: unknown): unknown {
  if (text.length > KNOWN_COOKIE_CHARS) return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  for (const field of Object.values(value)) {
    if (field !== null && typeof field === 'object') return value;
  }
  if (knownCookies.size >= KNOWN_COOKIES) knownCookies.clear();
  knownCookies.set(text, Object.freeze({ ...value }));
  return value;
}

/** Restores the cookie of a decoded session (after its values were parsed). */
function finish(session: StoredSession, record: ReadRecord, id: string, strippedKeys: boolean): Decoded {
  let stripped = strippedKeys;
  if (record.cookie === '') throw corrupt(id, 'it has no cookie field');
  let cookie: unknown = copyOfKnownCookie(record.cookie);
  if (cookie === undefined) {
    try {
      if (!needsReviver(record.cookie)) cookie = rememberCookie(record.cookie, JSON.parse(record.cookie));
      else {
        const parsed = parseJsonSafely(record.cookie);
        cookie = parsed.value;
        stripped ||= parsed.stripped;
      }
    } catch (error) {
      throw corrupt(id, 'its cookie does not parse', error);
    }
  }
  if (cookie === null || typeof cookie !== 'object' || Array.isArray(cookie))
    throw corrupt(id, 'its cookie is not an object');
  const exp = record.exp === '' ? Number.NaN : Number(record.exp);
  const sessionCookie = cookie as Record<string, unknown>;
  // A Date, not an ISO string: both frameworks accept either, and it saves a format and a parse.
  // Without an expiry the cookie stays as stored (an `expires: null` is kept in its JSON).
  if (Number.isFinite(exp)) sessionCookie.expires = new Date(exp);
  session.cookie = sessionCookie as StoredSession['cookie'];
  return { session, record, warning: stripped ? unsafeKeys(id) : undefined };
}

/** Builds a session from connect-redis's layout: the whole session as one serialized string. */
export async function decodeLegacy(text: string, id: string, ctx: DecodeContext): Promise<Decoded> {
  if (text.length > ctx.maxSessionBytes) throw corrupt(id, 'the legacy value exceeds maxSessionBytes');
  let value: unknown;
  let stripped = false;
  try {
    const parsed = parseValue(ctx, text);
    value = await parsed.value;
    stripped = parsed.stripped;
  } catch (error) {
    throw corrupt(id, 'the legacy value does not parse', error);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw corrupt(id, 'the legacy value is not an object');
  const { cookie, ...data } = value as Record<string, unknown>;
  const record = emptyRecord(id, true);
  const sessionCookie: Record<string, unknown> =
    cookie !== null && typeof cookie === 'object' ? { ...(cookie as object) } : {};
  return {
    session: { cookie: sessionCookie, ...data },
    record,
    warning: stripped ? unsafeKeys(id) : undefined,
  };
}
