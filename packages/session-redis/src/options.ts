// Validates RedisSessionStoreOptions once, at construction, into the values the hot path reads.
import { OptionReader, show } from '@lbkit/core/internal';
import { type Compressor, createCompressor } from './compression.js';
import { KeyRing } from './encryption.js';
import { optionError } from './errors.js';
import { refuseUnconfirmedSentinel } from './node-redis-topology.js';
import { resolveClient } from './redis-client.js';
import { safeJsonSerializer } from './safe-json.js';
import { compileIdCheck, MAX_ID_LENGTH } from './session-id.js';
import type {
  FailMode,
  IoredisClient,
  RedisSessionStoreOptions,
  SessionCompressionOptions,
  SessionDurabilityOptions,
  SessionEncryptionOptions,
  SessionSerializer,
  StoredSession,
} from './types.js';
import type { UserKey } from './user-index.js';

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
  readonly rejectDestroyedWrites: boolean;
  readonly failMode: FailMode;
  readonly commandTimeoutMs: number;
  readonly tombstoneTtlMs: number;
  readonly rotationGraceMs: number;
  readonly userKey: UserKey | undefined;
  readonly maxLifetimeMs: number;
  readonly keyRing: KeyRing | undefined;
  readonly compressor: Compressor | undefined;
  readonly isValidId: (id: unknown) => id is string;
  readonly legacyPrefix: string | undefined;
  readonly maxSessionBytes: number;
  readonly probeIntervalMs: number;
  /** Replicas every save and destroy waits for (0 = no WAIT), and how long WAIT may block. */
  readonly durableReplicas: number;
  readonly durableTimeoutMs: number;
}

// `satisfies` makes the compiler check these lists against the option types, both ways.
const KNOWN = Object.keys({
  client: true,
  prefix: true,
  ttl: true,
  disableTTL: true,
  disableTouch: true,
  serializer: true,
  scanCount: true,
  strict: true,
  rejectDestroyedWrites: true,
  failMode: true,
  commandTimeoutMs: true,
  tombstoneTtlMs: true,
  rotationGraceMs: true,
  userKey: true,
  maxLifetimeMs: true,
  encryption: true,
  compression: true,
  sessionIdLength: true,
  sessionIdPattern: true,
  validateSessionId: true,
  legacyPrefix: true,
  maxSessionBytes: true,
  probeIntervalMs: true,
  durability: true,
} satisfies Record<keyof RedisSessionStoreOptions, true>);
const ENCRYPTION_KEYS = Object.keys({ keys: true } satisfies Record<keyof SessionEncryptionOptions, true>);
const COMPRESSION_KEYS = Object.keys({ thresholdBytes: true, algorithm: true } satisfies Record<
  keyof SessionCompressionOptions,
  true
>);
const DURABILITY_KEYS = Object.keys({ replicas: true, timeoutMs: true } satisfies Record<
  keyof SessionDurabilityOptions,
  true
>);
const ID_LENGTH_KEYS = ['min', 'max'];
const OWNER = 'RedisSessionStore';

type Reader = OptionReader<RedisSessionStoreOptions>;

/** A whole number ≥ `min` (no upper bound: a Redis-side duration or a size). */
/** `userKey`: a session field name or a function of the session. */
function userKeyOption(options: Reader): UserKey | undefined {
  const value: unknown = options.get('userKey');
  if (value === undefined) return undefined;
  if ((typeof value === 'string' && value.length > 0) || typeof value === 'function') return value as UserKey;
  throw optionError(
    'LBKIT_SESSION_OPTION_INVALID',
    `userKey must be a session field name or a function of the session, got ${show(value)}`,
    'Set userKey to e.g. "userId", or (session) => session.user?.id.',
  );
}

/** `rotationGraceMs`: 10 s by default, 0 disables the alias; never longer than the old id's tombstone lives. */
function graceOption(options: Reader, tombstoneTtlMs: number): number {
  return options.number('rotationGraceMs', Math.min(10_000, tombstoneTtlMs), {
    min: 0,
    max: tombstoneTtlMs,
    integer: true,
    hint: `Set rotationGraceMs between 0 (no alias) and tombstoneTtlMs (${tombstoneTtlMs}), or leave it out for 10000.`,
  });
}

function wholeNumber(
  options: Reader,
  key: keyof RedisSessionStoreOptions & string,
  fallback: number,
  min = 1,
) {
  return options.number(key, fallback, {
    min,
    integer: true,
    hint: `Fix ${key} in the RedisSessionStore options, or leave it out for ${fallback}.`,
  });
}

