// The `client` option: recognises the driver passed in and gives the store's internals ioredis's API over it.
import { detectRedisClient } from '@lbkit/core/internal';
import { optionError } from './errors.js';
import { NodeRedisAdapter, type NodeRedisClient } from './node-redis-client.js';
import { adaptNodeRedisCluster, adaptNodeRedisSentinel } from './node-redis-topology.js';
import { refuseBlindSentinel } from './sentinel-client.js';
import type { IoredisClient } from './types.js';

/**
 * The client the store's internals use: an ioredis or iovalkey client (single node, Sentinel or
 * Cluster) as given, a node-redis client (single node and Cluster v4/v5, Sentinel v5) behind its
 * adapter.
 */
export function resolveClient(client: unknown): IoredisClient {
  const found = detectRedisClient(client);
  if (found?.driver === 'ioredis') {
    refuseBlindSentinel(client);
    return client as IoredisClient;
  }
  // The adapter implements the part of ioredis's API the store calls (see node-redis-client.ts).
  if (found?.topology === 'single')
    return new NodeRedisAdapter(client as NodeRedisClient) as unknown as IoredisClient;
  if (found?.topology === 'cluster') return adaptNodeRedisCluster(client);
  if (found?.topology === 'sentinel') return adaptNodeRedisSentinel(client);
  throw optionError(
    'LBKIT_SESSION_CLIENT_REQUIRED',
    'RedisSessionStore needs a Redis client in `client`',
    "Pass `new Redis(url, { maxRetriesPerRequest: 1 })` (or a Cluster) from 'ioredis' or 'iovalkey', or a node-redis `createClient()`.",
  );
}
