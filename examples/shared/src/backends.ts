// The demo's backing services, the same for both apps: Redis (sessions and a check) and PostgreSQL (a check).
import { type HealthCheck, postgresCheck, redisCheck } from '@lbkit/health';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { DemoConfig } from './config.js';

/** The backends a demo instance uses, each present only when its URL is configured. */
export interface DemoBackends {
  /** Shared client of the session store and the Redis check (REDIS_URL). */
  readonly redis: Redis | undefined;
  /** Sessions shared by every instance; undefined means in-memory sessions. */
  readonly sessionStore: RedisSessionStore | undefined;
  /** PostgreSQL pool for the database check (DATABASE_URL). */
  readonly database: pg.Pool | undefined;
  /** Readiness checks of the configured backends. */
  readonly checks: readonly HealthCheck[];
  /** Detaches the store and closes the Redis client and the pool. */
  close(): Promise<void>;
}

/** Creates the configured backends without waiting for them: an outage never blocks startup. */
export function connectBackends(config: DemoConfig): DemoBackends {
  // lazyConnect so a Redis outage never blocks startup; commands are bounded by the store's timeout.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        lazyConnect: true,
        connectTimeout: 2000,
        maxRetriesPerRequest: 1,
        commandTimeout: 1000,
      })
    : undefined;
  // While Redis is down, session routes answer 503 (failMode 'closed').
  const sessionStore = redis ? new RedisSessionStore({ client: redis, commandTimeoutMs: 1000 }) : undefined;
  // Connection errors surface through the readiness check; without a listener ioredis would log each one.
  redis?.on('error', () => {});
  const database = config.databaseUrl
    ? new pg.Pool({ connectionString: config.databaseUrl, max: 4, connectionTimeoutMillis: 2000 })
    : undefined;
  // An idle client losing its connection emits 'error' on the pool, which would otherwise crash the process.
  database?.on('error', () => {});
  if (!config.redisUrl) console.warn('REDIS_URL is not set: sessions are kept in memory, per instance');
  return {
    redis,
    sessionStore,
    database,
    checks: [...(redis ? [redisCheck(redis)] : []), ...(database ? [postgresCheck(database)] : [])],
    close: async () => {
      sessionStore?.close();
      redis?.disconnect();
      await database?.end();
    },
  };
}
