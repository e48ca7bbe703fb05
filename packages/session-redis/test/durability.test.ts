// The durability option (WAIT after every save and destroy) on a real master and replica, and the Sentinel client guard.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { newId, sessionWith } from './harness.js';

/** Waits until the replica's link to its master is up (its first sync can take seconds here). */
async function linked(replica: PrivateRedis): Promise<void> {
  const probe = new Redis(replica.port, replica.host);
  try {
    const deadline = Date.now() + 20_000;
    while (!(await probe.info('replication')).includes('master_link_status:up')) {
      if (Date.now() > deadline) throw new Error('the replica never linked');
      await sleep(100);
    }
  } finally {
    probe.disconnect();
  }
}

describe.runIf(hasRedis())('durability: saves and destroys confirmed by replicas', () => {
  let master: PrivateRedis;
  let replica: PrivateRedis;
  const clients: Redis[] = [];
  const stores: RedisSessionStore[] = [];

  const store = (replicas: number): RedisSessionStore => {
    const client = new Redis(master.port, master.host, { maxRetriesPerRequest: 1 });
    clients.push(client);
    const created = new RedisSessionStore({
      client,
      commandTimeoutMs: 1000,
      durability: { replicas, timeoutMs: 200 },
    });
    stores.push(created);
    return created;
  };

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ args: ['--replicaof', master.host, String(master.port)] });
    await linked(replica);
  });

  afterAll(async () => {
    for (const s of stores) s.close();
    for (const c of clients) c.disconnect();
    await replica?.close();
    await master?.close();
  });

  it('a save and a destroy succeed once the replica confirmed them, and the replica holds them', async () => {
    const sessions = store(1);
    const id = newId();
    await sessions.set(id, sessionWith({ a: 1 }));
    const read = (await sessions.get(id))!;
    read.b = 2;
    await sessions.set(id, read);
    const onReplica = new Redis(replica.port, replica.host);
    try {
      // Confirmed means already on the replica: no waiting for replication here.
      expect(await onReplica.hget(`sess:{${id}}`, '.b')).toBe('2');
      await sessions.destroy(id);
      expect(await onReplica.exists(`sess:{${id}}`, `sess:{${id}}:destroyed`)).toBe(1);
    } finally {
      onReplica.disconnect();
    }
  });

  it('with fewer replicas than asked, a save and a destroy fail with LBKIT_SESSION_WRITE_UNREPLICATED (503, Retry-After)', async () => {
    const sessions = store(2);
    const id = newId();
    const failure = await sessions.set(id, sessionWith({ a: 1 })).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      code: 'LBKIT_SESSION_WRITE_UNREPLICATED',
      statusCode: 503,
      headers: { 'retry-after': '1' },
    });
    await expect(sessions.destroy(id)).rejects.toMatchObject({ code: 'LBKIT_SESSION_WRITE_UNREPLICATED' });
  });

  it('a save on a node-redis client is confirmed the same way', async () => {
    const client = createClient({ socket: { host: master.host, port: master.port } });
    client.on('error', () => {});
    await client.connect();
    try {
      const one = new RedisSessionStore({ client, durability: { replicas: 1 } });
      const two = new RedisSessionStore({ client, durability: { replicas: 2, timeoutMs: 100 } });
      const id = newId();
      await one.set(id, sessionWith({ a: 1 }));
      await expect(two.set(newId(), sessionWith({ a: 1 }))).rejects.toMatchObject({
        code: 'LBKIT_SESSION_WRITE_UNREPLICATED',
      });
      one.close();
      two.close();
    } finally {
      await client.quit();
    }
  });

  it('refuses a WAIT bound that leaves the write no time within commandTimeoutMs, and unknown keys', () => {
    const client = new Redis({ lazyConnect: true });
    clients.push(client);
    expect(
      () =>
        new RedisSessionStore({ client, commandTimeoutMs: 500, durability: { replicas: 1, timeoutMs: 500 } }),
    ).toThrow(expect.objectContaining({ code: 'LBKIT_SESSION_OPTION_INVALID' }));
    expect(() => new RedisSessionStore({ client, durability: { replica: 1 } as never })).toThrow(
      /did you mean "durability.replicas"/,
    );
    expect(() => new RedisSessionStore({ client, durability: { replicas: 0 } })).toThrow(
      expect.objectContaining({ code: 'LBKIT_SESSION_OPTION_INVALID' }),
    );
  });
});

describe('the Sentinel client guard', () => {
  it('refuses a Sentinel client without failoverDetector with LBKIT_SESSION_CLIENT_UNSAFE, and takes one with it', () => {
    const sentinels = [{ host: '127.0.0.1', port: 1 }];
    const blind = new Redis({ sentinels, name: 'mymaster', lazyConnect: true });
    const watching = new Redis({ sentinels, name: 'mymaster', lazyConnect: true, failoverDetector: true });
    try {
      expect(() => new RedisSessionStore({ client: blind })).toThrow(
        expect.objectContaining({ code: 'LBKIT_SESSION_CLIENT_UNSAFE' }),
      );
      new RedisSessionStore({ client: watching }).close();
    } finally {
      blind.disconnect();
      watching.disconnect();
    }
  });
});
