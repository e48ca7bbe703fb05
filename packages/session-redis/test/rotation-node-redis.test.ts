// Rotation, the alias and the user index on node-redis (v5) as the store's client.
import { RedisSessionStore } from '@lbkit/session-redis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { newId, sessionWith, useRedis } from './harness.js';

describe.runIf(hasRedis())('rotation on node-redis', () => {
  const fixture = useRedis('node-redis');

  it('rotates, reads and merges through the alias, and indexes the new id', async () => {
    const store = new RedisSessionStore({ client: fixture.sessionClient(), userKey: 'userId' });
    try {
      const from = newId();
      const to = newId();
      const session = sessionWith({ userId: 'n1', cart: [1] });
      await store.set(from, session);
      const early = (await store.get(from))!;
      expect(await store.rotate(from, to, session)).toBe(true);
      early.b = 'B';
      await store.set(from, early);
      expect(await store.get(from)).toMatchObject({ cart: [1], b: 'B' });
      expect(await store.get(to)).toMatchObject({ cart: [1], b: 'B' });
      expect(await store.sessionsOf('n1')).toEqual([to]);
      expect(await store.destroyAllOf('n1')).toBe(1);
      expect(await store.get(to)).toBeNull();
      expect(await store.get(from)).toBeNull();
    } finally {
      store.close();
    }
  });
});
