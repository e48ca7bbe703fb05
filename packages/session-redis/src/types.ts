// Public types of @lbkit/session-redis.
import type { LbkitError } from '@lbkit/core';
import type { NodeRedisClient } from './node-redis-client.js';
import type { NodeRedisClusterClient, NodeRedisSentinelClient } from './node-redis-topology.js';

/** One argument of a Redis command, as the store passes it. */
export type RedisArgument = string | number;

/** The part of an ioredis pipeline the store uses: one command per key, one round trip. */
export interface SessionRedisPipeline {
  /** Queues `UNLINK key`. */
  unlink(key: string): unknown;
  /** Queues `HGETALL key`. */
  hgetall(key: string): unknown;
  /** Queues `EVALSHA`. */
  evalsha(sha1: string, numberOfKeys: number, ...args: RedisArgument[]): unknown;
  /** Queues `EVAL`. */
  eval(script: string, numberOfKeys: number, ...args: RedisArgument[]): unknown;
  /** Queues any command by name (the store sends `WAIT` this way). */
  call(command: string, ...args: RedisArgument[]): unknown;
  /** Sends the queued commands; one `[error, reply]` per command. */
  exec(): Promise<Array<[error: Error | null, reply: unknown]> | null>;
}

/**
 * What the store calls on one Redis connection: the part of an ioredis `Redis` (single node or
 * Sentinel-managed master) it uses. Structural, so that the store's declarations name no driver
 * and type-check without ioredis installed; an ioredis `Redis` fits it as it is.
 */
