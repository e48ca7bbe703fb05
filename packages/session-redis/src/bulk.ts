// clear/all/length/ids: SCAN every master and act per node, so no command ever spans Cluster slots.
import type { RedisCommands } from './redis-commands.js';
import type { IoredisClient, SessionRedisCluster, SessionRedisNode } from './types.js';

/** The nodes holding data: every master of a Cluster, else the client itself. */
function masters(client: IoredisClient): SessionRedisNode[] {
  return client.isCluster ? (client as SessionRedisCluster).nodes('master') : [client];
}

/**
 * Calls `onBatch` with each SCAN batch of keys matching `pattern`, node by node. Each SCAN is
 * bounded by the command deadline; keys a node returns twice (SCAN may) are passed once.
 */
export async function scanKeys(
  commands: RedisCommands,
  client: IoredisClient,
  pattern: string,
  count: number,
  onBatch: (node: SessionRedisNode, keys: string[]) => Promise<void>,
): Promise<void> {
  for (const node of masters(client)) {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await commands.run((n) => n.scan(cursor, 'MATCH', pattern, 'COUNT', count), node);
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
  node: SessionRedisNode,
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
