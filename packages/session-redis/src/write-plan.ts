// Decides what one save writes: the top-level keys that differ from what the request read, or everything.
import { SessionStoreError } from './errors.js';
import type { CookieParts, Expiry } from './expiry.js';
import type { ReadRecord } from './read-record.js';
import { writeFieldArgs } from './script-calls.js';
import type { SessionSerializer, StoredSession } from './types.js';
import type { ValueCodec } from './value-codec.js';

/** What planning needs from the store. */
export interface PlanContext {
  readonly serializer: SessionSerializer;
  readonly codec: ValueCodec;
  readonly strict: boolean;
  readonly maxSessionBytes: number;
}

/** One changed key. `text`/`stored` are undefined for a removal. */
interface Change {
  readonly key: string;
  readonly text: string | undefined;
  readonly stored: string | undefined;
}

/** The arguments of the write script and what the record becomes once it succeeded. */
export interface WritePlan {
  readonly mode: 'full' | 'delta';
  readonly changes: readonly Change[];
  /** Stored meta fields after the write. */
  readonly meta: { cookie: string; exp: string; ma: string; ttl: string; at: string };
  /** True when nothing but the cookie's expiry differs from the record (a touch would do). */
  readonly onlyExpiry: boolean;
  /**
   * True when the save leaves the expiry as stored (`exp`/`at` not sent, no PEXPIRE): Redis extended
   * the session within the freshness window, and only data (or fields read) change.
   */
  readonly keepsExpiry: boolean;
  /** Fields the save sets that the record did not have (freshSetScript's existence check). */
  readonly created: number;
  /** The field arguments of the write scripts (see writeFieldArgs in script-calls.ts). */
  readonly args: readonly string[];
}

/** Adds a meta field to the sets (changed) or dels (removed); returns whether it is sent. */
function metaArg(
  sets: string[],
  dels: string[],
  field: string,
  next: string,
  previous: string | undefined,
): boolean {
  if (previous !== undefined && next === previous) return false;
  if (next !== '') sets.push(field, next);
  else if (previous === undefined) return false;
  else dels.push(field);
  return true;
}

/** True when `key` is an own key of the session that serializes (what a save writes). */
function stillThere(session: StoredSession, key: string, serializer: SessionSerializer): boolean {
  return (
    key !== 'cookie' &&
    key !== '__proto__' &&
    Object.hasOwn(session, key) &&
    Object.getOwnPropertyDescriptor(session, key)?.enumerable === true &&
    serializer.stringify(session[key]) !== undefined
  );
}

/**
 * Compares each top-level key's serialized text with the text the request read. Unchanged keys
 * are not sent, so what another request wrote to them in the meantime stays. Without a record
 * (a new session) everything is written.
 */
export function planWrite(
  session: StoredSession,
  id: string,
  record: ReadRecord | undefined,
  cookie: CookieParts,
  expiry: Expiry,
  ctx: PlanContext,
  fresh = false,
): WritePlan {
  const base = record === undefined || record.legacy ? undefined : record;
  const changes: Change[] = [];
  // Keys of the record still in the session: fewer than the record holds means some were removed.
  let kept = 0;
  let bytes = 0;
  for (const key of Object.keys(session)) {
    if (key === 'cookie' || key === '__proto__') continue;
    const text = ctx.serializer.stringify(session[key]);
    if (text === undefined) continue;
    const read = base?.stored.get(key);
    if (read !== undefined) {
      kept++;
      if (base?.texts.get(key) === text) {
        bytes += read.length;
        continue;
      }
    }
    const stored = ctx.codec.encode(text, id, key);
    bytes += stored.length;
    changes.push({ key, text, stored });
  }
  if (bytes > ctx.maxSessionBytes) {
    throw new SessionStoreError(
      'LBKIT_SESSION_DATA_TOO_LARGE',
      `session ${id.slice(0, 6)}… exceeds maxSessionBytes`,
      {
        hint: 'Keep less in the session (large data belongs in a database) or raise maxSessionBytes.',
      },
    );
  }
  if (base && kept < base.texts.size) {
    for (const key of base.texts.keys()) {
      if (!stillThere(session, key, ctx.serializer))
        changes.push({ key, text: undefined, stored: undefined });
    }
  }
  const ma = cookie.ma === null ? '' : String(cookie.ma);
  // The expiry stays as stored when Redis extended it moments ago (`fresh`, decided by the store) and
  // only data changes: the cookie options and the period are the same, a key read is among those
  // set (so that freshSetScript's existence check sees a missing hash), nothing is removed.
  const keepsExpiry =
    fresh &&
    base !== undefined &&
    cookie.json === base.cookie &&
    ma === base.ma &&
    expiry.ttl === base.ttl &&
    changes.length > 0 &&
    changes.every((change) => change.stored !== undefined) &&
    changes.some((change) => base.stored.has(change.key));
  const meta = {
    cookie: cookie.json,
    exp: keepsExpiry ? base.exp : cookie.exp === null ? '' : String(cookie.exp),
    ma,
    ttl: expiry.ttl,
    at: keepsExpiry ? base.at : expiry.at,
  };
  const sets: string[] = [];
  const dels: string[] = [];
  const checks: string[] = [];
  const cookieChanged = metaArg(sets, dels, 'cookie', meta.cookie, base?.cookie);
  metaArg(sets, dels, 'exp', meta.exp, base?.exp);
  const maChanged = metaArg(sets, dels, 'ma', meta.ma, base?.ma);
  const ttlChanged = metaArg(sets, dels, 'ttl', meta.ttl, base?.ttl);
  metaArg(sets, dels, 'at', meta.at, base?.at);
  const strict = ctx.strict && base !== undefined;
  let created = 0;
  for (const change of changes) {
    const field = `.${change.key}`;
    if (change.stored === undefined) dels.push(field);
    else {
      sets.push(field, change.stored);
      if (base === undefined || !base.stored.has(change.key)) created++;
    }
    if (strict) {
      const read = base.stored.get(change.key);
      checks.push(field, read === undefined ? 'a' : `=${read}`);
    }
  }
  return {
    mode: base ? 'delta' : 'full',
    changes,
    meta,
    onlyExpiry: base !== undefined && changes.length === 0 && !cookieChanged && !maChanged && !ttlChanged,
    keepsExpiry,
    created,
    args: writeFieldArgs(sets, dels, checks),
  };
}

/** Brings the record up to date after the plan was written. */
export function applyPlan(record: ReadRecord, plan: WritePlan, refreshedAt: number): void {
  // A save that kept the expiry did not extend it: the record keeps when Redis last did.
  if (plan.mode === 'full') {
    record.texts.clear();
    record.stored.clear();
    record.legacy = false;
  }
  for (const change of plan.changes) {
    if (change.text === undefined || change.stored === undefined) {
      record.texts.delete(change.key);
      record.stored.delete(change.key);
    } else {
      record.texts.set(change.key, change.text);
      record.stored.set(change.key, change.stored);
    }
  }
  record.cookie = plan.meta.cookie;
  record.exp = plan.meta.exp;
  record.ma = plan.meta.ma;
  record.ttl = plan.meta.ttl;
  record.at = plan.meta.at;
  if (!plan.keepsExpiry) record.refreshedAt = refreshedAt;
}
