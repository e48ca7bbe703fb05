// clear/all/length/ids: SCAN every master and act per node, so no command ever spans Cluster slots.
import type { Cluster, Redis } from 'ioredis';
import type { RedisCommands } from './redis-commands.js';
import type { IoredisClient as SessionRedisClient } from './types.js';

/** The nodes holding data: every master of a Cluster, else the client itself. */
function masters(client: SessionRedisClient): Redis[] {
  return client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
}

/**
 * Calls `onBatch` with each SCAN batch of keys matching `pattern`, node by node. Each SCAN is
 * bounded by the command deadline; keys a node returns twice (SCAN may) are passed once.
 */
export async function scanKeys(
  commands: RedisCommands,
  client: SessionRedisClient,
  pattern: string,
  count: number,
  onBatch: (node: Redis, keys: string[]) => Promise<void>,
): Promise<void> {
  for (const node of masters(client)) {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await commands.run(
        (n) => (n as Redis).scan(cursor, 'MATCH', pattern, 'COUNT', count),
        node,
      );
      cursor = next;
      const fresh = keys.filter((key) => !seen.has(key));
      for (const key of fresh) seen.add(key);
      if (fresh.length > 0) await onBatch(node, fresh);
    } while (cursor !== '0');
  }
}

/** Runs one command per key on `node` in a single pipeline (one round trip, no multi-key command). */
export function perKey<T>(
  commands: RedisCommands,
  node: Redis,
  keys: readonly string[],
  command: 'unlink' | 'hgetall',
): Promise<T[]> {
  return commands.run(async () => {
    const pipeline = node.pipeline();
    for (const key of keys) pipeline[command](key);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      return value as T;
    });
  }, node);
}