function ttlOption(options: Reader): { ttlSeconds: number; ttlFunction: ResolvedOptions['ttlFunction'] } {
  const ttl: unknown = options.get('ttl');
  if (typeof ttl === 'function')
    return { ttlSeconds: 86_400, ttlFunction: ttl as ResolvedOptions['ttlFunction'] };
  const ttlSeconds = ttl ?? 86_400;
  if (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
    throw options.invalid(
      `ttl must be a positive number of seconds or a function, got ${show(ttl)}`,
      'Set ttl to the idle lifetime of a session in seconds (default 86400).',
    );
  }
  return { ttlSeconds, ttlFunction: undefined };
}

function idLengthOption(options: Reader): [min: number, max: number] {
  const value: unknown = options.get('sessionIdLength') ?? 32;
  let min: unknown = value;
  let max: unknown = value;
  if (typeof value === 'object' && value !== null) {
    const range = options.nested<{ min: number; max: number }>('sessionIdLength', ID_LENGTH_KEYS);
    min = range.get('min');
    max = range.get('max');
  }
  if (
    typeof min !== 'number' ||
    typeof max !== 'number' ||
    !Number.isInteger(min) ||
    !Number.isInteger(max) ||
    min < 1 ||
    max < min ||
    max > MAX_ID_LENGTH
  ) {
    throw options.invalid(
      `sessionIdLength must be a length or { min, max } within 1…${MAX_ID_LENGTH}, got ${show(value)}`,
      'Match the length of the ids your framework generates (32 for express-session and @fastify/session).',
    );
  }
  return [min, max];
}

function serializerOption(options: Reader): SessionSerializer | undefined {
  const value: unknown = options.get('serializer');
  if (value === undefined) return undefined;
  // Not read as options: `serializer: JSON` or a class instance may carry more than parse/stringify.
  const serializer = value as Partial<Record<keyof SessionSerializer, unknown>> | null;
  if (
    typeof serializer !== 'object' ||
    serializer === null ||
    typeof serializer.parse !== 'function' ||
    typeof serializer.stringify !== 'function'
  ) {
    throw options.invalid(
      `serializer must have parse and stringify functions, got ${show(value)}`,
      'Pass { parse: (text) => value, stringify: (value) => text }, or leave it out for safe JSON.',
    );
  }
  return value as SessionSerializer;
}

function compressionOption(options: Reader): Compressor | undefined {
  const value: unknown = options.get('compression');
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    throw options.invalid(
      `compression must be true, false or { thresholdBytes, algorithm }, got ${show(value)}`,
      'Pass compression: true for brotli above 1024 bytes.',
    );
  }
  const settings = new OptionReader<SessionCompressionOptions>(
    'SESSION',
    OWNER,
    value === true ? {} : value,
    COMPRESSION_KEYS,
    'compression',
  );
  const algorithm = settings.oneOf('algorithm', ['brotli', 'deflate'] as const, 'brotli');
  const thresholdBytes = settings.number('thresholdBytes', 1024, {
    min: 1,
    integer: true,
    hint: 'Compress values from this many bytes on; the default is 1024.',
  });
  return createCompressor(algorithm, thresholdBytes);
}

function encryptionOption(options: Reader): KeyRing | undefined {
  if (options.get('encryption') === undefined) return undefined;
  const encryption = options.nested<SessionEncryptionOptions>('encryption', ENCRYPTION_KEYS);
  return new KeyRing(encryption.get('keys'));
}

/** `durability`: replicas ≥ 1 and a WAIT bound that leaves the write itself time within the deadline. */
function durabilityOption(options: Reader, commandTimeoutMs: number): [replicas: number, timeoutMs: number] {
  if (options.get('durability') === undefined) return [0, 0];
  const durability = options.nested<SessionDurabilityOptions>('durability', DURABILITY_KEYS);
  const replicas = durability.number('replicas', 1, {
    min: 1,
    integer: true,
    hint: 'Set durability.replicas to how many replicas must confirm each save (at most the replicas you run).',
  });
  const timeoutMs = durability.milliseconds('timeoutMs', Math.min(250, commandTimeoutMs - 1), 1);
  if (timeoutMs >= commandTimeoutMs) {
    throw options.invalid(
      `durability.timeoutMs (${timeoutMs}) must be shorter than commandTimeoutMs (${commandTimeoutMs})`,
      'commandTimeoutMs bounds the write and its WAIT together: lower durability.timeoutMs or raise commandTimeoutMs.',
    );
  }
  return [replicas, timeoutMs];
}

