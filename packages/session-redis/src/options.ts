// Validates RedisSessionStoreOptions once, at construction, into the values the hot path reads.
import { type Compressor, createCompressor } from './compression.js';
import { KeyRing } from './encryption.js';
import { optionError } from './errors.js';
import { isNodeRedisClient, isNodeRedisGroup, NodeRedisAdapter } from './node-redis-client.js';
import { safeJsonSerializer } from './safe-json.js';
import { compileIdCheck, MAX_ID_LENGTH } from './session-id.js';
import type {
  FailMode,
  IoredisClient,
  RedisSessionStoreOptions,
  SessionSerializer,
  StoredSession,
} from './types.js';

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  /** The client, a node-redis one behind its adapter. */
  readonly client: IoredisClient;
  readonly prefix: string;
  readonly ttlSeconds: number;
  readonly ttlFunction: ((session: StoredSession) => number) | undefined;
  readonly disableTTL: boolean;
  readonly disableTouch: boolean;
  readonly serializer: SessionSerializer;
  /** True when the serializer is the built-in safe JSON one (its parse reports stripped keys). */
  readonly defaultSerializer: boolean;
  readonly scanCount: number;
  readonly strict: boolean;
  readonly failMode: FailMode;
  readonly commandTimeoutMs: number;
  readonly tombstoneTtlMs: number;
  readonly maxLifetimeMs: number;
  readonly keyRing: KeyRing | undefined;
  readonly compressor: Compressor | undefined;
  readonly isValidId: (id: unknown) => id is string;
  readonly legacyPrefix: string | undefined;
  readonly maxSessionBytes: number;
  readonly probeIntervalMs: number;
}

function positiveInteger(name: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw optionError(
      'LBKIT_SESSION_OPTION_INVALID',
      `${name} must be a whole number ${allowZero ? '≥ 0' : '≥ 1'}, got ${String(value)}`,
      `Fix ${name} in the RedisSessionStore options.`,
    );
  }
  return value;
}

function isIoredisClient(client: unknown): client is IoredisClient {
  // ioredis Redis and Cluster both carry a boolean `isCluster` and a string `status`; node-redis
  // clients have neither (they expose `isOpen`), so this tells the two drivers apart.
  if (client === null || typeof client !== 'object') return false;
  const c = client as Record<string, unknown>;
  return typeof c.isCluster === 'boolean' && typeof c.status === 'string' && typeof c.evalsha === 'function';
}

/** The client the store's internals use: ioredis as given, node-redis behind its adapter. */
function resolveClient(client: unknown): IoredisClient {
  if (isIoredisClient(client)) return client;
  // The adapter implements the part of ioredis's API the store calls (see node-redis-client.ts).
  if (isNodeRedisClient(client)) return new NodeRedisAdapter(client) as unknown as IoredisClient;
  if (isNodeRedisGroup(client)) {
    throw optionError(
      'LBKIT_SESSION_CLIENT_REQUIRED',
      'RedisSessionStore takes node-redis single-node clients, not its Cluster or Sentinel clients',
      "For Redis Cluster or Sentinel pass an ioredis `Cluster` or `new Redis({ sentinels, name })` from 'ioredis'.",
    );
  }
  throw optionError(
    'LBKIT_SESSION_CLIENT_REQUIRED',
    'RedisSessionStore needs a Redis client in `client`',
    "Pass `new Redis(url, { maxRetriesPerRequest: 1 })` (or a Cluster) from 'ioredis', or a node-redis `createClient()`.",
  );
}

