// Expiry: every key has one, cookie/ttl rules, touch without resurrection, absolute lifetime, disableTTL/disableTouch.
import type { SessionDropped } from '@lbkit/session-redis';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { Browser, frameworks, newId, sessionWith, useRedis } from './harness.js';

describe.runIf(hasRedis())('session expiry', () => {
  const fixture = useRedis();
  const store = fixture.store;
  // Keys are looked at, and aged, behind the stores' back.
  const client = (): Redis => fixture.inspect;

  it('leaves no key without an expiry, whatever the operations (scans every key for PTTL -1)', async () => {
    for (const framework of frameworks) {
      for (const maxAgeMs of [60_000, null]) {
        const app = await framework.start(store({ strict: true }), { maxAgeMs, saveUninitialized: true });
        fixture.track(app);
        const browser = new Browser(app);
        await browser.get('/read');
        await browser.post('/write/a', 1);
        await browser.post('/write/b', { deep: [1, 2] });
        await browser.post('/delete/a');
        await browser.get('/read');
        await browser.post('/regenerate');
        await browser.post('/write/c', 3);
        const other = new Browser(app);
        await other.post('/write/x', 1);
        await other.post('/destroy');
      }
    }
    const lifetime = store({ disableTTL: true, maxLifetimeMs: 600_000 });
    await lifetime.set(newId(), sessionWith({ a: 1 }));
    const legacyId = newId();
    await client().set(`sess:${legacyId}`, JSON.stringify(sessionWith({ old: true })), 'EX', 600);
    const migrating = store({ legacyPrefix: 'sess:' });
    const legacy = (await migrating.get(legacyId))!;
    legacy.added = true;
    await migrating.set(legacyId, legacy);

    const keys = await client().keys('*');
    expect(keys.length).toBeGreaterThan(10);
    const withoutExpiry: string[] = [];
    for (const key of keys) if ((await client().pttl(key)) < 0) withoutExpiry.push(key);
    expect(withoutExpiry).toEqual([]);
  });

  it('takes the expiry from a ttl function before the cookie, and refreshes reads with it', async () => {
    const sessions = store({ ttl: () => 30 });
    const id = newId();
    const key = `sess:{${id}}`;
    await sessions.set(id, sessionWith({ a: 1 }, 60_000));
    const pttl = await client().pttl(key);
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    // Age it by 25 s without waiting: the read finds its touch due and extends it by the ttl.
    await client().pexpire(key, 5_000);
    await client().hset(key, 'at', String(Date.now() - 25_000));
    const read = (await sessions.get(id))!;
    await sessions.touch(id, read);
    expect(await client().pttl(key)).toBeGreaterThan(25_000);
    expect(await client().pttl(key)).toBeLessThanOrEqual(30_000);
  });

  it('touches a ttl session stored before the at field existed, by data or by script', async () => {
    for (const seen of [false, true]) {
      const sessions = store({ ttl: 30 });
      const id = newId();
      const key = `sess:{${id}}`;
      await sessions.set(id, { cookie: { originalMaxAge: null, expires: null }, a: 1 });
      if (seen) {
        // This process read it 1.1 s ago (past its 1 s window): the next read runs the read script.
        await sessions.get(id);
        await new Promise((resolve) => setTimeout(resolve, 1100));
      }
      await client().hdel(key, 'at');
      await client().pexpire(key, 5_000);
      const read = (await sessions.get(id))!;
      expect(read.a).toBe(1);
      await sessions.touch(id, read);
      expect(await client().pttl(key)).toBeGreaterThan(25_000);
      expect(Number(await client().hget(key, 'at'))).toBeGreaterThan(Date.now() - 5_000);
    }
  });

  it('extends a due session on a read alone (a framework that neither saves nor touches it)', async () => {
    const sessions = store();
    const id = newId();
    const key = `sess:{${id}}`;
    await sessions.set(id, sessionWith({ a: 1 }));
    // Age it by 50 s: expiry and stored cookie expiry 10 s away.
    await client().pexpire(key, 10_000);
    await client().hset(key, 'exp', String(Date.now() + 10_000));
    const before = Date.now();
    const read = (await sessions.get(id))!;
    expect(new Date(read.cookie!.expires as Date).getTime()).toBeGreaterThanOrEqual(before + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await client().pttl(key)).toBeGreaterThan(55_000);
    expect(Number(await client().hget(key, 'exp'))).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('destroys a session saved with a cookie that already expired', async () => {
    const sessions = store();
    const id = newId();
    await sessions.set(id, sessionWith({ a: 1 }));
    await sessions.set(id, { cookie: { expires: new Date(Date.now() - 1000).toISOString() }, a: 1 });
    expect(await client().exists(`sess:{${id}}`)).toBe(0);
  });

  it('never resurrects a missing session on touch', async () => {
    const sessions = store();
    const id = newId();
    await sessions.touch(id, sessionWith({ a: 1 }));
    expect(await client().exists(`sess:{${id}}`)).toBe(0);
  });

  it('bounds a session by maxLifetimeMs from its creation, however active it is', async () => {
    const sessions = store({ maxLifetimeMs: 3_600_000 });
    const dropped: SessionDropped[] = [];
    sessions.on('dropped', (event) => dropped.push(event));
    const id = newId();
    const key = `sess:{${id}}`;
    await sessions.set(id, sessionWith({ a: 1 }));
    // Pretend the session was created 3599.5 s ago: every expiry is now capped at what is left.
    await client().hset(key, 'born', String(Date.now() - 3_599_500));
    const read = (await sessions.get(id))!;
    read.a = 2;
    await sessions.set(id, read);
    expect(await client().pttl(key)).toBeLessThanOrEqual(500);

    await client().hset(key, 'born', String(Date.now() - 3_600_001));
    expect(await sessions.get(id)).toBeNull();
    expect(await client().exists(key)).toBe(0);

    const other = newId();
    await sessions.set(other, sessionWith({ a: 1 }));
    const current = (await sessions.get(other))!;
    await client().hset(`sess:{${other}}`, 'born', String(Date.now() - 3_600_001));
    current.a = 2;
    await sessions.set(other, current);
    expect(dropped).toContainEqual({ id: other, reason: 'expired' });
    expect(await client().exists(`sess:{${other}}`)).toBe(0);
  });

  it('refuses disableTTL without maxLifetimeMs, and with it expires keys at the lifetime', async () => {
    expect(() => store({ disableTTL: true })).toThrow(
      expect.objectContaining({ code: 'LBKIT_SESSION_EXPIRY_MISSING' }),
    );
    const sessions = store({ disableTTL: true, maxLifetimeMs: 90_000 });
    const id = newId();
    await sessions.set(id, sessionWith({ a: 1 }, 10_000));
    const pttl = await client().pttl(`sess:{${id}}`);
    expect(pttl).toBeGreaterThan(85_000);
    expect(pttl).toBeLessThanOrEqual(90_000);
  });

  it('does not extend the expiry on reads or touch with disableTouch', async () => {
    const sessions = store({ disableTouch: true });
    const id = newId();
    await sessions.set(id, sessionWith({ a: 1 }));
    await client().pexpire(`sess:{${id}}`, 5_000);
    const read = (await sessions.get(id))!;
    await sessions.touch(id, read);
    expect(await client().pttl(`sess:{${id}}`)).toBeLessThanOrEqual(5_000);
  });
});
