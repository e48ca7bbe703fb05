// Log out everywhere: sessions indexed by user (userKey), sessionsOf and destroyAllOf with requests in flight.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { Browser, newId, sessionWith, useRedis } from './harness.js';
import { rotationFrameworks } from './rotation-apps.js';

describe.runIf(hasRedis())('sessions indexed by user', () => {
  const fixture = useRedis();

  it('sessionsOf lists the sessions of a user; destroyed ones drop out; the index expires with them', async () => {
    const store = fixture.store({ userKey: 'userId' });
    const ids = [newId(), newId(), newId()];
    for (const id of ids) await store.set(id, sessionWith({ userId: 'u1' }, 60_000));
    await store.set(newId(), sessionWith({ userId: 'u2' }, 60_000));
    await store.set(newId(), sessionWith({ cart: [] }, 60_000));
    expect((await store.sessionsOf('u1')).sort()).toEqual([...ids].sort());
    await store.destroy(ids[0]!);
    expect((await store.sessionsOf('u1')).sort()).toEqual([ids[1], ids[2]].sort());
    const pttl = await fixture.inspect.pttl('sess:user:{u1}');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(120_000);
  });

  it('takes a function of the session, and indexes numbers as strings', async () => {
    const store = fixture.store({
      userKey: (session) => (session.account as { id?: number } | undefined)?.id,
    });
    const id = newId();
    await store.set(id, sessionWith({ account: { id: 42 } }));
    expect(await store.sessionsOf(42)).toEqual([id]);
  });

  it('a rotation moves the entry to the new id', async () => {
    const store = fixture.store({ userKey: 'userId' });
    const from = newId();
    const to = newId();
    const session = sessionWith({ userId: 'u3' });
    await store.set(from, session);
    await store.rotate(from, to, session);
    expect(await store.sessionsOf('u3')).toEqual([to]);
    expect(await fixture.inspect.zrange('sess:user:{u3}', 0, -1)).toEqual([to]);
  });

  it('destroyAllOf destroys every session of the user with tombstones, and leaves the others', async () => {
    const store = fixture.store({ userKey: 'userId' });
    const ids = [newId(), newId()];
    for (const id of ids) await store.set(id, sessionWith({ userId: 'u4' }));
    const other = newId();
    await store.set(other, sessionWith({ userId: 'u5' }));
    const reads = await Promise.all(ids.map((id) => store.get(id)));
    expect(await store.destroyAllOf('u4')).toBe(2);
    for (const [i, id] of ids.entries()) {
      expect(await store.get(id)).toBeNull();
      expect(await fixture.inspect.exists(`sess:{${id}}:destroyed`)).toBe(1);
      // A request that read before the logout saves after it: nothing comes back.
      reads[i]!.cart = [1];
      await store.set(id, reads[i]!);
      expect(await store.get(id)).toBeNull();
    }
    expect(await store.sessionsOf('u4')).toEqual([]);
    expect(await store.get(other)).toMatchObject({ userId: 'u5' });
  });

  it('refuses a userKey that is neither a field name nor a function, and sessionsOf without one (coded)', async () => {
    expect(() => fixture.store({ userKey: 5 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'LBKIT_SESSION_OPTION_INVALID' }),
    );
    expect(() => fixture.store({ userKey: '' })).toThrow(
      expect.objectContaining({ code: 'LBKIT_SESSION_OPTION_INVALID' }),
    );
    await expect(fixture.store().sessionsOf('u')).rejects.toMatchObject({
      code: 'LBKIT_SESSION_USER_KEY_MISSING',
    });
    await expect(fixture.store().destroyAllOf('u')).rejects.toMatchObject({
      code: 'LBKIT_SESSION_USER_KEY_MISSING',
    });
  });

  for (const framework of rotationFrameworks) {
    it(`${framework.name}: log out everywhere across two instances with requests in flight — none survives, none resurrected`, async () => {
      // Two instances (own stores, one Redis), four browsers of user 1 logged in over both.
      const stores = [fixture.store({ userKey: 'user' }), fixture.store({ userKey: 'user' })];
      const apps = [
        fixture.track(await framework.start(stores[0])),
        fixture.track(await framework.start(stores[1])),
      ];
      const tabs = [0, 1, 2, 3].map((i) => new Browser(apps[i % 2]!));
      for (const tab of tabs) {
        await tab.post('/write/cart', [1]);
        await tab.post('/login');
      }
      const ids = tabs.map((tab) => tab.sessionId);
      expect((await stores[0]!.sessionsOf(1)).sort()).toEqual([...ids].sort());
      // Each browser has a slow write in flight (read before, saved after the logout), on the other instance.
      const inFlight = tabs.map((tab, i) => tab.clone(apps[(i + 1) % 2]).post('/write/late?ms=200', 'x'));
      await sleep(50);
      expect(await stores[1]!.destroyAllOf(1)).toBe(4);
      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      await sleep(50);
      for (const [i, tab] of tabs.entries()) {
        expect((await tab.get('/read')).body.data).toEqual({});
        expect(await fixture.inspect.exists(`sess:{${ids[i]}}`)).toBe(0);
      }
      expect(await stores[0]!.sessionsOf(1)).toEqual([]);
      // The refused saves took their entries back out: the index does not fill with dead ids.
      expect(await fixture.inspect.zcard('sess:user:{1}')).toBe(0);
    });
  }
});
