// The store on node-redis 5's Cluster and Sentinel clients (node-redis 4's Cluster refused), on real redis-server and sentinel processes.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore, type SessionRedisClient } from '@lbkit/session-redis';
import { createClient, createCluster, createSentinel } from 'redis';
import { createCluster as createCluster4 } from 'redis4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import {
  hasRedisCluster,
  type PrivateRedisCluster,
  startRedisCluster,
} from '../../../test/helpers/redis-cluster.js';
import { type PrivateSentinel, startRedisSentinel } from '../../../test/helpers/redis-sentinel.js';
import { newId, sessionWith } from './harness.js';

/** What these tests do with a node-redis Cluster client of either major. */
interface AnyCluster {
  connect(): Promise<unknown>;
  destroy?(): unknown;
  disconnect?(): Promise<unknown>;
  on(event: 'error', listener: () => void): unknown;
}

const make = (rootNodes: Array<{ url: string }>) => createCluster({ rootNodes }) as AnyCluster;

describe.runIf(hasRedisCluster())('RedisSessionStore on a node-redis 5 createCluster()', () => {
  let cluster: PrivateRedisCluster;
  let client: AnyCluster;
  let store: RedisSessionStore;
  const ids = Array.from({ length: 40 }, newId);

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = make(cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })));
    client.on('error', () => {});
    await client.connect();
    store = new RedisSessionStore({ client: client as never, strict: true });
  }, 60_000);

  afterAll(async () => {
    store?.close();
    if (client?.destroy) client.destroy();
    else await client?.disconnect?.();
    await cluster?.close();
  });

  async function keysPerMaster(): Promise<number[]> {
    return Promise.all(
      cluster.nodes.slice(0, 3).map(async (node) => {
        const direct = createClient({ socket: node });
        await direct.connect();
        try {
          return await direct.dbSize();
        } finally {
          direct.destroy();
        }
      }),
    );
  }

  it('writes sessions spread over all three masters (scripts routed by their key) and reads each back', async () => {
    for (const [n, id] of ids.entries()) await store.set(id, sessionWith({ n }));
    for (const count of await keysPerMaster()) expect(count).toBeGreaterThan(0);
    for (const [n, id] of ids.entries()) expect((await store.get(id))?.n).toBe(n);
  });

  it('applies delta writes, strict conflicts and destroy within one slot per session', async () => {
    const id = ids[0]!;
    const first = (await store.get(id))!;
    const second = (await store.get(id))!;
    await store.set(id, { ...first, n: 100 });
    await expect(store.set(id, { ...second, n: 200 })).rejects.toMatchObject({
      code: 'LBKIT_SESSION_WRITE_CONFLICT',
    });
    expect((await store.get(id))?.n).toBe(100);
    await store.destroy(id);
    expect(await store.get(id)).toBeNull();
  });

  it('length, ids, all and clear scan every master', async () => {
    expect(await store.length()).toBe(ids.length - 1);
    expect(new Set(await store.ids())).toEqual(new Set(ids.slice(1)));
    expect(await store.all()).toHaveLength(ids.length - 1);
    await store.clear();
    expect(await store.length()).toBe(0);
  });

  it('follows node losses only while the store is open: close() removes its listeners from the client', () => {
    const events = client as unknown as { listenerCount(event: string): number };
    const before = ['node-reconnecting', 'node-error'].map((event) => events.listenerCount(event));
    const extra = new RedisSessionStore({ client: client as never });
    expect(['node-reconnecting', 'node-error'].map((event) => events.listenerCount(event))).toEqual(
      before.map((count) => count + 1),
    );
    extra.close();
    expect(['node-reconnecting', 'node-error'].map((event) => events.listenerCount(event))).toEqual(before);
  });

  it("refuses node-redis 4's Cluster client, which never refreshes its slot map after a master dies", () => {
    const old = createCluster4({
      rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    });
    expect(() => new RedisSessionStore({ client: old as never })).toThrow(
      expect.objectContaining({
        code: 'LBKIT_SESSION_CLIENT_REQUIRED',
        message: expect.stringMatching(/failover/),
      }),
    );
  });

  it('durability: each save waits for a replica on the master it wrote to (none here: 503, never 200)', async () => {
    const durable = new RedisSessionStore({
      client: client as never,
      durability: { replicas: 1, timeoutMs: 50 },
    });
    try {
      await expect(durable.set(newId(), sessionWith({ n: 1 }))).rejects.toMatchObject({
        code: 'LBKIT_SESSION_WRITE_UNREPLICATED',
        statusCode: 503,
      });
    } finally {
      durable.close();
    }
  });
});

