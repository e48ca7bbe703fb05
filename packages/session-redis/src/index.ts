// Public entry of @lbkit/session-redis: re-exports only.
export { SessionStoreError } from './errors.js';
export { followRotation, followRotationHook } from './follow-rotation.js';
export type { NodeRedisClient } from './node-redis-client.js';
export type { NodeRedisClusterClient, NodeRedisSentinelClient } from './node-redis-topology.js';
export { newSessionId, rotateSession } from './rotate-session.js';
export { RedisSessionStore } from './store.js';
export type {
  FailMode,
  RedisArgument,
  RedisSessionStoreEvents,
  RedisSessionStoreOptions,
  SessionCallback,
  SessionCompressionOptions,
  SessionDropped,
  SessionDurabilityOptions,
  SessionEncryptionOptions,
  SessionErrorCode,
  SessionOperation,
  SessionRedisClient,
  SessionRedisCluster,
  SessionRedisNode,
  SessionRedisPipeline,
  SessionRequest,
  SessionSerializer,
  StoredCookie,
  StoredSession,
} from './types.js';
