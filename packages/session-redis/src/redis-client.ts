// The `client` option: recognises the driver passed in and gives the store's internals ioredis's API over it.
import { detectRedisClient } from '@lbkit/core/internal';
import { optionError } from './errors.js';
import { NodeRedisAdapter, type NodeRedisClient } from './node-redis-client.js';
import { refuseBlindSentinel } from './sentinel-client.js';
import type { IoredisClient } from './types.js';

/**
 * The client the store's internals use: an ioredis or iovalkey client (single node, Sentinel or
 * Cluster) as given, a node-redis v4/v5 single-node client behind its adapter.
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
  if (found) {
    throw optionError(
      'LBKIT_SESSION_CLIENT_REQUIRED',
      'RedisSessionStore takes node-redis single-node clients, not its Cluster or Sentinel clients',
      "For Redis Cluster or Sentinel pass an ioredis `Cluster` or `new Redis({ sentinels, name })` from 'ioredis' (or the same from 'iovalkey').",
    );
  }
  throw optionError(
    'LBKIT_SESSION_CLIENT_REQUIRED',
    'RedisSessionStore needs a Redis client in `client`',
    "Pass `new Redis(url, { maxRetriesPerRequest: 1 })` (or a Cluster) from 'ioredis' or 'iovalkey', or a node-redis `createClient()`.",
  );
}
