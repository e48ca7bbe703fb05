// Session id rotation: same data under a new id, the old id an alias for the grace, then refused.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { Browser, newId, sessionWith, useRedis } from './harness.js';
import { loginRace, rotationFrameworks } from './rotation-apps.js';

describe.runIf(hasRedis())('session id rotation', () => {
  const fixture = useRedis();

  describe('store.rotate', () => {
    it('moves the data to the new id and removes the old hash (tombstone and alias left)', async () => {
      const store = fixture.store({ rotationGraceMs: 5000 });
      const from = newId();
      const to = newId();
      await store.set(from, sessionWith({ cart: [1, 2], user: 'u1' }));
      expect(await store.rotate(from, to)).toBe(true);
      expect(await store.get(to)).toMatchObject({ cart: [1, 2], user: 'u1' });
      const inspect = fixture.inspect;
      expect(await inspect.exists(`sess:{${from}}`)).toBe(0);
      expect(await inspect.exists(`sess:{${from}}:destroyed`)).toBe(1);
      expect(await inspect.get(`sess:{${from}}:moved`)).toBe(to);
      expect(await inspect.pttl(`sess:{${to}}`)).toBeGreaterThan(50_000);
    });

    it('answers false for an id that is not stored, and moves nothing', async () => {
      const store = fixture.store();
      const to = newId();
      expect(await store.rotate(newId(), to)).toBe(false);
      expect(await store.get(to)).toBeNull();
    });

    it('reads the new session through the old id during the grace, and its writes merge into it', async () => {
      const store = fixture.store({ rotationGraceMs: 5000 });
      const from = newId();
      const to = newId();
      await store.set(from, sessionWith({ cart: [1] }));
      // A request that read before the rotation and saves after it.
      const early = (await store.get(from))!;
      await store.rotate(from, to);
      // A request that arrives with the old cookie after it.
      const late = (await store.get(from))!;
      expect(late).toMatchObject({ cart: [1] });
      early.a = 'A';
      late.b = 'B';
      await store.set(from, early);
      await store.set(from, late);
      expect(await store.get(to)).toMatchObject({ cart: [1], a: 'A', b: 'B' });
      expect(await fixture.inspect.exists(`sess:{${from}}`)).toBe(0);
    });

    it('refuses the old id after the grace (fixation: it reads as no session, a save stores nothing)', async () => {
      const store = fixture.store({ rotationGraceMs: 150 });
      const from = newId();
      const to = newId();
      await store.set(from, sessionWith({ user: 'victim' }));
      const early = (await store.get(from))!;
      await store.rotate(from, to);
      await sleep(300);
      expect(await store.get(from)).toBeNull();
      early.user = 'attacker';
      await store.set(from, early);
      expect(await store.get(from)).toBeNull();
      expect(await store.get(to)).toMatchObject({ user: 'victim' });
    });

    it('with rotationGraceMs: 0 the old id is refused at once', async () => {
      const store = fixture.store({ rotationGraceMs: 0 });
      const from = newId();
      const to = newId();
      await store.set(from, sessionWith({ user: 'u' }));
      await store.rotate(from, to);
      expect(await store.get(from)).toBeNull();
      expect(await fixture.inspect.exists(`sess:{${from}}:moved`)).toBe(0);
      expect(await store.get(to)).toMatchObject({ user: 'u' });
    });

    it('keeps a write made to the old id between the copy and the seal (the copy is redone)', async () => {
      const store = fixture.store({ rotationGraceMs: 5000 });
      const writer = fixture.store();
      const from = newId();
      await store.set(from, sessionWith({ n: 0 }));
      // Many rotations racing a writer: every write that the store accepted is in the final session.
      let current = from;
      const accepted: number[] = [];
      const writes = (async () => {
        for (let i = 1; i <= 30; i++) {
          const read = await writer.get(current);
          if (!read) continue;
          read[`w${i}`] = i;
          await writer.set(current, read);
          accepted.push(i);
          await sleep(2);
        }
      })();
      for (let r = 0; r < 10; r++) {
        const to = newId();
        await store.rotate(current, to);
        current = to;
        await sleep(1);
      }
      await writes;
      const final = (await store.get(current))!;
      for (const i of accepted) expect(final[`w${i}`]).toBe(i);
      expect(accepted.length).toBeGreaterThan(0);
    });

    it('refuses a rotation of a session destroyed meanwhile and leaves no copy', async () => {
      const store = fixture.store();
      const from = newId();
      const to = newId();
      await store.destroy(from);
      expect(await store.rotate(from, to)).toBe(false);
      expect(await store.get(to)).toBeNull();
    });

    it('refuses invalid ids and a grace longer than the tombstones (coded errors)', async () => {
      const store = fixture.store();
      await expect(store.rotate('bad id', newId())).rejects.toMatchObject({
        code: 'LBKIT_SESSION_ID_INVALID',
      });
      expect(() => fixture.store({ rotationGraceMs: 600_000 })).toThrow(
        expect.objectContaining({ code: 'LBKIT_SESSION_OPTION_INVALID' }),
      );
      expect(() => fixture.store({ rotationGraceMs: -1 })).toThrow(
        expect.objectContaining({ code: 'LBKIT_SESSION_OPTION_INVALID' }),
      );
    });
  });

  for (const framework of rotationFrameworks) {
    describe(framework.name, () => {
      it('rotateSession gives a new cookie with the same data, and the old cookie is refused after the grace', async () => {
        const store = fixture.store({ rotationGraceMs: 200 });
        const app = fixture.track(await framework.start(store));
        const tab = new Browser(app);
        await tab.post('/write/cart', [1]);
        const before = tab.clone();
        const oldId = tab.sessionId;
        const login = await tab.post('/login');
        expect(login.setCookie).toBeDefined();
        expect(tab.sessionId).not.toBe(oldId);
        expect((await tab.get('/read')).body.data).toEqual({ cart: [1], user: 1 });
        await sleep(300);
        expect((await before.get('/read')).body.data).toEqual({});
        expect(await store.get(oldId)).toBeNull();
      });

      it('a request with the old cookie during the grace reads the new session and gets the new cookie', async () => {
        const store = fixture.store({ rotationGraceMs: 5000 });
        const app = fixture.track(await framework.start(store));
        const tab = new Browser(app);
        await tab.post('/write/cart', [1]);
        const stale = tab.clone();
        await tab.post('/login');
        const answer = await stale.post('/write/b', 'B');
        expect(answer.body.data).toMatchObject({ cart: [1], user: 1, b: 'B' });
        expect(stale.sessionId).toBe(tab.sessionId);
        expect((await tab.get('/read')).body.data).toEqual({ cart: [1], user: 1, b: 'B' });
      });

      it('3 parallel requests during a rotation: nobody logged out, no write lost', async () => {
        const store = fixture.store({ rotationGraceMs: 300 });
        const app = fixture.track(await framework.start(store));
        const race = await loginRace(app, false);
        expect(race.statuses).toEqual([200, 200, 200, 200]);
        expect(race.finalId).not.toBe(race.oldId);
        expect(race.lost).toEqual([]);
        expect(race.data).toEqual({ cart: [1], user: 1, a: 'A', b: 'B' });
      });

      it('the same race with plain regenerate() logs the user out: the API calls put the old cookie back (counted)', async () => {
        const store = fixture.store({ rotationGraceMs: 300 });
        const app = fixture.track(await framework.start(store));
        const race = await loginRace(app, true);
        // The two API calls saved to the destroyed id (their writes are gone) and their responses,
        // the last to arrive, put the old cookie back: the browser ends logged out.
        expect(race.lost).toEqual(['cart', 'user', 'a', 'b']);
      });
    });
  }
});
