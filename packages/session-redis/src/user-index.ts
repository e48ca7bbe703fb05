// "Log out everywhere": a sorted set per user of the ids of their sessions, kept by saves and rotations.
import { createHash } from 'node:crypto';
import type { SessionKeys } from './keys.js';
import type { CallScript } from './rotation.js';
import type { LuaScript } from './scripts.js';
import type { StoredSession } from './types.js';

function script(name: string, numberOfKeys: number, lua: string): LuaScript {
  return { name, numberOfKeys, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Which user a session belongs to: a top-level field name or a function (undefined: not indexed). */
export type UserKey = string | ((session: StoredSession) => unknown);

/** Longest user key indexed (longer ones are not indexed). */
const MAX_USER_LENGTH = 256;
/** Entries this process wrote, remembered so most saves skip the index (bounded). */
const WRITTEN_MAX = 10_000;

/**
 * Adds (or refreshes) a session in its user's index, drops the entries whose expiry passed, and
 * lets the index expire with its last entry. KEYS: index. ARGV: now, until (ms since epoch), id,
 * and optionally an id to remove (a rotation's old id). Reply: 1.
 */
const addScript = script(
  'user-add',
  1,
  `
local now = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
if ARGV[4] then redis.call('ZREM', KEYS[1], ARGV[4]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now)) end
return 1
`,
);

/** The live entries of an index (expired ones dropped). KEYS: index. ARGV: now. Reply: ids. */
const listScript = script(
  'user-list',
  1,
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`,
);

/** Removes ids from an index. KEYS: index. ARGV: ids. Reply: count removed. */
const removeScript = script(
  'user-remove',
  1,
  `
local n = 0
for i = 1, #ARGV, 500 do n = n + redis.call('ZREM', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV))) end
return n
`,
);

/** Whether a session hash exists. KEYS: session. Reply: 1 or 0. */
const existsScript = script('user-exists', 1, `return redis.call('EXISTS', KEYS[1])`);

/**
 * The user index. Its key `<prefix>user:{<user>}` is tagged by the user, so it lives in one slot
 * of its own (each session stays in its id's slot): an index update is its own atomic step, sent
 * before the session's write, so an index read by `destroyAllOf` already names every session whose
 * write could land after it (and that write then meets its tombstone). Entries carry the session's
 * expiry plus one more period (a touch between saves does not update the index), and the index
 * expires with its last entry, so it never outlives the sessions by more than one period.
 */
export class UserIndex {
  readonly #call: CallScript;
  readonly #keys: SessionKeys;
  readonly #prefix: string;
  readonly #userKey: UserKey;
  /** Per id: the user and expiry of the entry this process last wrote. */
  readonly #written = new Map<string, { user: string; until: number }>();

  constructor(call: CallScript, keys: SessionKeys, prefix: string, userKey: UserKey) {
    this.#call = call;
    this.#keys = keys;
    this.#prefix = prefix;
    this.#userKey = userKey;
  }

  /** The user of a session, as a string, or undefined when it has none (or an unusable one). */
  userOf(session: StoredSession): string | undefined {
    const key = this.#userKey;
    const value = typeof key === 'function' ? key(session) : (session as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_USER_LENGTH) return undefined;
    return value;
  }

  /** `<prefix>user:{<user>}`. */
  key(user: string): string {
    return `${this.#prefix}user:{${user}}`;
  }

  /**
   * Records session `id` of `user` until its expiry plus one period of `pttl`; `replaces`: a
   * rotated-away id. Skipped (undefined) when this process wrote the same entry less than half a
   * period ago: it is still there, as entries leave the index only by their expiry or by
   * `destroyAllOf`, which tombstones their ids first.
   */
  add(user: string, id: string, now: number, pttl: number, replaces?: string): Promise<unknown> | undefined {
    const period = Math.max(pttl, 1000);
    const written = this.#written.get(id);
    if (replaces === undefined && written?.user === user && written.until - now > 1.5 * period)
      return undefined;
    const until = now + 2 * period;
    const args: Array<string | number> = [now, until, id];
    if (replaces !== undefined) args.push(replaces);
    const sent = this.#call({ script: addScript, keys: [this.key(user)], args, decode: (reply) => reply });
    return sent.then((reply) => {
      if (this.#written.size >= WRITTEN_MAX) this.#written.clear();
      this.#written.set(id, { user, until });
      return reply;
    });
  }

  /** Forgets what this process wrote for ids (destroyed: a later entry must be written again). */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.#written.delete(id);
  }

  /** Ids the index names for `user` (live entries; their sessions may be gone). */
  list(user: string, now: number): Promise<string[]> {
    return this.#call({
      script: listScript,
      keys: [this.key(user)],
      args: [now],
      decode: (reply) => (reply as unknown[]).map(String),
    });
  }

  /**
   * The ids of `user`'s sessions that exist now. Entries of missing sessions are left to their
   * expiry, not removed: a session being created writes its entry just before its hash.
   */
  async existing(user: string, now: number): Promise<string[]> {
    const ids = await this.list(user, now);
    const found = await Promise.all(
      ids.map((id) =>
        this.#call({
          script: existsScript,
          keys: [this.#keys.session(id)],
          args: [],
          decode: (r) => r === 1,
        }),
      ),
    );
    return ids.filter((_id, i) => found[i]);
  }

  remove(user: string, ids: readonly string[]): Promise<unknown> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.#call({ script: removeScript, keys: [this.key(user)], args: ids, decode: (r) => r });
  }
}
