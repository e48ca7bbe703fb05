// Rotation and log out everywhere on a real three-master Redis Cluster: old and new ids in different slots.
import { RedisSessionStore } from '@lbkit/session-redis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasRedisCluster,
  type PrivateRedisCluster,
  startRedisCluster,
} from '../../../test/helpers/redis-cluster.js';
import { newId, sessionWith } from './harness.js';

describe.runIf(hasRedisCluster())('rotation on a Redis Cluster of three masters', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;
  let store: RedisSessionStore;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = new Cluster([...cluster.nodes], {
      redisOptions: { commandTimeout: 1000, maxRetriesPerRequest: 1 },
    });
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    store = new RedisSessionStore({ client, userKey: 'userId', rotationGraceMs: 5000 });
  });

  afterAll(async () => {
    store.close();
    client.disconnect();
    await cluster.close();
  });

  it('rotates between ids of different slots (no CROSSSLOT), the alias and the merge work across them', async () => {
    let rotated = 0;
    for (let i = 0; i < 12; i++) {
      const from = newId();
      const to = newId();
      const session = sessionWith({ userId: `c${i}`, n: i });
      await store.set(from, session);
      const early = (await store.get(from))!;
      expect(await store.rotate(from, to, session)).toBe(true);
      early.late = i;
      await store.set(from, early);
      expect(await store.get(to)).toMatchObject({ userId: `c${i}`, n: i, late: i });
      expect(await store.get(from)).toMatchObject({ n: i, late: i });
      expect(await store.sessionsOf(`c${i}`)).toEqual([to]);
      rotated++;
    }
    expect(rotated).toBe(12);
  });

  it('destroyAllOf destroys sessions spread over the masters', async () => {
    const ids = Array.from({ length: 9 }, newId);
    for (const id of ids) await store.set(id, sessionWith({ userId: 'spread' }));
    expect(await store.destroyAllOf('spread')).toBe(9);
    for (const id of ids) expect(await store.get(id)).toBeNull();
    expect(await store.sessionsOf('spread')).toEqual([]);
  });
});
