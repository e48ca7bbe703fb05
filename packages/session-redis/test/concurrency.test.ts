// Overlapping real HTTP requests on one session: merged keys, strict-mode conflicts, no resurrection after logout.
import { RedisSessionStore, type SessionDropped, type SessionStoreError } from '@lbkit/session-redis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { Browser, type Driver, frameworks, useRedis } from './harness.js';
import { differentKeysOverlap, logoutDuringSlowRequest, sameKeyOverlap } from './scenarios.js';

const drivers: Driver[] = ['ioredis', 'iovalkey', 'node-redis', 'node-redis 4'];

describe.runIf(hasRedis()).each(drivers)('overlapping requests on one session (%s)', (driver) => {
  const fixture = useRedis(driver);

  function store(strict = false): RedisSessionStore {
    return new RedisSessionStore({ client: fixture.sessionClient(), strict });
  }

  describe.each(frameworks)('behind $name', (framework) => {
    it('keeps both changes when two overlapping requests change different keys', async () => {
      const app = fixture.track(await framework.start(store()));
      const data = await differentKeysOverlap(new Browser(app));
      expect(data).toEqual({ seed: 0, a: 1, b: 2 });
    });

    it('keeps both changes when the two requests go to different instances', async () => {
      const one = fixture.track(await framework.start(store()));
      const two = fixture.track(await framework.start(store()));
      const browser = new Browser(one);
      await browser.post('/write/seed', 0);
      const slow = browser.clone(one).post('/write/a?ms=300', 1);
      await new Promise((r) => setTimeout(r, 50));
      expect((await browser.clone(two).post('/write/b', 2)).status).toBe(200);
      expect((await slow).status).toBe(200);
      expect((await browser.get('/read')).body.data).toEqual({ seed: 0, a: 1, b: 2 });
    });

    it('strict mode reports a conflict (409, LBKIT_SESSION_WRITE_CONFLICT) when both change the same key', async () => {
      const strictStore = store(true);
      const conflicts: SessionStoreError[] = [];
      strictStore.on('error', (error) => {
        if (error.code === 'LBKIT_SESSION_WRITE_CONFLICT') conflicts.push(error as SessionStoreError);
      });
      const app = fixture.track(await framework.start(strictStore));
      const { slow, fast, data } = await sameKeyOverlap(new Browser(app));
      expect(fast.status).toBe(200);
      expect(slow.status).toBe(409);
      expect(slow.body.code).toBe('LBKIT_SESSION_WRITE_CONFLICT');
      expect(conflicts.length).toBeGreaterThan(0);
      expect(conflicts[0]!.keys).toEqual(['x']);
      expect(data).toEqual({ seed: 0, x: 'fast' });
    });

    it('lets the last write of one key win without strict mode', async () => {
      const app = fixture.track(await framework.start(store()));
      const { slow, fast, data } = await sameKeyOverlap(new Browser(app));
      expect([slow.status, fast.status]).toEqual([200, 200]);
      expect(data).toEqual({ seed: 0, x: 'slow' });
    });

    it('keeps a session gone when the user logs out during a slow request', async () => {
      const sessions = store();
      const dropped: SessionDropped[] = [];
      sessions.on('dropped', (event) => dropped.push(event));
      const app = fixture.track(await framework.start(sessions));
      const { oldId, data } = await logoutDuringSlowRequest(new Browser(app));
      expect(data).toEqual({});
      expect(await fixture.inspect.exists(`sess:{${oldId}}`)).toBe(0);
      expect(dropped).toContainEqual({ id: oldId, reason: 'destroyed' });
    });
  });
});
