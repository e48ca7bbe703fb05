// The write scripts' edges: hundreds of keys in one save (chunked HSET/HDEL/HMGET), the short delta script, full writes over an existing id.
import type { StoredSession } from '@lbkit/session-redis';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { newId, sessionWith, useRedis } from './harness.js';

/** The session's data keys, without the cookie. */
function dataOf(session: StoredSession | null): Record<string, unknown> {
  const { cookie: _cookie, ...data } = session ?? {};
  return data;
}

describe.runIf(hasRedis())('write script', () => {
  const fixture = useRedis();
  const store = fixture.store;
  // Keys are looked at, and aged, behind the stores' back.
  const client = (): Redis => fixture.inspect;

  it.each([false, true])('saves, changes and deletes 700 keys in one save (strict: %s)', async (strict) => {
    const sessions = store({ strict });
    const id = newId();
    const data: Record<string, unknown> = {};
    for (let i = 0; i < 700; i++) data[`k${i}`] = { i };
    await sessions.set(id, sessionWith(data));
    const read = (await sessions.get(id))!;
    expect(dataOf(read)).toEqual(data);

    // 600 changes (more than one HMGET chunk in strict mode) and 650 removals in one delta write.
    for (let i = 0; i < 650; i++) delete read[`k${i}`];
    for (let i = 650; i < 700; i++) read[`k${i}`] = { i, changed: true };
    for (let i = 700; i < 1250; i++) read[`k${i}`] = i;
    await sessions.set(id, read);
    const expected = dataOf(read);
    expect(Object.keys(expected)).toHaveLength(600);
    expect(dataOf(await sessions.get(id))).toEqual(expected);
    expect(await client().hlen(`sess:{${id}}`)).toBe(600 + 4); // + cookie, exp, ma, born
    expect(await client().pttl(`sess:{${id}}`)).toBeGreaterThan(0);
  });

  it('a save that only sets keys runs the short delta script, which refuses a destroyed session', async () => {
    const sessions = store();
    const id = newId();
    const key = `sess:{${id}}`;
    await sessions.set(id, sessionWith({ a: 1 }));
    const read = (await sessions.get(id))!;
    const monitor = await client().duplicate().monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'evalsha') seen.push(args);
    });
    try {
      read.a = 2;
      await sessions.set(id, read);
      // What destroy() leaves: no hash, a tombstone.
      await client().del(key);
      await client().set(`${key}:destroyed`, '1', 'PX', 60_000);
      read.a = 3;
      await sessions.set(id, read);
      // MONITOR's feed trails the replies a little.
      for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      monitor.disconnect();
    }
    expect(seen).toHaveLength(2);
    for (const args of seen) {
      expect(args.slice(2, 5)).toEqual(['2', key, `${key}:destroyed`]);
      expect(args).toContain('.a');
    }
    expect(await client().exists(key)).toBe(0);
  });

  it('a save of a session that vanished without a tombstone before its expiry fails with LBKIT_SESSION_DATA_LOST (503)', async () => {
    const sessions = store();
    const id = newId();
    await sessions.set(id, sessionWith({ a: 1 }));
    const read = (await sessions.get(id))!;
    // What a failover does to a session the old master had not replicated: gone, no tombstone.
    await client().del(`sess:{${id}}`);
    read.a = 2;
    const error = await sessions.set(id, read).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LBKIT_SESSION_DATA_LOST', statusCode: 503 });
    expect(await client().exists(`sess:{${id}}`)).toBe(0);
  });

  it('a save moments after Redis extended the session sets only the changed fields and leaves the expiry as stored', async () => {
    const sessions = store();
    const id = newId();
    const key = `sess:{${id}}`;
    await sessions.set(id, sessionWith({ a: 1, b: 1 }));
    const exp = await client().hget(key, 'exp');
    // Age the key's TTL a little behind the store's back: a save that extended it would restore it.
    await client().pexpire(key, 50_000);
    const read = (await sessions.get(id))!;
    const monitor = await client().duplicate().monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() !== 'evalsha') seen.push(args);
    });
    try {
      read.a = 2;
      read.c = 3;
      await sessions.set(id, read);
      for (let i = 0; i < 50 && !seen.some((args) => args[0]?.toLowerCase() === 'hset'); i++)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      monitor.disconnect();
    }
    // Inside the script: one HSET of the two changed keys, no PEXPIRE, no exp field.
    const commands = seen.map((args) => args[0]!.toLowerCase()).filter((name) => name !== 'info');
    expect(commands).toEqual(['hset']);
    expect(seen[0]!.slice(1)).toEqual([key, '.a', '2', '.c', '3']);
    expect(dataOf(await sessions.get(id))).toEqual({ a: 2, b: 1, c: 3 });
    expect(await client().hget(key, 'exp')).toBe(exp);
    expect(await client().pttl(key)).toBeLessThanOrEqual(50_000);
  });

  it('a save moments after an extension refuses a destroyed session and reports a lost one, leaving no key', async () => {
    const sessions = store();
    const destroyed = newId();
    await sessions.set(destroyed, sessionWith({ a: 1 }));
    const first = (await sessions.get(destroyed))!;
    const dropped: unknown[] = [];
    sessions.on('dropped', (event) => dropped.push(event));
    await client().del(`sess:{${destroyed}}`);
    await client().set(`sess:{${destroyed}}:destroyed`, '1', 'PX', 60_000);
    first.a = 2;
    first.b = 2;
    await sessions.set(destroyed, first);
    expect(dropped).toEqual([{ id: destroyed, reason: 'destroyed' }]);
    expect(await client().exists(`sess:{${destroyed}}`)).toBe(0);

    const lost = newId();
    await sessions.set(lost, sessionWith({ a: 1 }));
    const second = (await sessions.get(lost))!;
    await client().del(`sess:{${lost}}`);
    second.a = 2;
    await expect(sessions.set(lost, second)).rejects.toMatchObject({ code: 'LBKIT_SESSION_DATA_LOST' });
    expect(await client().exists(`sess:{${lost}}`)).toBe(0);
  });

  it('a save that only adds keys, or whose touch is due, extends the expiry as it writes', async () => {
    const sessions = store();
    const id = newId();
    const key = `sess:{${id}}`;
    await sessions.set(id, sessionWith({ a: 1 }));
    // Only new keys: a missing hash would not show in HSET's count, so the save extends (and checks) as before.
    const read = (await sessions.get(id))!;
    await client().pexpire(key, 50_000);
    read.added = true;
    await sessions.set(id, read);
    expect(await client().pttl(key)).toBeGreaterThan(55_000);

    // Due: the stored expiry says Redis last extended it 30 s ago (the window of a 60 s cookie is 1 s).
    await client().pexpire(key, 30_000);
    await client().hset(key, 'exp', String(Date.now() + 30_000));
    const due = (await sessions.get(id))!;
    due.a = 2;
    await sessions.set(id, due);
    expect(await client().pttl(key)).toBeGreaterThan(55_000);
    expect(Number(await client().hget(key, 'exp'))).toBeGreaterThan(Date.now() + 55_000);
  });

  it('a full write over an existing id keeps its creation time; strict mode refuses it', async () => {
    const id = newId();
    const key = `sess:{${id}}`;
    await store().set(id, sessionWith({ a: 1 }));
    const born = String(Date.now() - 10_000);
    await client().hset(key, 'born', born);

    // A session object the store never read has no record: the save is a full write.
    await expect(store({ strict: true }).set(id, sessionWith({ b: 2 }))).rejects.toMatchObject({
      code: 'LBKIT_SESSION_WRITE_CONFLICT',
    });
    expect(dataOf(await store().get(id))).toEqual({ a: 1 });

    await store({ maxLifetimeMs: 3_600_000 }).set(id, sessionWith({ b: 2 }));
    expect(dataOf(await store().get(id))).toEqual({ b: 2 });
    expect(await client().hget(key, 'born')).toBe(born);
    expect(await client().pttl(key)).toBeGreaterThan(0);
  });
});