/** Validates and completes the options; throws `SessionStoreError` with a stable code. */
export function resolveOptions(options: RedisSessionStoreOptions): ResolvedOptions {
  const client = resolveClient(options?.client);
  const prefix = options.prefix ?? 'sess:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 200) {
    throw optionError(
      'LBKIT_SESSION_PREFIX_INVALID',
      `prefix ${JSON.stringify(prefix)} cannot be used`,
      'The prefix may not contain { or } (keys are <prefix>{<id>} so a session stays in one Cluster slot) and is at most 200 characters.',
    );
  }
  const ttl = options.ttl ?? 86_400;
  const ttlFunction = typeof ttl === 'function' ? ttl : undefined;
  const ttlSeconds = typeof ttl === 'function' ? 86_400 : ttl;
  if (!ttlFunction && (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds))) {
    throw optionError(
      'LBKIT_SESSION_OPTION_INVALID',
      `ttl must be a positive number of seconds or a function, got ${String(ttl)}`,
      'Set ttl to the idle lifetime of a session in seconds (default 86400).',
    );
  }
  const maxLifetimeMs = positiveInteger('maxLifetimeMs', options.maxLifetimeMs, 0);
  const disableTTL = options.disableTTL === true;
  if (disableTTL && maxLifetimeMs === 0) {
    throw optionError(
      'LBKIT_SESSION_EXPIRY_MISSING',
      'disableTTL would write session keys that never expire',
      'Also set maxLifetimeMs (an absolute lifetime that then bounds every key), or remove disableTTL.',
    );
  }
  const idLength = options.sessionIdLength ?? 32;
  const [min, max] = typeof idLength === 'number' ? [idLength, idLength] : [idLength.min, idLength.max];
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || max > MAX_ID_LENGTH) {
    throw optionError(
      'LBKIT_SESSION_OPTION_INVALID',
      `sessionIdLength must be a length or { min, max } within 1…${MAX_ID_LENGTH}`,
      'Match the length of the ids your framework generates (32 for express-session and @fastify/session).',
    );
  }
  const pattern = options.sessionIdPattern;
  if (pattern !== undefined && (!(pattern instanceof RegExp) || pattern.global || pattern.sticky)) {
    throw optionError(
      'LBKIT_SESSION_OPTION_INVALID',
      'sessionIdPattern must be a RegExp without the g or y flag',
      'Use an anchored pattern such as /^[0-9a-f-]+$/.',
    );
  }
  if (options.validateSessionId !== undefined && typeof options.validateSessionId !== 'function') {
    throw optionError(
      'LBKIT_SESSION_OPTION_INVALID',
      'validateSessionId must be a function',
      'Pass (id) => boolean.',
    );
  }
  const compression = options.compression;
  let compressor: Compressor | undefined;
  if (compression) {
    const settings = compression === true ? {} : compression;
    const algorithm = settings.algorithm ?? 'brotli';
    if (algorithm !== 'brotli' && algorithm !== 'deflate') {
      throw optionError(
        'LBKIT_SESSION_OPTION_INVALID',
        `compression.algorithm must be brotli or deflate, got ${String(algorithm)}`,
        'Use brotli (smaller) or deflate (faster).',
      );
    }
    compressor = createCompressor(
      algorithm,
      positiveInteger('compression.thresholdBytes', settings.thresholdBytes, 1024),
    );
  }
  const failMode = options.failMode ?? 'closed';
  if (failMode !== 'closed' && failMode !== 'open') {
    throw optionError(
      'LBKIT_SESSION_OPTION_INVALID',
      `failMode must be closed or open, got ${String(failMode)}`,
      'closed answers 503 while Redis is down; open serves requests without a session.',
    );
  }
  const legacyPrefix = options.legacyPrefix;
  // Legacy keys are `<prefix><id>`, lbkit keys `<prefix>{<id>}`: the two layouts never collide,
  // so connect-redis's prefix can stay the same.
  if (legacyPrefix !== undefined && typeof legacyPrefix !== 'string') {
    throw optionError(
      'LBKIT_SESSION_PREFIX_INVALID',
      'legacyPrefix must be a string',
      "Set legacyPrefix to connect-redis's prefix (usually sess:).",
    );
  }
  return {
    client,
    prefix,
    ttlSeconds,
    ttlFunction,
    disableTTL,
    disableTouch: options.disableTouch === true,
    serializer: options.serializer ?? safeJsonSerializer,
    defaultSerializer: options.serializer === undefined,
    scanCount: positiveInteger('scanCount', options.scanCount, 100),
    strict: options.strict === true,
    failMode,
    commandTimeoutMs: positiveInteger('commandTimeoutMs', options.commandTimeoutMs, 1000),
    tombstoneTtlMs: positiveInteger('tombstoneTtlMs', options.tombstoneTtlMs, 300_000),
    maxLifetimeMs,
    keyRing: options.encryption ? new KeyRing(options.encryption.keys) : undefined,
    compressor,
    isValidId: compileIdCheck({ min, max, pattern, custom: options.validateSessionId }),
    legacyPrefix,
    maxSessionBytes: positiveInteger('maxSessionBytes', options.maxSessionBytes, 1024 * 1024),
    probeIntervalMs: positiveInteger('probeIntervalMs', options.probeIntervalMs, 1000),
  };
}
