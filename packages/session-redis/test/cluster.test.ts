// Every store operation on a real three-master Redis Cluster through ioredis and iovalkey, including the bulk ones (clear, all, length, ids).
import { RedisSessionStore } from '@lbkit/session-redis';
import { RedisStore } from 'connect-redis';
import { Cluster } from 'ioredis';
import { Cluster as ValkeyCluster } from 'iovalkey';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasRedisCluster,
  type PrivateRedisCluster,
  startRedisCluster,
} from '../../../test/helpers/redis-cluster.js';
import {
  Browser,
  expressFramework,
  fastifyFramework,
  newId,
  type RunningApp,
  sessionWith,
} from './harness.js';

/** The options the tests give a Cluster client. */
interface TestClusterOptions {
  redisOptions: { commandTimeout: number; maxRetriesPerRequest: number };
}

/** ioredis's Cluster and iovalkey's (the same API under other class types). */
const drivers = [
  [
    'ioredis',
    (nodes: ConstructorParameters<typeof Cluster>[0], options: TestClusterOptions) =>
      new Cluster(nodes, options),
  ],
  [
    'iovalkey',
    (nodes: ConstructorParameters<typeof Cluster>[0], options: TestClusterOptions) =>
      new ValkeyCluster(nodes, options) as unknown as Cluster,
  ],
] as const;

describe.runIf(hasRedisCluster()).each(drivers)(
  'RedisSessionStore on a Redis Cluster of three masters (%s)',
  (driver, connect) => {
    let cluster: PrivateRedisCluster;
    let client: Cluster;
    let store: RedisSessionStore;
    const apps: RunningApp[] = [];
    const ids = Array.from({ length: 60 }, newId);

    beforeAll(async () => {
      cluster = await startRedisCluster(3);
      client = connect([...cluster.nodes], {
        redisOptions: { commandTimeout: 1000, maxRetriesPerRequest: 1 },
      });
      await new Promise<void>((resolve) => client.once('ready', () => resolve()));
      store = new RedisSessionStore({ client, strict: true });
    });

    afterAll(async () => {
      for (const app of apps) await app.close();
      store.close();
      client.disconnect();
      await cluster.close();
    });

    async function keysPerMaster(): Promise<number[]> {
      return Promise.all(client.nodes('master').map((node) => node.dbsize()));
    }

    it('writes sessions spread over all three masters and reads each back', async () => {
      for (const [n, id] of ids.entries()) await store.set(id, sessionWith({ n }));
      const perMaster = await keysPerMaster();
      expect(perMaster).toHaveLength(3);
      for (const count of perMaster) expect(count).toBeGreaterThan(0);
      for (const [n, id] of ids.entries()) expect((await store.get(id))?.n).toBe(n);
    });

    it('applies delta writes, strict conflicts, touch and expiry within one slot per session', async () => {
      const id = ids[0]!;
      const first = (await store.get(id))!;
      const second = (await store.get(id))!;
      first.a = 'one';
      await store.set(id, first);
      second.a = 'two';
      await expect(store.set(id, second)).rejects.toMatchObject({
        code: 'LBKIT_SESSION_WRITE_CONFLICT',
        keys: ['a'],
      });
      const third = (await store.get(id))!;
      expect(third).toMatchObject({ n: 0, a: 'one' });
      await store.touch(id, sessionWith({}));
      expect(await client.pttl(`sess:{${id}}`)).toBeGreaterThan(55_000);
    });

    it('counts, lists and returns all sessions by scanning every master (length, ids, all)', async () => {
      expect(await store.length()).toBe(ids.length);
      expect((await store.ids()).sort()).toEqual([...ids].sort());
      const all = await store.all();
      expect(all).toHaveLength(ids.length);
      const byId = new Map(all.map((s) => [s.id, s]));
      expect(byId.get(ids[5]!)?.n).toBe(5);
    });

    it('destroys a session and keeps its tombstone in the same slot', async () => {
      const id = ids[1]!;
      await store.destroy(id);
      expect(await store.get(id)).toBeNull();
      expect(await client.exists(`sess:{${id}}:destroyed`)).toBe(1);
      expect(await store.length()).toBe(ids.length - 1);
      // A write of the destroyed id (a request that began before the logout) is refused.
      await store.set(id, sessionWith({ late: true }));
      expect(await store.get(id)).toBeNull();
    });

    it('clears every session and tombstone on every master, one key at a time', async () => {
      await store.clear();
      expect(await store.length()).toBe(0);
      expect(await keysPerMaster()).toEqual([0, 0, 0]);
    });

    it.each([expressFramework, fastifyFramework])(
      'serves $name sessions from the Cluster',
      async (framework) => {
        const app = await framework.start(new RedisSessionStore({ client }));
        apps.push(app);
        const browser = new Browser(app);
        await browser.post('/write/user', 'ada');
        expect((await browser.get('/read')).body.data).toEqual({ user: 'ada' });
        const oldId = browser.sessionId;
        await browser.post('/regenerate');
        expect(browser.sessionId).not.toBe(oldId);
        expect((await browser.get('/read')).body.data).toEqual({ fresh: true });
        expect((await browser.post('/destroy')).status).toBe(200);
      },
    );

    // The comparison with connect-redis needs running once, not per driver.
    if (driver === 'ioredis') {
      it('connect-redis 9 (node-redis cluster client) fails clear() on the same Cluster with CROSSSLOT', async () => {
        const nodeRedis = createCluster({
          rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
        });
        await nodeRedis.connect();
        try {
          const legacy = new RedisStore({ client: nodeRedis, prefix: 'cr:' });
          for (const id of ids.slice(0, 10)) await legacy.set(id, sessionWith({}) as never);
          await expect(legacy.clear()).rejects.toThrow(/CROSSSLOT/);
        } finally {
          await nodeRedis.quit();
        }
      });
    }
  },
);
