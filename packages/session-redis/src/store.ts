// RedisSessionStore: the session store for express-session and @fastify/session on ioredis.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Availability } from './availability.js';
import { perKey, scanKeys } from './bulk.js';
import { SessionStoreError } from './errors.js';
import {
  type CookieParts,
  cookieParts,
  type Expiry,
  type ExpiryRules,
  expiryOf,
  freshnessWindowMs,
  sameStoredMaxAge,
} from './expiry.js';
import { createExpressSession, type Generate, notExpress } from './express-compat.js';
import { SessionKeys } from './keys.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import {
  attachRecord,
  attachToCookie,
  emptyRecord,
  findRecord,
  PendingRecords,
  type ReadRecord,
} from './read-record.js';
import { asPairs, classifyFailure, RedisCommands } from './redis-commands.js';
import { retargetFastifySession } from './rotate-session.js';
import { Rotation } from './rotation.js';
import {
  destroyCall,
  readAndTouchCall,
  type ScriptCall,
  touchCall,
  type WriteOutcome,
  writeCall,
} from './script-calls.js';
import { reviveAfterDetectorEnd } from './sentinel-client.js';
import { type DecodeContext, type Decoded, decodeLegacy, decodeSession } from './session-codec.js';
import { TouchSchedule, touchDueAt } from './touch-schedule.js';
import type {
  RedisSessionStoreEvents,
  RedisSessionStoreOptions,
  SessionCallback,
  SessionOperation,
  SessionRequest,
  SessionSerializer,
  StoredSession,
} from './types.js';
import { UserIndex } from './user-index.js';
import { ValueCodec } from './value-codec.js';
import { applyPlan, type PlanContext, planWrite } from './write-plan.js';

/** Calls `callback` (if any) with the outcome; the promise then never rejects, so nothing goes unhandled. */
function settle<T>(promise: Promise<T>, callback: SessionCallback<T> | undefined): Promise<T> {
  if (!callback) return promise;
  return promise.then(
    (value) => {
      callback(null, value);
      return value;
    },
    (error: unknown) => {
      callback(error);
      return undefined as T;
    },
  );
}

/** Decoding failures are the store's own errors; anything else came from a custom serializer. */
function asCorrupt(error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  return new SessionStoreError('LBKIT_SESSION_DATA_CORRUPT', 'a stored session could not be decoded', {
    hint: 'It reads as no session; check the serializer.',
    cause: error,
  });
}

/** Failures fail-open mode skips (an unconfirmed write counts: the replicas are what is missing). */
function isOutage(error: SessionStoreError): boolean {
  return (
    error.code === 'LBKIT_SESSION_REDIS_UNAVAILABLE' ||
    error.code === 'LBKIT_SESSION_REDIS_TIMEOUT' ||
    error.code === 'LBKIT_SESSION_WRITE_UNREPLICATED'
  );
}

/**
 * A Redis session store for express-session and @fastify/session (and any code that calls
 * `get`/`set`/`destroy`): every method takes an optional Node-style callback and returns a promise.
 *
 * One Redis hash per session, one field per top-level key; a save writes only the keys the
 * request changed, in one Lua script that refuses to recreate a destroyed session. See the
 * package README for the guarantees and options.
 */
export class RedisSessionStore extends EventEmitter<RedisSessionStoreEvents> {
  /** Assigned by express-session when the middleware is created; used by `regenerate`/`createSession`. */
  declare generate?: Generate;