describe.runIf(hasRedisCluster())(
  'durability on a node-redis 5 createCluster() with a replica per master',
  () => {
    let cluster: PrivateRedisCluster;
    let client: AnyCluster;

    beforeAll(async () => {
      cluster = await startRedisCluster(3, 1);
      client = make(cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })));
      client.on('error', () => {});
      await client.connect();
    }, 60_000);

    afterAll(async () => {
      client?.destroy?.();
      await cluster?.close();
    });

    it('saves on every master are confirmed by its replica and read back', async () => {
      const store = new RedisSessionStore({ client: client as never, durability: { replicas: 1 } });
      try {
        const ids = Array.from({ length: 12 }, newId);
        for (const [n, id] of ids.entries()) await store.set(id, sessionWith({ n }));
        for (const [n, id] of ids.entries()) expect((await store.get(id))?.n).toBe(n);
        await store.destroy(ids[0]!);
        expect(await store.get(ids[0]!)).toBeNull();
      } finally {
        store.close();
      }
    });
  },
);

it('node-redis 5 createCluster() and createSentinel() clients type-check as the `client` option', () => {
  const clusterClient = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
  const sentinelClient = createSentinel({
    name: 'mymaster',
    sentinelRootNodes: [{ host: '127.0.0.1', port: 1 }],
  });
  // Compile-time: no cast needed (tsconfig.test.json checks this file).
  const clients: SessionRedisClient[] = [clusterClient, sentinelClient];
  const store = new RedisSessionStore({ client: clusterClient });
  expect(store.client).toBe(clients[0]);
  store.close();
});

describe.runIf(hasRedis())('RedisSessionStore on a node-redis 5 createSentinel()', () => {
  let master: PrivateRedis;
  let replica: PrivateRedis;
  let sentinel: PrivateSentinel;
  let client: ReturnType<typeof createSentinel>;

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ args: ['--replicaof', master.host, String(master.port)] });
    const probe = createClient({ socket: { host: replica.host, port: replica.port } });
    await probe.connect();
    try {
      const deadline = Date.now() + 20_000;
      while (!(await probe.info('replication')).includes('master_link_status:up') && Date.now() < deadline)
        await sleep(100);
    } finally {
      probe.destroy();
    }
    sentinel = await startRedisSentinel(master.port, { downAfterMs: 1000 });
    client = createSentinel({ name: sentinel.name, sentinelRootNodes: [sentinel] });
    client.on('error', () => {});
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await sentinel?.close();
    await replica?.close();
    await master?.close();
  });

  it('refuses it without durability (LBKIT_SESSION_CLIENT_UNSAFE, naming what to set)', () => {
    expect(() => new RedisSessionStore({ client: client as never })).toThrow(
      expect.objectContaining({
        code: 'LBKIT_SESSION_CLIENT_UNSAFE',
        hint: expect.stringMatching(/durability/),
      }),
    );
  });

  it('with durability, saves are confirmed by the replica, read back and destroyed on the master', async () => {
    const store = new RedisSessionStore({ client: client as never, durability: { replicas: 1 } });
    try {
      const id = newId();
      await store.set(id, sessionWith({ n: 7 }));
      expect((await store.get(id))?.n).toBe(7);
      const direct = createClient({ socket: { host: replica.host, port: replica.port } });
      await direct.connect();
      try {
        // Confirmed by WAIT: the replica has the session when set() resolves.
        expect(await direct.exists(`sess:{${id}}`)).toBe(1);
      } finally {
        direct.destroy();
      }
      await store.destroy(id);
      expect(await store.get(id)).toBeNull();
    } finally {
      store.close();
    }
  });

  it('with durability and no replica able to confirm in time, a save answers 503, never 200', async () => {
    const store = new RedisSessionStore({
      client: client as never,
      durability: { replicas: 2, timeoutMs: 50 },
    });
    try {
      await expect(store.set(newId(), sessionWith({ n: 1 }))).rejects.toMatchObject({
        code: 'LBKIT_SESSION_WRITE_UNREPLICATED',
        statusCode: 503,
      });
    } finally {
      store.close();
    }
  });
});
