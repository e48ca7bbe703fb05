// The demo's backing services, the same for both apps: Redis (sessions and a check) and PostgreSQL (a check).
import { type HealthCheck, postgresCheck, redisCheck } from '@lbkit/health';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import type { DemoConfig } from './config.js';

/** The backends a demo instance uses, each present only when its URL is configured. */
export interface DemoBackends {
  /** Shared client of the session store and the Redis check (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES). */
  readonly redis: Redis | Cluster | undefined;
  /** Sessions shared by every instance; undefined means in-memory sessions. */
  readonly sessionStore: RedisSessionStore | undefined;
  /** PostgreSQL pool for the database check (DATABASE_URL). */
  readonly database: pg.Pool | undefined;
  /** Readiness checks of the configured backends. */
  readonly checks: readonly HealthCheck[];
  /** Detaches the store and closes the Redis client and the pool. */
  close(): Promise<void>;
}

// lazyConnect so a Redis outage never blocks startup; commands are bounded by the store's timeout.
const bounded = { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1, commandTimeout: 1000 };

/** One ioredis client, connected the way packages/session-redis/README.md recommends for each topology. */
function redisClient(config: DemoConfig): Redis | Cluster | undefined {
  if (config.redisUrl) return new Redis(config.redisUrl, bounded);
  // The client asks the sentinels for the master's address; failoverDetector makes it follow
  // +switch-master at once, instead of writing to a frozen master that Sentinel replaced.
  if (config.redisSentinels)
    return new Redis({
      ...bounded,
      sentinels: [...config.redisSentinels],
      name: config.redisSentinelName,
      failoverDetector: true,
    });
  if (config.redisClusterNodes) {
    const { lazyConnect, ...node } = bounded;
    // No enableAutoPipelining: a batch that mixes MOVED with other replies during a failover is
    // handed back unretried (the store resends once, but a plain client follows MOVED itself).
    return new Cluster([...config.redisClusterNodes], { lazyConnect, redisOptions: node });
  }
  return undefined;
}

/** Creates the configured backends without waiting for them: an outage never blocks startup. */
export function connectBackends(config: DemoConfig): DemoBackends {
  const redis = redisClient(config);
  // While Redis is down, session routes answer 503 (failMode 'closed'). Through Sentinel, every save
  // waits for one replica (durability): a write the master acknowledged but had not replicated when it
  // died would otherwise be lost in the failover (seen in CI: 561 of 13,808 writes in one run).
  const sessionStore = redis
    ? new RedisSessionStore({
        client: redis,
        commandTimeoutMs: 1000,
        ...(config.redisSentinels ? { durability: { replicas: 1 } } : {}),
      })
    : undefined;
  // Connection errors surface through the readiness check; without a listener ioredis would log each one.
  redis?.on('error', () => {});
  const database = config.databaseUrl
    ? new pg.Pool({ connectionString: config.databaseUrl, max: 4, connectionTimeoutMillis: 2000 })
    : undefined;
  // An idle client losing its connection emits 'error' on the pool, which would otherwise crash the process.
  database?.on('error', () => {});
  if (!redis)
    console.warn(
      'none of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES is set: sessions are kept in memory, per instance',
    );
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