  readonly #options: ResolvedOptions;
  readonly #keys: SessionKeys;
  readonly #commands: RedisCommands;
  readonly #availability: Availability;
  readonly #decode: DecodeContext;
  readonly #plan: PlanContext;
  readonly #expiry: ExpiryRules;
  readonly #touches = new TouchSchedule();
  readonly #pending = new PendingRecords();
  readonly #detach: () => void;
  readonly #rotation: Rotation;
  /** The user index (`userKey`), or undefined when sessions are not indexed. */
  readonly #users: UserIndex | undefined;
  readonly #client: RedisSessionStoreOptions['client'];
  /** Whether anyone listens for `operation` events (when nobody does, no clock is read and no closure made). */
  get #timing(): boolean {
    return this.listenerCount('operation') > 0;
  }

  constructor(options: RedisSessionStoreOptions) {
    super();
    const resolved = resolveOptions(options);
    this.#options = resolved;
    this.#client = options.client;
    this.#keys = new SessionKeys(resolved.prefix);
    this.#availability = new Availability(this, resolved.failMode, resolved.probeIntervalMs);
    this.#commands = new RedisCommands(resolved.client, resolved.commandTimeoutMs, this.#availability);
    this.#availability.setProbe(() => this.#commands.run((client) => client.ping()));
    const codec = new ValueCodec(resolved.keyRing, resolved.compressor, resolved.maxSessionBytes);
    this.#decode = {
      serializer: resolved.serializer,
      defaultSerializer: resolved.defaultSerializer,
      codec,
      maxSessionBytes: resolved.maxSessionBytes,
    };
    this.#plan = {
      serializer: resolved.serializer,
      codec,
      strict: resolved.strict,
      maxSessionBytes: resolved.maxSessionBytes,
    };
    this.#expiry = resolved;
    this.#rotation = new Rotation(
      (call) => this.#call(call),
      (key) => this.#commands.run((client) => client.get(key)),
      this.#keys,
      resolved.rotationGraceMs,
      resolved.tombstoneTtlMs,
    );
    this.#users =
      resolved.userKey === undefined
        ? undefined
        : new UserIndex((call) => this.#call(call), this.#keys, resolved.prefix, resolved.userKey);

    const client = resolved.client;
    const onReady = (): void => this.#availability.probeNow();
    const onClosed = (): void =>
      this.#availability.onUnavailable(classifyFailure(new Error('the Redis connection closed')));
    client.on('ready', onReady);
    client.on('close', onClosed);
    client.on('end', onClosed);
    const stopReviving = reviveAfterDetectorEnd(client);
    this.#detach = () => {
      client.off('ready', onReady);
      client.off('close', onClosed);
      client.off('end', onClosed);
      stopReviving();
    };
  }

  /** The client passed in `options.client` (connect-redis's `store.client`). */
  get client(): RedisSessionStoreOptions['client'] {
    return this.#client;
  }

  /** The key prefix in effect (`sess:` by default). */
  get prefix(): string {
    return this.#options.prefix;
  }

  /** The `ttl` in effect: seconds (86400 by default), or the function passed. */
  get ttl(): number | ((session: StoredSession) => number) {
    return this.#options.ttlFunction ?? this.#options.ttlSeconds;
  }

  /** `COUNT` of the SCANs behind `clear`/`all`/`length`/`ids` (100 by default). */
  get scanCount(): number {
    return this.#options.scanCount;
  }

  /** The serializer in effect (the built-in safe JSON one by default). */
  get serializer(): SessionSerializer {
    return this.#options.serializer;
  }

  /** Whether expiry from the cookie or `ttl` is off. */
  get disableTTL(): boolean {
    return this.#options.disableTTL;
  }

  /** Whether reads and `touch` leave the expiry as it is. */
  get disableTouch(): boolean {
    return this.#options.disableTouch;
  }

  /** Whether a save the logout overtook fails (`LBKIT_SESSION_WRITE_DESTROYED`) instead of being dropped. */
  get rejectDestroyedWrites(): boolean {
    return this.#options.rejectDestroyedWrites;
  }

  /** False from a Redis failure until Redis answers again. */
  get available(): boolean {
    return !this.#availability.down;
  }

  /**
   * Reads a session; `null` when there is none (or it is unreadable, which is reported). `S` only
   * lets the method match each framework's store type (express-session, @fastify/session).
   */
  get<S = StoredSession>(id: string, callback?: SessionCallback<S | null>): Promise<S | null> {
    const read = this.#timing ? this.#timed('get', () => this.#get(id)) : this.#get(id);
    return settle(read as Promise<S | null>, callback);
  }

  /** Saves a session: the keys it changed since it was read, or all of a new one. */
  set<S extends object = StoredSession>(id: string, session: S, callback?: SessionCallback): Promise<void> {
    const saved = this.#timing
      ? this.#timed('set', () => this.#set(id, session as StoredSession))
      : this.#set(id, session as StoredSession);
    return settle(saved, callback);
  }

  /** Extends a session's expiry (skipped when Redis already extended it moments ago). */
  touch<S extends object = StoredSession>(id: string, session: S, callback?: SessionCallback): Promise<void> {
    return settle(
      this.#timed('touch', () => this.#touch(id, session as StoredSession)),
      callback,
    );
  }

  /**
   * Moves session `from` to id `to` (same data; see rotateSession for the request-level helper):
   * the old id gets a tombstone and, for `rotationGraceMs`, an alias to the new one. Resolves to
   * false when `from` was not stored (nothing moved).
   */
  rotate(from: string, to: string, session?: StoredSession): Promise<boolean> {
    return this.#rotate(from, to, session);
  }

  /** Ids of the sessions of `user` (with `userKey`): the index's entries whose session exists. */
  async sessionsOf(user: string | number): Promise<string[]> {
    return await this.#userIndex().existing(String(user), Date.now());
  }

  /**
   * Log out everywhere: destroys every session of `user` (with `userKey`), each with its tombstone,
   * so no request in flight writes one back. Resolves to the number of ids destroyed.
   */
  async destroyAllOf(user: string | number): Promise<number> {
    const index = this.#userIndex();
    const name = String(user);
    const ids = (await index.list(name, Date.now())).filter((id) => this.#options.isValidId(id));
    await Promise.all(ids.map((id) => this.#destroy(id)));
    index.forget(ids);
    await index.remove(name, ids);
    return ids.length;
  }

  #userIndex(): UserIndex {
    if (this.#users) return this.#users;
    throw new SessionStoreError(
      'LBKIT_SESSION_USER_KEY_MISSING',
      'sessionsOf/destroyAllOf need the userKey option',
      {
        hint: 'Set userKey (a session field such as "userId", or a function of the session) so saves index sessions by user.',
      },
    );
  }

  /** Takes a destroyed id back out of its user's index (its refused save had just written the entry). */
  async #unindex(id: string, session: StoredSession): Promise<void> {
    const index = this.#users!;
    const user = index.userOf(session);
    if (user === undefined) return;
    index.forget([id]);
    try {
      await index.remove(user, [id]);
    } catch (error) {
      this.#report(classifyFailure(error));
    }
  }

  /** Puts the session in its user's index before its write (see user-index.ts); no user: nothing. */
  #indexUser(
    id: string,
    session: StoredSession,
    now: number,
    pttl: number,
    replaces?: string,
  ): Promise<unknown> | undefined {
    const index = this.#users;
    if (index === undefined) return undefined;
    const user = index.userOf(session);
    if (user === undefined) return undefined;
    // No expiry (disableTTL): entries last a year, refreshed by every save.
    return index.add(user, id, now, pttl > 0 ? pttl : 365 * 86_400_000, replaces);
  }

  /**
   * The new id of a rotated id within its grace (`undefined` when it is no alias); a save of the
   * old id in this process then goes to the new one. Used by `followRotation`.
   */
  async aliasOf(id: string): Promise<string | undefined> {
    if (this.#rotation.graceMs === 0 || !this.#options.isValidId(id)) return undefined;
    const to = await this.#rotation.follow(id);
    if (to === undefined || to === id || !this.#options.isValidId(to)) return undefined;
    this.#rotation.remember(id, to, Date.now());
    return to;
  }

  /** Deletes a session and leaves a tombstone so no request in flight writes it back. Fails in both fail modes. */
  destroy(id: string, callback?: SessionCallback): Promise<void> {
    return settle(
      this.#timed('destroy', () => this.#destroy(this.#rotation.redirect(id, Date.now()))),
      callback,
    );
  }

  /** Deletes every session and tombstone under the prefix, node by node. */
  clear(callback?: SessionCallback): Promise<void> {
    return settle(this.#clear(), callback);
  }

  /** Number of sessions. */
  length(callback?: SessionCallback<number>): Promise<number> {
    return settle(
      this.#ids().then((ids) => ids.length),
      callback,
    );
  }

  /** Ids of every session. */
  ids(callback?: SessionCallback<string[]>): Promise<string[]> {
    return settle(this.#ids(), callback);
  }

  /** Every readable session, each with its `id` (as connect-redis returns them). */
  all<S = StoredSession>(callback?: SessionCallback<S[]>): Promise<S[]> {
    return settle(this.#all() as Promise<S[]>, callback);
  }

  /** express-session: destroys the request's session and generates a new one on `req`. */
  regenerate(req: SessionRequest, callback: (error?: unknown) => void): void {
    this.destroy(String(req.sessionID), (error) => {
      if (typeof this.generate !== 'function') {
        callback(error ?? notExpress());
        return;
      }
      this.generate(req);
      callback(error);
    });
  }

  /** express-session: reads a session and builds `Session` from it. */
  load<S = object>(id: string, callback: (error: unknown, session?: S) => void): void {
    this.get(id, (error, data) => {
      if (error) return callback(error);
      if (!data) return callback(null);
      callback(null, this.createSession<S, StoredSession>({ sessionID: id, sessionStore: this }, data));
    });
  }

  /** express-session: turns stored data into `req.session`. */
  createSession<S = object, D extends object = StoredSession>(req: SessionRequest, data: D): S {
    // Read through a rotation alias: the request moves to the new id (express-session then sets its cookie).
    const moved = this.#rotation.targetOf(data);
    if (moved !== undefined) req.sessionID = moved;
    return createExpressSession(this.generate, req, data as StoredSession, this.#pending.take(data)) as S;
  }

  /** Stops the recovery probe and detaches from the client. The client stays open: it is yours. */
  close(): void {
    this.#availability.close();
    this.#detach();
  }

  /** Runs one store operation, timing it for `operation` listeners (none: no clock is read). */
  #timed<T>(operation: SessionOperation['operation'], run: () => Promise<T>): Promise<T> {
    if (!this.#timing) return run();
    const started = performance.now();
    return run().then(
      (value) => {
        this.emit('operation', { operation, durationMs: performance.now() - started, error: undefined });
        return value;
      },
      (error: unknown) => {
        this.emit('operation', { operation, durationMs: performance.now() - started, error });
        throw error;
      },
    );
  }

  #report(error: SessionStoreError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #invalidId(id: unknown): SessionStoreError {
    const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 40)) : typeof id;
    return new SessionStoreError('LBKIT_SESSION_ID_INVALID', `session id ${shown} was refused`, {
      hint: 'Ids must match sessionIdLength and sessionIdPattern (default: 32 base64url characters, as express-session and @fastify/session generate); set validateSessionId for other generators.',
    });
  }

  /** A failed command on the read path: fail-open reads "no session", fail-closed throws. */
  #readFailed(error: unknown): null {
    const failure = classifyFailure(error);
    if (failure.code === 'LBKIT_SESSION_DATA_CORRUPT') {
      this.#report(failure);
      return null;
    }
    if (isOutage(failure) && this.#options.failMode === 'open') {
      this.#report(failure);
      return null;
    }
    throw failure;
  }

  /** A failed command on a write path: fail-open skips the write (reported), fail-closed throws. */
  #writeFailed(id: string, error: unknown): void {
    const failure = classifyFailure(error);
    if (isOutage(failure) && this.#options.failMode === 'open') {
      this.#report(failure);
      this.emit('dropped', { id, reason: 'unavailable' });
      return;
    }
    throw failure;
  }

  /**
   * Not an async function: the read is one command's promise and one `then`, the path every
   * request takes (an async function's own promise and resumption showed in profiles).
   */
  #get(id: string): Promise<StoredSession | null> {
    const options = this.#options;
    if (!options.isValidId(id)) {
      this.#report(this.#invalidId(id));
      return Promise.resolve(null);
    }
    const now = Date.now();
    const rolls = !(options.disableTouch || options.disableTTL);
    // A session whose touch this process knows is due is read and touched by one script; any
    // other read is a plain HGETALL, after which the touch, if the data shows it due, is sent at
    // once without holding the request (touch-schedule.ts).
    const touching = rolls && this.#touches.isDue(id, now);
    const key = this.#keys.session(id);
    const sent = touching
      ? this.#call(readAndTouchCall(key, now, options.maxLifetimeMs))
      : this.#commands.hashPairs(key);
    return sent.then(
      (reply) => this.#read(id, key, touching ? reply : asPairs(reply), touching, now),
      (error: unknown) => this.#readFailed(error),
    );
  }

  /** The session a read's reply holds (`null` when none); may wait on a legacy read or an expiry. */
  #read(
    id: string,
    key: string,
    reply: string[],
    touching: boolean,
    now: number,
  ): StoredSession | null | Promise<StoredSession | null> {
    const options = this.#options;
    // No session: an empty reply (the script's replies end with its touch state).
    if (reply.length <= 1) {
      if (this.#rotation.graceMs > 0) return this.#followAlias(id);
      return options.legacyPrefix === undefined ? null : this.#getLegacy(id);
    }
    let decoded: Decoded | Promise<Decoded>;
    try {
      decoded = decodeSession(reply, 0, id, this.#decode);
    } catch (error) {
      this.#report(asCorrupt(error));
      return null;
    }
    if (decoded instanceof Promise) {
      return decoded.then(
        (result) => this.#decoded(id, key, result, touching, now),
        (error: unknown) => {
          this.#report(asCorrupt(error));
          return null;
        },
      );
    }
    return this.#decoded(id, key, decoded, touching, now);
  }

  /** The decoded session, its record carried and its rolling touch scheduled (or sent). */
  #decoded(
    id: string,
    key: string,
    decoded: Decoded,
    touching: boolean,
    now: number,
  ): StoredSession | null | Promise<StoredSession | null> {
    const options = this.#options;
    const rolls = !(options.disableTouch || options.disableTTL);
    const { record, session } = decoded;
    this.#carry(session, record);
    if (!touching && options.maxLifetimeMs > 0 && record.born !== '') {
      if (Number(record.born) + options.maxLifetimeMs <= now) return this.#expire(key).then(() => null);
    }
    if (rolls) {
      const dueAt = touchDueAt(record);
      if (dueAt === undefined) {
        if (touching) this.#touches.forget(id);
      } else {
        this.#touches.remember(id, dueAt);
        if (touching || now < dueAt) record.refreshedAt = now;
        else this.#touchAfterRead(id, record, session, now);
      }
    }
    if (decoded.warning) this.#report(decoded.warning);
    return session;
  }

  /**
   * Sends the touch a plain read found due, as the read script would have done. The request goes
   * on meanwhile; its own touch or rolling save waits for this one instead of sending another, and
   * reports its failure as usual (here it is only reported: nothing waits on it otherwise).
   */
  #touchAfterRead(id: string, record: ReadRecord, session: StoredSession, now: number): void {
    if (record.ttl === '') {
      // The cookie gets the expiry the touch stores (express-session resets it at the end anyway).
      (session.cookie as { expires?: Date }).expires = new Date(now + Number(record.ma));
    }
    const cookie = cookieParts(session, record.ma);
    const expiry = expiryOf(session, cookie, this.#expiry, now);
    if (expiry.pttl <= 0) return;
    record.touching = this.#touchWith(id, record, cookie, expiry, now).then(
      () => {
        record.touching = undefined;
      },
      (error: unknown) => {
        record.touching = undefined;
        this.#report(classifyFailure(error));
      },
    );
  }

  /**
   * Gives a session `get` returns its read record: held until express-session's `createSession`
   * when express-session uses the store (it assigned `generate`), else on the cookie.
   */
  #carry(session: StoredSession, record: ReadRecord): void {
    if (typeof this.generate === 'function') this.#pending.hold(session, record);
    else attachToCookie(session.cookie as object, record);
  }

  #recordOf(session: StoredSession, id: string): ReadRecord | undefined {
    return findRecord(session, id) ?? this.#pending.find(session, id);
  }

  /** Deletes a session past its absolute lifetime (its expiry would remove it moments later anyway). */
  async #expire(key: string): Promise<void> {
    try {
      await this.#commands.run((client) => client.del(key));
    } catch (error) {
      this.#report(classifyFailure(error));
    }
  }

  async #getLegacy(id: string): Promise<StoredSession | null> {
    const key = `${this.#options.legacyPrefix}${id}`;
    let text: string | null;
    try {
      text = await this.#commands.run((client) => client.get(key));
    } catch (error) {
      return this.#readFailed(error);
    }
    if (text === null) return null;
    try {
      const decoded = await decodeLegacy(text, id, this.#decode);
      this.#carry(decoded.session, decoded.record);
      if (decoded.warning) this.#report(decoded.warning);
      return decoded.session;
    } catch (error) {
      this.#report(asCorrupt(error));
      return null;
    }
  }

  async #set(given: string, session: StoredSession): Promise<void> {
    const options = this.#options;
    if (!options.isValidId(given)) throw this.#invalidId(given);
    if (session === null || typeof session !== 'object') throw new TypeError('session must be an object');
    const now = Date.now();
    const id = this.#rotation.redirect(given, now);
    if (id !== given) retargetFastifySession(session, id);
    let record = this.#recordOf(session, id);
    const cookie = cookieParts(session, record?.ma);
    const expiry = expiryOf(session, cookie, this.#expiry, now);
    if (!options.disableTTL && expiry.pttl <= 0) return this.#destroy(id);
    if (this.#users !== undefined) {
      try {
        await this.#indexUser(id, session, now, expiry.pttl);
      } catch (error) {
        return this.#writeFailed(id, error);
      }
    }
    const plan = planWrite(
      session,
      id,
      record,
      cookie,
      expiry,
      this.#plan,
      this.#extendedMoments(record, now),
    );
    if (record && plan.onlyExpiry) {
      // Nothing but the expiry moved (a rolling save of an unmodified session): that is a touch.
      return this.#touchWith(id, record, cookie, expiry, now);
    }
    let outcome: WriteOutcome;
    try {
      outcome = await this.#call(
        writeCall(this.#keys.session(id), this.#keys.tombstone(id), plan, expiry, now, options),
      );
    } catch (error) {
      return this.#writeFailed(id, error);
    }
    switch (outcome.status) {
      case 'ok': {
        const wasLegacy = record?.legacy === true;
        record ??= emptyRecord(id);
        applyPlan(record, plan, now);
        attachRecord(session, record);
        this.#remember(record);
        if (wasLegacy) await this.#dropLegacy(id);
        return;
      }
      case 'lost':
        // No tombstone and not due to expire: Redis lost it (a failover before it was replicated).
        if (record && !expiredBy(record, options.maxLifetimeMs, now)) throw this.#lost();
        this.emit('dropped', { id, reason: 'expired' });
        return;
      case 'gone':
        if (record && this.#rotation.graceMs > 0 && (await this.#saveToAlias(id, session, record))) return;
        if (this.#users !== undefined) await this.#unindex(id, session);
        this.emit('dropped', { id, reason: 'destroyed' });
        if (options.rejectDestroyedWrites) throw destroyedMeanwhile();
        return;
      case 'expired':
        this.emit('dropped', { id, reason: 'expired' });
        return;
      case 'conflict': {
        const { keys } = outcome;
        const conflict = new SessionStoreError(
          'LBKIT_SESSION_WRITE_CONFLICT',
          keys.length > 0
            ? `another request changed ${keys.map((k) => JSON.stringify(k)).join(', ')} of this session since it was read; nothing was saved`
            : 'the session exists but this request never read it; nothing was saved',
          {
            hint: 'Strict mode refuses to overwrite a concurrent change: reload the session and retry, or answer 409.',
            keys,
          },
        );
        this.#report(conflict);
        throw conflict;
      }
    }
  }

  /**
   * True when a save may leave the expiry as stored: the session rolls, Redis extended it within
   * the freshness window (its touch is not due yet, as the record says), and no rule of the general
   * write script applies. The stored expiry then trails the cookie's by less than that window, as
   * after a skipped touch.
   */
  #extendedMoments(record: ReadRecord | undefined, now: number): boolean {
    const options = this.#options;
    if (record === undefined || record.legacy || options.strict || options.maxLifetimeMs > 0) return false;
    if (options.disableTouch || options.disableTTL) return false;
    const dueAt = touchDueAt(record);
    return dueAt !== undefined && now < dueAt;
  }

  #lost(): SessionStoreError {
    const lost = new SessionStoreError(
      'LBKIT_SESSION_DATA_LOST',
      'the session this request read is no longer in Redis and was not destroyed; nothing was saved',
      {
        hint: 'A Redis failover discarded writes the old master had not replicated; the user starts a new session. Set durability to confirm writes on replicas.',
      },
    );
    this.#report(lost);
    return lost;
  }

  /**
   * Runs a script call and decodes its reply. With `durability`, a call that writes is followed
   * by WAIT, and a result saying it wrote with fewer confirmations than asked fails.
   */
  #call<T>(call: ScriptCall<T>): Promise<T> {
    if (this.#options.durableReplicas === 0 || call.wrote === undefined)
      return this.#commands.script(call.script, call.keys, call.args).then(call.decode);
    return this.#confirmedCall(call, call.wrote);
  }

  async #confirmedCall<T>(call: ScriptCall<T>, wrote: (result: T) => boolean): Promise<T> {
    const { durableReplicas: replicas, durableTimeoutMs: timeoutMs } = this.#options;
    const { reply, confirmed } = await this.#commands.confirmedScript(call.script, call.keys, call.args, {
      replicas,
      timeoutMs,
    });
    const result = call.decode(reply);
    if (confirmed < replicas && wrote(result)) {
      throw new SessionStoreError(
        'LBKIT_SESSION_WRITE_UNREPLICATED',
        `${confirmed} of ${replicas} replicas confirmed the write within ${timeoutMs} ms`,
        {
          hint: 'The write reached the master but may not survive a failover; retry (Retry-After). Check the replicas if it persists.',
        },
      );
    }
    return result;
  }

  async #touch(id: string, session: StoredSession): Promise<void> {
    const options = this.#options;
    if (options.disableTouch || options.disableTTL) return;
    if (!options.isValidId(id)) throw this.#invalidId(id);
    if (session === null || typeof session !== 'object') throw new TypeError('session must be an object');
    const now = Date.now();
    const record = this.#recordOf(session, id);
    if (record && !sameStoredMaxAge(session.cookie?.originalMaxAge, record.ma)) {
      // The cookie's maxAge changed (a "remember me" switch) without a data change: store it.
      return this.#set(id, session);
    }
    // Decided before serializing the cookie: the common case (read moments ago) costs nothing.
    if (record && isFresh(record, now)) return;
    const cookie = cookieParts(session, record?.ma);
    const expiry = expiryOf(session, cookie, this.#expiry, now);
    if (expiry.pttl <= 0) return;
    return this.#touchWith(id, record, cookie, expiry, now);
  }

  async #touchWith(
    id: string,
    record: ReadRecord | undefined,
    cookie: CookieParts,
    expiry: Expiry,
    now: number,
  ): Promise<void> {
    const options = this.#options;
    if (options.disableTouch || options.disableTTL) return;
    if (record?.touching) await record.touching;
    const period = expiry.ttl !== '' ? Number(expiry.ttl) : (cookie.ma ?? expiry.pttl);
    if (record?.refreshedAt !== undefined && now - record.refreshedAt <= freshnessWindowMs(period)) return;
    const exp = cookie.exp === null ? '' : String(cookie.exp);
    let touched: boolean;
    try {
      touched = await this.#call(
        touchCall(this.#keys.session(id), now, expiry.pttl, options.maxLifetimeMs, exp, expiry.at),
      );
    } catch (error) {
      return this.#writeFailed(id, error);
    }
    if (record && touched) {
      record.refreshedAt = now;
      if (exp !== '') record.exp = exp;
      if (expiry.at !== '') record.at = expiry.at;
      this.#remember(record);
    }
  }

  /** Notes when the session's next touch falls due, from what its record now says is stored. */
  #remember(record: ReadRecord): void {
    if (this.#options.disableTouch || this.#options.disableTTL) return;
    const dueAt = touchDueAt(record);
    if (dueAt !== undefined) this.#touches.remember(record.id, dueAt);
  }

  /** A read that found no session: an alias of a rotated id (within the grace) reads the new session. */
  async #followAlias(id: string): Promise<StoredSession | null> {
    let to: string | undefined;
    try {
      to = await this.#rotation.follow(id);
    } catch (error) {
      return this.#readFailed(error);
    }
    if (to === undefined || to === id || !this.#options.isValidId(to)) {
      return this.#options.legacyPrefix === undefined ? null : this.#getLegacy(id);
    }
    const session = await this.#get(to);
    if (session) this.#rotation.followed(id, to, session, Date.now());
    return session;
  }

  /**
   * A save of a request that read the session before its id rotated: within the grace it merges
   * into the new id (as a delta against what it read), and a @fastify/session request gets the new
   * cookie. False when `id` is no alias (destroyed for real).
   */
  async #saveToAlias(id: string, session: StoredSession, record: ReadRecord): Promise<boolean> {
    let to: string | undefined;
    try {
      to = await this.#rotation.follow(id);
    } catch {
      return false;
    }
    if (to === undefined || to === id || !this.#options.isValidId(to)) return false;
    this.#rotation.followed(id, to, session, Date.now());
    attachRecord(session, { ...record, id: to });
    retargetFastifySession(session, to);
    await this.#set(to, session);
    return true;
  }

  async #rotate(from: string, to: string, session: StoredSession | undefined): Promise<boolean> {
    if (!this.#options.isValidId(from)) throw this.#invalidId(from);
    if (!this.#options.isValidId(to)) throw this.#invalidId(to);
    this.#touches.forget(from);
    try {
      if (session !== undefined && this.#users !== undefined) {
        // Indexed before the copy exists, like a save: a destroyAllOf from now on sees the new id.
        const now = Date.now();
        const record = this.#recordOf(session, from);
        const expiry = expiryOf(session, cookieParts(session, record?.ma), this.#expiry, now);
        await this.#indexUser(to, session, now, expiry.pttl, from);
      }
      return await this.#rotation.rotate(from, to);
    } catch (error) {
      throw classifyFailure(error);
    }
  }

  async #destroy(id: string): Promise<void> {
    if (!this.#options.isValidId(id)) throw this.#invalidId(id);
    this.#touches.forget(id);
    try {
      // Confirmed like a save: a tombstone lost in a failover would let the old session back.
      await this.#call(
        destroyCall(this.#keys.session(id), this.#keys.tombstone(id), this.#options.tombstoneTtlMs),
      );
    } catch (error) {
      throw classifyFailure(error);
    }
    if (this.#options.legacyPrefix !== undefined) await this.#dropLegacy(id);
  }

  /** Removes the connect-redis copy of a session (its key may live in another Cluster slot). */
  async #dropLegacy(id: string): Promise<void> {
    const key = `${this.#options.legacyPrefix}${id}`;
    try {
      await this.#commands.run((client) => client.unlink(key));
    } catch (error) {
      this.#report(classifyFailure(error));
    }
  }

  async #clear(): Promise<void> {
    const { client, scanCount } = this.#options;
    await scanKeys(this.#commands, client, this.#keys.everythingPattern, scanCount, async (node, keys) => {
      if (client.isCluster) await perKey(this.#commands, node, keys, 'unlink');
      else await this.#commands.run((n) => n.unlink(...keys), node);
    });
  }

  async #ids(): Promise<string[]> {
    const ids: string[] = [];
    const { client, scanCount } = this.#options;
    await scanKeys(this.#commands, client, this.#keys.sessionPattern, scanCount, async (_node, keys) => {
      for (const key of keys) {
        const id = this.#keys.idOf(key);
        if (id !== undefined) ids.push(id);
      }
    });
    return ids;
  }

  async #all(): Promise<StoredSession[]> {
    const sessions: StoredSession[] = [];
    const { client, scanCount } = this.#options;
    await scanKeys(this.#commands, client, this.#keys.sessionPattern, scanCount, async (node, keys) => {
      const hashes = await perKey<unknown>(this.#commands, node, keys, 'hgetall');
      for (let i = 0; i < keys.length; i++) {
        const id = this.#keys.idOf(keys[i]!);
        // ioredis answers an object, node-redis pairs (or a map with RESP3): asPairs takes each.
        const pairs = asPairs(hashes[i]);
        if (id === undefined || pairs.length === 0) continue;
        try {
          const { session, record } = await decodeSession(pairs, 0, id, this.#decode);
          attachToCookie(session.cookie as object, record);
          session.id = id;
          sessions.push(session);
        } catch (error) {
          this.#report(asCorrupt(error));
        }
      }
    });
    return sessions;
  }
}

