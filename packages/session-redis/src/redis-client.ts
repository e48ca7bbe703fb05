// The `client` option: recognises the driver passed in and gives the store's internals ioredis's API over it.
import { detectRedisClient } from '@lbkit/core/internal';
import { optionError } from './errors.js';
import { NodeRedisAdapter, type NodeRedisClient } from './node-redis-client.js';
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

/**
 * A Sentinel-managed ioredis/iovalkey client without `failoverDetector` keeps its connection to a
 * master that froze (SIGSTOP, a VM pause, a partition) after Sentinel promoted a replica; when the
 * old master resumes it answers as master until Sentinel demotes it (seconds), and everything it
 * acknowledged meanwhile is discarded by its resync (issue #19). With the detector, the client
 * subscribes to the sentinels' `+switch-master` and reconnects to the new master at once.
 */
function refuseBlindSentinel(client: unknown): void {
  const options = (client as { options?: { sentinels?: unknown; failoverDetector?: unknown } }).options;
  if (!Array.isArray(options?.sentinels) || options.sentinels.length === 0) return;
  if (options.failoverDetector === true) return;
  throw optionError(
    'LBKIT_SESSION_CLIENT_UNSAFE',
    'a Sentinel client without failoverDetector would acknowledge session writes that a failover discards',
    'Create it with new Redis({ sentinels, name, failoverDetector: true }): it then follows +switch-master instead of writing to a demoted master.',
  );
}
