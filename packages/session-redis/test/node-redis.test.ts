// The store on a node-redis 5 and 4 client (connect-redis 9's driver): errors, script reloads, bulk operations, and what it refuses.
import { RedisSessionStore, type SessionStoreError } from '@lbkit/session-redis';
import { createClient, createCluster } from 'redis';
import { createClient as createClient4, createCluster as createCluster4 } from 'redis4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { type Driver, newId, sessionWith, useRedis } from './harness.js';

/** What these tests do with a node-redis client of either major. */
interface AnyNodeRedis {
  isOpen: boolean;
  on(event: 'error', listener: () => void): unknown;
  connect(): Promise<unknown>;
}

/** Per major: the harness driver, its client and cluster factories, and how to drop a client. */
const versions: ReadonlyArray<
  readonly [
    Driver,
    (options: { RESP?: 3; socket: { host: string; port: number } }) => AnyNodeRedis,
    (options: { rootNodes: Array<{ url: string }> }) => object,
    (client: AnyNodeRedis) => void,
  ]
> = [
  [
    'node-redis',
    (options) => createClient(options),
    (options) => createCluster(options),
    (client) => (client as ReturnType<typeof createClient>).destroy(),
  ],
  [
    'node-redis 4',
    // node-redis 4 speaks RESP2 only.
    ({ RESP: _resp, ...options }) => createClient4(options),
    (options) => createCluster4(options),
    (client) => {
      if (client.isOpen) (client as ReturnType<typeof createClient4>).disconnect().catch(() => {});
    },
  ],
];

describe.runIf(hasRedis()).each(versions)(
  'RedisSessionStore on a %s client',
  (driver, connect, cluster, drop) => {
    const fixture = useRedis(driver);
    let store: RedisSessionStore;
    const errors: SessionStoreError[] = [];
    const sent: string[] = [];

    beforeAll(async () => {
      const client = fixture.sessionClient() as unknown as ReturnType<typeof createClient>;
      // Records the name of every command the store sends.
      const original = client.sendCommand.bind(client);
      client.sendCommand = ((args: string[], ...rest: unknown[]) => {
        sent.push(args[0]!);
        return (original as (...a: unknown[]) => Promise<unknown>)(args, ...rest);
      }) as typeof client.sendCommand;
      store = new RedisSessionStore({ client: client as never });
      store.on('error', (error) => errors.push(error as SessionStoreError));
      await store.set(newId(), sessionWith({ warm: true }));
    });

    afterAll(() => store.close());

    it('writes and reads a session with one HGETALL and one EVALSHA', async () => {
      const id = newId();
      sent.length = 0;
      await store.set(id, sessionWith({ name: 'ada' }));
      const read = await store.get(id);
      expect(read?.name).toBe('ada');
      expect(sent).toEqual(['EVALSHA', 'HGETALL']);
      expect(await fixture.inspect.hget(`sess:{${id}}`, '.name')).toBe('"ada"');
    });

    it('reloads its scripts with EVAL after SCRIPT FLUSH (NOSCRIPT), then uses EVALSHA again', async () => {
      await fixture.inspect.script('FLUSH');
      const id = newId();
      sent.length = 0;
      await store.set(id, sessionWith({ n: 1 }));
      expect(sent).toEqual(['EVALSHA', 'EVAL']);
      sent.length = 0;
      await store.set(id, sessionWith({ n: 2 }));
      expect(sent).toEqual(['EVALSHA']);
      expect((await store.get(id))?.n).toBe(2);
    });

    it('reads a key of the wrong type as no session and reports it as corrupt', async () => {
      const id = newId();
      await fixture.inspect.set(`sess:{${id}}`, 'a string');
      errors.length = 0;
      expect(await store.get(id)).toBeNull();
      expect(errors.map((e) => e.code)).toEqual(['LBKIT_SESSION_DATA_CORRUPT']);
    });

    it('destroys with a tombstone, so a later save cannot bring the session back', async () => {
      const id = newId();
      await store.set(id, sessionWith({ a: 1 }));
      const read = await store.get(id);
      await store.destroy(id);
      await store.set(id, { ...read!, a: 2 });
      expect(await fixture.inspect.exists(`sess:{${id}}`)).toBe(0);
      expect(await fixture.inspect.exists(`sess:{${id}}:destroyed`)).toBe(1);
    });

    it('counts, lists, reads and clears every session (SCAN, then one command per key)', async () => {
      await store.clear();
      const ids = [newId(), newId(), newId()];
      for (const [i, id] of ids.entries()) await store.set(id, sessionWith({ i }));
      expect(await store.length()).toBe(3);
      expect((await store.ids()).sort()).toEqual([...ids].sort());
      const all = await store.all();
      expect(all.map((s) => s.i).sort()).toEqual([0, 1, 2]);
      expect(all.map((s) => s.id).sort()).toEqual([...ids].sort());
      await store.clear();
      expect(await store.length()).toBe(0);
      expect(await fixture.inspect.keys('sess:*')).toEqual([]);
    });

    it('fails at once with LBKIT_SESSION_REDIS_UNAVAILABLE on a client that is closed', async () => {
      const closed = connect({ socket: { host: fixture.redis.host, port: fixture.redis.port } });
      const offline = new RedisSessionStore({ client: closed as never });
      await expect(offline.get(newId())).rejects.toMatchObject({ code: 'LBKIT_SESSION_REDIS_UNAVAILABLE' });
      offline.close();
    });

    // RESP3 (HGETALL answering a map) exists from node-redis 5 on.
    if (driver === 'node-redis') {
      it('works on a RESP3 connection (HGETALL answers a map)', async () => {
        const resp3 = connect({ RESP: 3, socket: { host: fixture.redis.host, port: fixture.redis.port } });
        resp3.on('error', () => {});
        await resp3.connect();
        try {
          const sessions = new RedisSessionStore({ client: resp3 as never });
          const id = newId();
          await sessions.set(id, sessionWith({ name: 'ada', n: 1 }));
          const read = (await sessions.get(id))!;
          expect(read.name).toBe('ada');
          read.n = 2;
          await sessions.set(id, read);
          expect((await sessions.get(id))?.n).toBe(2);
          expect(await sessions.length()).toBeGreaterThan(0);
          sessions.close();
        } finally {
          drop(resp3);
        }
      });
    }

    it('close() removes every listener the store put on the client', () => {
      const client = fixture.sessionClient() as unknown as ReturnType<typeof createClient>;
      const events = ['ready', 'reconnecting', 'end'] as const;
      const before = events.map((event) => client.listenerCount(event));
      const extra = new RedisSessionStore({ client: client as never });
      expect(events.map((event) => client.listenerCount(event))).not.toEqual(before);
      extra.close();
      expect(events.map((event) => client.listenerCount(event))).toEqual(before);
    });

    it("takes node-redis 5's Cluster client by its class, refuses node-redis 4's (node-redis-topologies.test.ts runs them)", () => {
      const clusterClient = cluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
      if (driver === 'node-redis 4') {
        expect(() => new RedisSessionStore({ client: clusterClient as never })).toThrow(
          expect.objectContaining({
            code: 'LBKIT_SESSION_CLIENT_REQUIRED',
            hint: expect.stringMatching(/redis@5/),
          }),
        );
        return;
      }
      const store = new RedisSessionStore({ client: clusterClient as never });
      expect(store.client).toBe(clusterClient);
      store.close();
    });
  },
);
