// Decides what one save writes: the top-level keys that differ from what the request read, or everything.
import { SessionStoreError } from './errors.js';
import type { CookieParts, Expiry } from './expiry.js';
import type { ReadRecord } from './read-record.js';
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
  /** Stored meta fields after the write, and what to send ('' = unchanged, '-' = remove). */
  readonly meta: { cookie: string; exp: string; ma: string; ttl: string };
  readonly metaArgs: readonly [string, string, string, string];
  /** (op, field, value, expected) groups for the script. */
  readonly opArgs: readonly string[];
}

function metaArg(next: string, previous: string | undefined): string {
  if (previous !== undefined && next === previous) return '';
  return next === '' ? (previous === undefined ? '' : '-') : next;
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
): WritePlan {
  const base = record === undefined || record.legacy ? undefined : record;
  const changes: Change[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const key of Object.keys(session)) {
    if (key === 'cookie' || key === '__proto__') continue;
    const text = ctx.serializer.stringify(session[key]);
    if (text === undefined) continue;
    seen.add(key);
    const read = base?.stored.get(key);
    if (read !== undefined && base?.texts.get(key) === text) {
      bytes += read.length;
      continue;
    }
    const stored = ctx.codec.encode(text, id, key);
    bytes += stored.length;
    changes.push({ key, text, stored });
  }
  if (bytes > ctx.maxSessionBytes) {
    throw new SessionStoreError(
      'LBKIT_SESSION_TOO_LARGE',
      `session ${id.slice(0, 6)}… exceeds maxSessionBytes`,
      {
        hint: 'Keep less in the session (large data belongs in a database) or raise maxSessionBytes.',
      },
    );
  }
  if (base) {
    for (const key of base.texts.keys()) {
      if (!seen.has(key)) changes.push({ key, text: undefined, stored: undefined });
    }
  }
  const meta = {
    cookie: cookie.json,
    exp: cookie.exp === null ? '' : String(cookie.exp),
    ma: cookie.ma === null ? '' : String(cookie.ma),
    ttl: expiry.ttl,
  };
  const metaArgs = [
    metaArg(meta.cookie, base?.cookie),
    metaArg(meta.exp, base?.exp),
    metaArg(meta.ma, base?.ma),
    metaArg(meta.ttl, base?.ttl),
  ] as const;
  const opArgs: string[] = [];
  for (const change of changes) {
    let expected = '';
    if (ctx.strict && base) {
      const read = base.stored.get(change.key);
      expected = read === undefined ? 'a' : `=${read}`;
    }
    opArgs.push(change.stored === undefined ? 'd' : 's', `.${change.key}`, change.stored ?? '', expected);
  }
  return { mode: base ? 'delta' : 'full', changes, meta, metaArgs, opArgs };
}

/** Brings the record up to date after the plan was written. */
export function applyPlan(record: ReadRecord, plan: WritePlan, refreshedAt: number): void {
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
  record.refreshedAt = refreshedAt;
}