/**
 * Validates and completes the options. Unknown keys and values of the wrong type throw the option
 * kit's `LbkitError` (`LBKIT_SESSION_OPTION_UNKNOWN`, `LBKIT_SESSION_OPTION_INVALID`); the store's
 * own codes (client, prefix, expiry) a `SessionStoreError`.
 */
export function resolveOptions(given: RedisSessionStoreOptions): ResolvedOptions {
  // Keys first: `{ clinet: redis }` should name `client`, not say that no client was given.
  const options = new OptionReader<RedisSessionStoreOptions>('SESSION', OWNER, given, KNOWN);
  const client = resolveClient(options.get('client'));
  const prefix: unknown = options.get('prefix') ?? 'sess:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 200) {
    throw optionError(
      'LBKIT_SESSION_PREFIX_INVALID',
      `prefix ${show(prefix)} cannot be used`,
      'The prefix may not contain { or } (keys are <prefix>{<id>} so a session stays in one Cluster slot) and is at most 200 characters.',
    );
  }
  const { ttlSeconds, ttlFunction } = ttlOption(options);
  const maxLifetimeMs = wholeNumber(options, 'maxLifetimeMs', 0);
  const disableTTL = options.boolean('disableTTL', false);
  if (disableTTL && maxLifetimeMs === 0) {
    throw optionError(
      'LBKIT_SESSION_EXPIRY_MISSING',
      'disableTTL would write session keys that never expire',
      'Also set maxLifetimeMs (an absolute lifetime that then bounds every key), or remove disableTTL.',
    );
  }
  const [min, max] = idLengthOption(options);
  const pattern: unknown = options.get('sessionIdPattern');
  if (pattern !== undefined && (!(pattern instanceof RegExp) || pattern.global || pattern.sticky)) {
    throw options.invalid(
      `sessionIdPattern must be a RegExp without the g or y flag, got ${show(pattern)}`,
      'Use an anchored pattern such as /^[0-9a-f-]+$/.',
    );
  }
  const custom = options.function<(id: string) => boolean>('validateSessionId');
  const legacyPrefix: unknown = options.get('legacyPrefix');
  // Legacy keys are `<prefix><id>`, lbkit keys `<prefix>{<id>}`: the two layouts never collide,
  // so connect-redis's prefix can stay the same.
  if (legacyPrefix !== undefined && typeof legacyPrefix !== 'string') {
    throw optionError(
      'LBKIT_SESSION_PREFIX_INVALID',
      `legacyPrefix must be a string, got ${show(legacyPrefix)}`,
      "Set legacyPrefix to connect-redis's prefix (usually sess:).",
    );
  }
  const serializer = serializerOption(options);
  const tombstoneTtlMs = wholeNumber(options, 'tombstoneTtlMs', 300_000);
  const commandTimeoutMs = options.milliseconds('commandTimeoutMs', 1000, 1);
  const [durableReplicas, durableTimeoutMs] = durabilityOption(options, commandTimeoutMs);
  refuseUnconfirmedSentinel(client, durableReplicas);
  return {
    client,
    prefix,
    ttlSeconds,
    ttlFunction,
    disableTTL,
    disableTouch: options.boolean('disableTouch', false),
    serializer: serializer ?? safeJsonSerializer,
    defaultSerializer: serializer === undefined,
    scanCount: wholeNumber(options, 'scanCount', 100),
    strict: options.boolean('strict', false),
    rejectDestroyedWrites: options.boolean('rejectDestroyedWrites', false),
    failMode: options.oneOf('failMode', ['closed', 'open'] as const, 'closed'),
    commandTimeoutMs,
    tombstoneTtlMs,
    rotationGraceMs: graceOption(options, tombstoneTtlMs),
    userKey: userKeyOption(options),
    maxLifetimeMs,
    keyRing: encryptionOption(options),
    compressor: compressionOption(options),
    isValidId: compileIdCheck({ min, max, pattern, custom }),
    legacyPrefix,
    maxSessionBytes: wholeNumber(options, 'maxSessionBytes', 1024 * 1024),
    probeIntervalMs: options.milliseconds('probeIntervalMs', 1000, 1),
    durableReplicas,
    durableTimeoutMs,
  };
}