export interface SessionRedisNode {
  /** ioredis's connection status: `ready`, `connecting`, `reconnecting`, `end`, … */
  readonly status: string;
  /** True for a Cluster client (see {@link SessionRedisCluster}). */
  readonly isCluster: boolean;
  /** Sends any command by name. */
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  /** Runs a loaded Lua script by its SHA1. */
  evalsha(sha1: string, numberOfKeys: number, ...args: RedisArgument[]): Promise<unknown>;
  /** Runs (and loads) a Lua script. */
  eval(script: string, numberOfKeys: number, ...args: RedisArgument[]): Promise<unknown>;
  /** `PING`, the recovery probe. */
  ping(): Promise<unknown>;
  /** `GET`, for sessions written by connect-redis. */
  get(key: string): Promise<string | null>;
  /** `DEL`. */
  del(...keys: string[]): Promise<number>;
  /** `UNLINK`. */
  unlink(...keys: string[]): Promise<number>;
  /** `SCAN cursor MATCH pattern COUNT count`. */
  scan(
    cursor: string,
    matchToken: 'MATCH',
    pattern: string,
    countToken: 'COUNT',
    count: number,
  ): Promise<[cursor: string, keys: string[]]>;
  /** A pipeline for per-key commands. */
  pipeline(): SessionRedisPipeline;
  /** Connection events the store follows: `ready`, `close`, `end`. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener added with `on`. */
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** What the store calls on an ioredis `Cluster`: a node's commands, routed by key, and its masters. */
export interface SessionRedisCluster extends SessionRedisNode {
  /** The master nodes, which `clear`, `all`, `length` and `ids` scan one by one. */
  nodes(role: 'master'): SessionRedisNode[];
}

/**
 * An ioredis client (a single node `new Redis(url)`, a Sentinel-managed master, or a `Cluster`),
 * the same from iovalkey, a node-redis v4/v5 single-node client (`createClient()`, the client
 * connect-redis 9 requires), or node-redis 5's `createCluster()`/`createSentinel()`. Described by
 * shape ({@link SessionRedisNode}, {@link SessionRedisCluster}, {@link NodeRedisClient},
 * {@link NodeRedisClusterClient}, {@link NodeRedisSentinelClient}), so the driver you do not use
 * need not be installed.
 */
export type SessionRedisClient =
  | SessionRedisNode
  | SessionRedisCluster
  | NodeRedisClient
  | NodeRedisClusterClient
  | NodeRedisSentinelClient;

/** The client API the store's internals use: ioredis's shape (a node-redis client is adapted to it). */
export type IoredisClient = SessionRedisNode | SessionRedisCluster;

/**
 * What happens to a request when Redis cannot answer within `commandTimeoutMs`:
 * - `closed`: the store answers with an `LbkitError` (`statusCode` 503) that Express and Fastify
 *   turn into a 503 response;
 * - `open`: reads answer "no session", writes are skipped, the store emits `disconnect`
 *   (express-session then serves requests without a session until `connect`). `destroy` still
 *   fails, so a logout is never reported done when it was not.
 */
export type FailMode = 'closed' | 'open';

/**
 * Turns one top-level session value into text and back. Same shape as connect-redis's
 * `serializer`, but applied per top-level key, since the store keeps one hash field per key.
 */
export interface SessionSerializer {
  /** Parses what `stringify` produced. May return a promise. */
  parse(text: string): unknown;
  /** Serializes one value; `undefined` means the key is absent. */
  stringify(value: unknown): string | undefined;
}

/** Encryption at rest with AES-256-GCM; the session id and key name are the associated data. */
export interface SessionEncryptionOptions {
  /**
   * 32-byte keys: `Uint8Array`, 64 hex characters, or base64/base64url. The first encrypts;
   * every key decrypts, so rotating is: put the new key first, keep the old ones until every
   * session written with them has expired.
   */
  readonly keys: ReadonlyArray<string | Uint8Array>;
}

/** Compression of top-level values whose serialized size reaches a threshold. */
export interface SessionCompressionOptions {
  /** Smallest serialized value (bytes) that is compressed. Default 1024. */
  readonly thresholdBytes?: number;
  /** `brotli` (quality 4) or `deflate` (raw deflate, level 6). Default `brotli`. */
  readonly algorithm?: 'brotli' | 'deflate';
}

/**
 * Opt-in synchronous confirmation of saves and destroys: after each one the store sends `WAIT
 * replicas timeoutMs` on the same connection and reports success only when that many replicas
 * acknowledged it. With fewer the call fails with `LBKIT_SESSION_WRITE_UNREPLICATED` (503 with
 * Retry-After): the write was applied on the master it reached but may not survive a failover.
 */
export interface SessionDurabilityOptions {
  /** Replicas that must acknowledge every save and destroy (at least 1). */
  readonly replicas: number;
  /**
   * How long `WAIT` may block, in milliseconds; must be shorter than `commandTimeoutMs`, which
   * bounds the write and its `WAIT` together. Default 250.
   */
  readonly timeoutMs?: number;
}

/** Options of {@link RedisSessionStore}. A superset of connect-redis 9's options. */
export interface RedisSessionStoreOptions {
  /**
   * The client: ioredis or iovalkey (single node, Sentinel or Cluster) or a node-redis v4/v5
   * single-node client. The store never closes it.
   */
  readonly client: SessionRedisClient;
  /**
   * Key prefix. Default `sess:`. Keys are `<prefix>{<id>}` (the braces keep every key of one
   * session in one Cluster slot), so the prefix may not contain `{` or `}`.
   */
  readonly prefix?: string;
  /**
   * Expiry in seconds when the cookie has no `expires`, or a function of the session returning
   * seconds (then it always wins, as in connect-redis). Default 86400.
   */
  readonly ttl?: number | ((session: StoredSession) => number);
  /**
   * connect-redis option: do not expire sessions from the cookie or `ttl`. lbkit still refuses to
   * write keys that live forever, so this requires `maxLifetimeMs`, which then bounds every key.
   */
  readonly disableTTL?: boolean;
  /** Never extend the expiry on reads or `touch`. Default false. */
  readonly disableTouch?: boolean;
  /** Value serializer. Default: JSON, parsed without `__proto__`/`constructor.prototype` keys. */
  readonly serializer?: SessionSerializer;
  /** `COUNT` hint of the SCANs behind `clear`, `all`, `length`, `ids`. Default 100. */
  readonly scanCount?: number;
  /**
   * Compare-and-set: a save that changes a top-level key another request changed since this
   * request read it fails with `LBKIT_SESSION_WRITE_CONFLICT` (nothing of that save is written).
   * Default false: changes to different keys merge, and the last write of one key wins.
   */
  readonly strict?: boolean;
  /**
   * A save refused because the session was destroyed or regenerated while the request ran (the
   * logout wins either way): `false` (default) drops it (event `dropped`, reason `destroyed`) and
   * the save succeeds; `true` fails it with `LBKIT_SESSION_WRITE_DESTROYED` (409), so a request
   * that saves before answering does not answer 200 for data that was never stored.
   */
  readonly rejectDestroyedWrites?: boolean;
  /** Behaviour while Redis is unreachable or too slow. Default `closed`. */
  readonly failMode?: FailMode;
  /** Upper bound of every Redis command of the store, in milliseconds. Default 1000. */
  readonly commandTimeoutMs?: number;
  /**
   * How long a destroyed or regenerated session id stays refused for writes, in milliseconds,
   * so a request that began before the logout cannot write the session back. Default 300000.
   */
  readonly tombstoneTtlMs?: number;
  /**
   * After a rotation (`rotateSession`, `store.rotate`), how long the old id stays an alias of the
   * new one, in milliseconds, for requests already in flight: they read the new session, their
   * saves merge into it and they get the new cookie. Afterwards the old id is refused. `0` turns
   * the alias off. Default 10000 (at most `tombstoneTtlMs`).
   */
  readonly rotationGraceMs?: number;
  /**
   * Indexes sessions by user for `sessionsOf(user)` and `destroyAllOf(user)` (log out everywhere):
   * a top-level session field (`'userId'`) or a function of the session answering the user's id
   * (a string or number; anything else is not indexed). A save writes the session's index entry
   * first when this process has not written it within the last half period (one more script call).
   * Default: no index.
   */
  readonly userKey?: string | ((session: StoredSession) => unknown);
  /** Absolute lifetime from a session's creation, whatever its activity. Default: none. */
  readonly maxLifetimeMs?: number;
  /** Encrypt values at rest. Default: off. */
  readonly encryption?: SessionEncryptionOptions;
  /** Compress large values. `true` uses the defaults. Default: off. */
  readonly compression?: boolean | SessionCompressionOptions;
  /**
   * Accepted session id length: an exact length or a range. Default 32, the length of the ids
   * express-session and @fastify/session generate (24 random bytes in base64url).
   */
  readonly sessionIdLength?: number | { readonly min: number; readonly max: number };
  /**
   * Accepted session id characters, tested after the length check. Default: base64url
   * (`A-Z a-z 0-9 - _`). Must be anchored (`^…$`) and linear-time.
   */
  readonly sessionIdPattern?: RegExp;
  /**
   * Replaces the length and pattern checks. Whatever it says, ids containing braces, glob
   * characters, whitespace or control characters, or longer than 256, are refused.
   */
  readonly validateSessionId?: (id: string) => boolean;
  /**
   * Prefix of sessions written by connect-redis (usually `sess:`). When set, a session missing in
   * the lbkit layout is read from `<legacyPrefix><id>` and moved on its next save.
   */
  readonly legacyPrefix?: string;
  /** Largest session (sum of its stored values) read or written, in bytes. Default 1 MiB. */
  readonly maxSessionBytes?: number;
  /** While Redis is unavailable, how often to PING it to notice recovery. Default 1000 ms. */
  readonly probeIntervalMs?: number;
  /**
   * Confirm every save and destroy on replicas before reporting it done (Redis's `WAIT`). Default:
   * off, so an acknowledged write that the master had not replicated yet is lost in a failover.
   */
  readonly durability?: SessionDurabilityOptions;
}

/** The cookie of a stored session, as express-session and @fastify/session serialize it. */
export interface StoredCookie {
  /** ISO date, or null for a browser-session cookie. */
  expires?: string | Date | null;
  /** `maxAge` the cookie was created with, in milliseconds. */
  originalMaxAge?: number | null;
  [option: string]: unknown;
}

/** A session as the store reads and writes it: a cookie plus the application's top-level keys. */
export interface StoredSession {
  cookie?: StoredCookie;
  [key: string]: unknown;
}

/** The part of a request express-session hands to `regenerate` and `createSession`. */
export interface SessionRequest {
  sessionID?: string;
  session?: unknown;
  sessionStore?: unknown;
}

/** Why a write was not applied although the caller was told it succeeded. */
export interface SessionDropped {
  /** The session id. */
  readonly id: string;
  /**
   * `destroyed`: the session was destroyed or regenerated (or expired) while the request ran;
   * `expired`: its `maxLifetimeMs` is over; `unavailable`: Redis was down in fail-open mode.
   */
  readonly reason: 'destroyed' | 'expired' | 'unavailable';
}

/** One `get`, `set`, `touch` or `destroy` of the store, as the `operation` event reports it. */
export interface SessionOperation {
  /** Which store method. */
  readonly operation: 'get' | 'set' | 'touch' | 'destroy';
  /** From the call to its outcome, in milliseconds (Redis round trips, scripts, encoding). */
  readonly durationMs: number;
  /**
   * What the call failed with (usually a `SessionStoreError`: fail-closed outage, conflict, too
   * large, …; the same object the `error` event carried when it was also reported); undefined when
   * it succeeded, including fail-open reads and writes that Redis never saw (see `dropped`).
   */
  readonly error: unknown;
}

/** Events of {@link RedisSessionStore}. */
export interface RedisSessionStoreEvents {
  /**
   * A problem worth reporting (corrupt data, undecryptable value, invalid id, conflict, Redis
   * failure). Only emitted when a listener is attached, so it never crashes the process.
   */
  error: [LbkitError];
  /** A write was skipped on purpose; see {@link SessionDropped}. */
  dropped: [SessionDropped];
  /** Redis stopped answering (both fail modes). */
  unavailable: [LbkitError];
  /** Redis answers again (both fail modes). */
  available: [];
  /** Fail-open only: the express-session protocol for "serve without sessions now". */
  disconnect: [];
  /** Fail-open only: sessions are served again. */
  connect: [];
  /** Every `get`/`set`/`touch`/`destroy` with its duration and outcome; timed only while someone listens. */
  operation: [SessionOperation];
}

/** Node-style callback of the store methods. */
export type SessionCallback<T = void> = (error?: unknown, result?: T) => void;

/** Stable error codes of @lbkit/session-redis (see the README for meaning and fix). */
export type SessionErrorCode =
  | 'LBKIT_SESSION_CLIENT_REQUIRED'
  | 'LBKIT_SESSION_OPTION_UNKNOWN'
  | 'LBKIT_SESSION_OPTION_INVALID'
  | 'LBKIT_SESSION_FACTORY_NOT_CALLED'
  | 'LBKIT_SESSION_PREFIX_INVALID'
  | 'LBKIT_SESSION_KEY_INVALID'
  | 'LBKIT_SESSION_EXPIRY_MISSING'
  | 'LBKIT_SESSION_ID_INVALID'
  | 'LBKIT_SESSION_REDIS_UNAVAILABLE'
  | 'LBKIT_SESSION_REDIS_TIMEOUT'
  | 'LBKIT_SESSION_REDIS_FAILED'
  | 'LBKIT_SESSION_WRITE_CONFLICT'
  | 'LBKIT_SESSION_WRITE_DESTROYED'
  | 'LBKIT_SESSION_DATA_CORRUPT'
  | 'LBKIT_SESSION_DECRYPT_FAILED'
  | 'LBKIT_SESSION_KEY_UNSAFE'
  | 'LBKIT_SESSION_DATA_TOO_LARGE'
  | 'LBKIT_SESSION_DATA_LOST'
  | 'LBKIT_SESSION_WRITE_UNREPLICATED'
  | 'LBKIT_SESSION_CLIENT_UNSAFE'
  | 'LBKIT_SESSION_EXPRESS_SESSION_MISSING'
  | 'LBKIT_SESSION_ROTATION_REFUSED'
  | 'LBKIT_SESSION_ROTATION_CONTENDED'
  | 'LBKIT_SESSION_ROTATION_UNSUPPORTED'
  | 'LBKIT_SESSION_USER_KEY_MISSING';
