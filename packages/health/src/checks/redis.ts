// redisCheck(): PING through an ioredis, iovalkey or node-redis (v4, v5) client the application already has.
import { detectRedisClient } from '@lbkit/core/internal';
import type { HealthCheck, RedisCheckOptions } from '../types.js';
import { requireObject, unrecognisedClient } from './client-class.js';
import { checkOptions, roundTrip, withSettings } from './settings.js';

interface IoredisLike {
  readonly status: string;
  ping(): Promise<unknown>;
}

interface NodeRedisLike {
  readonly isOpen: boolean;
  /** Absent on RedisCluster. */
  readonly isReady?: boolean;
  ping(): Promise<unknown>;
  withAbortSignal?(signal: AbortSignal): { ping(): Promise<unknown> };
}

const HINT =
  'Pass the ioredis or iovalkey Redis/Cluster instance, or the node-redis createClient() (v4, v5) or createCluster() (v5) client itself, or say which API it speaks with { kind: "ioredis" | "node-redis" }.';

/**
 * A Redis check (`redis:responseTime`, critical, `datastore`). A client that is not connected fails
 * at once with its connection state instead of queueing a PING until the timeout, so an outage shows
 * within one cache period.
 */
export function redisCheck(client: object, options: RedisCheckOptions = {}): HealthCheck {
  const reader = checkOptions<RedisCheckOptions>('redisCheck', options, ['kind']);
  const given = reader.oneOf('kind', ['ioredis', 'node-redis'] as const, undefined);
  const build = withSettings(reader, {
    name: 'redis:responseTime',
    critical: true,
    componentType: 'datastore',
  });
  const target = requireObject(client, 'redisCheck', 'an ioredis or node-redis client', HINT);
  const kind = given ?? detectKind(target);
  if (typeof (target as { ping?: unknown }).ping !== 'function') {
    throw unrecognisedClient('redisCheck', 'a Redis client with ping()', HINT);
  }
  const ping =
    kind === 'ioredis' ? ioredisPing(target as IoredisLike) : nodeRedisPing(target as NodeRedisLike);
  return build(roundTrip(ping));
}

function detectKind(client: object): 'ioredis' | 'node-redis' {
  const found = detectRedisClient(client);
  // node-redis's Sentinel client is refused: no test covers it with this check.
  if (!found || found.topology === 'sentinel') {
    throw unrecognisedClient('redisCheck', 'an ioredis, iovalkey or node-redis client', HINT);
  }
  return found.driver;
}

function ioredisPing(client: IoredisLike): (signal: AbortSignal) => Promise<unknown> {
  return () => {
    const status = client.status;
    // A client between connection attempts (or closed) would queue the PING until the timeout:
    // fail at once with its state. `wait` (lazyConnect) and `connecting`/`connect` go ahead, the
    // PING connects the former and is answered as soon as the latter are ready.
    if (status === 'reconnecting' || status === 'close' || status === 'end') {
      return Promise.reject(new Error(`redis connection is ${status}`));
    }
    return client.ping();
  };
}

function nodeRedisPing(client: NodeRedisLike): (signal: AbortSignal) => Promise<unknown> {
  return (signal) => {
    if (!client.isOpen) return Promise.reject(new Error('redis client is closed'));
    if (client.isReady === false) return Promise.reject(new Error('redis client is not ready (connecting)'));
    return client.withAbortSignal ? client.withAbortSignal(signal).ping() : client.ping();
  };
}
