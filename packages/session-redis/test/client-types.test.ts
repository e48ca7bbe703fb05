// The constructor takes each driver's own client type as it is, without casts (this file is type-checked by tsc).
import { RedisSessionStore, type SessionRedisClient } from '@lbkit/session-redis';
import { Cluster, Redis } from 'ioredis';
import { createClient } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { afterAll, describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { newId, sessionWith, useRedis } from './harness.js';

describe.runIf(hasRedis())('the client option takes each driver’s client type without casts', () => {
  const fixture = useRedis();
  const closers: Array<() => unknown> = [];
  afterAll(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function roundTrip(store: RedisSessionStore): Promise<unknown> {
    const id = newId();
    await store.set(id, sessionWith({ name: 'ada' }));
    return (await store.get(id))?.name;
  }

  it('an ioredis Redis', async () => {
    const client = new Redis(fixture.redis.port, fixture.redis.host, { maxRetriesPerRequest: 1 });
    closers.push(() => client.disconnect());
    const store = new RedisSessionStore({ client });
    closers.push(() => store.close());
    expect(await roundTrip(store)).toBe('ada');
  });

  it('a node-redis 5 createClient()', async () => {
    const client = createClient({ url: fixture.redis.url });
    await client.connect();
    closers.push(() => client.destroy());
    const store = new RedisSessionStore({ client });
    closers.push(() => store.close());
    expect(await roundTrip(store)).toBe('ada');
  });

  it('a node-redis 4 createClient()', async () => {
    const client = createClient4({ url: fixture.redis.url });
    await client.connect();
    closers.push(() => client.disconnect());
    const store = new RedisSessionStore({ client });
    closers.push(() => store.close());
    expect(await roundTrip(store)).toBe('ada');
  });

  it('an ioredis Cluster is a SessionRedisClient (cluster.test.ts runs one for real)', () => {
    const cluster = new Cluster([{ host: fixture.redis.host, port: fixture.redis.port }], {
      lazyConnect: true,
    });
    closers.push(() => cluster.disconnect());
    const client: SessionRedisClient = cluster;
    expect(client.isCluster).toBe(true);
  });
});