/** The error of a save that a logout (destroy or regenerate) overtook, with `rejectDestroyedWrites`. */
function destroyedMeanwhile(): SessionStoreError {
  return new SessionStoreError(
    'LBKIT_SESSION_WRITE_DESTROYED',
    'the session was destroyed or regenerated while this request ran; nothing was saved',
    { hint: 'The logout wins: answer the request as logged out (or 409) rather than as saved.' },
  );
}

/**
 * True when the session the record describes was due to expire by `now` (cookie expiry, `ttl`
 * since its last extension, or the absolute lifetime): its absence is then no loss. A record
 * without a known expiry counts as expired, so only a provable loss fails the request.
 */
function expiredBy(record: ReadRecord, maxLifetimeMs: number, now: number): boolean {
  if (maxLifetimeMs > 0 && record.born !== '' && Number(record.born) + maxLifetimeMs <= now) return true;
  if (record.exp !== '') return Number(record.exp) <= now;
  if (record.ttl !== '' && record.at !== '') return Number(record.at) + Number(record.ttl) <= now;
  return true;
}

/** True when Redis extended the session within the freshness window of its period. */
function isFresh(record: ReadRecord, now: number): boolean {
  if (record.refreshedAt === undefined) return false;
  const period = Number(record.ma || record.ttl);
  return period > 0 && now - record.refreshedAt <= freshnessWindowMs(period);
}
