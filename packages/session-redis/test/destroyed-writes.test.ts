// rejectDestroyedWrites: a save the logout overtook fails the request instead of answering 200 for nothing stored.
import type { SessionDropped } from '@lbkit/session-redis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { Browser, frameworks, newId, sessionWith, useRedis } from './harness.js';

describe.runIf(hasRedis())('a save overtaken by a destroy', () => {
  const fixture = useRedis();
  const store = fixture.store;

  /** Reads a session, destroys it behind the reader's back, then saves what was read with a change. */
  async function saveAfterLogout(rejectDestroyedWrites: boolean) {
    const sessions = store({ rejectDestroyedWrites });
    const dropped: SessionDropped[] = [];
    sessions.on('dropped', (event) => dropped.push(event));
    const id = newId();
    await sessions.set(id, sessionWith({ cart: [] }));
    const read = (await sessions.get(id))!;
    await sessions.destroy(id);
    read.cart = [1];
    const saved = await sessions.set(id, read).then(
      () => undefined,
      (error: unknown) => error,
    );
    return { saved, dropped, after: await sessions.get(id) };
  }

  it('is dropped and reported as success by default (event dropped, reason destroyed)', async () => {
    const { saved, dropped, after } = await saveAfterLogout(false);
    expect(saved).toBeUndefined();
    expect(dropped.map((event) => event.reason)).toEqual(['destroyed']);
    expect(after).toBeNull();
  });

  it('fails with LBKIT_SESSION_WRITE_DESTROYED (409) with rejectDestroyedWrites, and stays destroyed', async () => {
    const { saved, dropped, after } = await saveAfterLogout(true);
    expect(saved).toMatchObject({ code: 'LBKIT_SESSION_WRITE_DESTROYED', statusCode: 409 });
    expect(dropped.map((event) => event.reason)).toEqual(['destroyed']);
    expect(after).toBeNull();
  });

  for (const framework of frameworks) {
    it(`answers 409, not 200, on ${framework.name} when a route saves before answering and the logout came first`, async () => {
      const app = fixture.track(await framework.start(store({ rejectDestroyedWrites: true })));
      const tab = new Browser(app);
      await tab.post('/write/cart?save=1', []);
      const slow = tab.post('/write/cart?ms=300&save=1', [1]);
      const other = tab.clone();
      await other.post('/destroy');
      const answer = await slow;
      // Express's route answers the error itself; Fastify's error handler answers it with the code.
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ code: 'LBKIT_SESSION_WRITE_DESTROYED' });
    });
  }
});
