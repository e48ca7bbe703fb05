// The session-store contract, run once per framework by contract-express.test.ts and contract-fastify.test.ts.
import { RedisSessionStore, type RedisSessionStoreOptions } from '@lbkit/session-redis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import {
  type AppOptions,
  Browser,
  type Driver,
  type Framework,
  type RunningApp,
  useRedis,
} from './harness.js';

/** Defines the contract suite for one framework against a private redis-server. */
export function sessionContract(framework: Framework, driver: Driver = 'ioredis'): void {
  describe.runIf(hasRedis())(`RedisSessionStore on ${driver} behind ${framework.name}`, () => {
    const fixture = useRedis(driver);

    async function start(
      appOptions: AppOptions = {},
      storeOptions: Partial<RedisSessionStoreOptions> = {},
    ): Promise<{ app: RunningApp; store: RedisSessionStore }> {
      const store = new RedisSessionStore({ client: fixture.sessionClient(), ...storeOptions });
      const app = fixture.track(await framework.start(store, appOptions));
      return { app, store };
    }

    const key = (id: string): string => `sess:{${id}}`;

    it('stores a new session on its first change and reads it back on the next request', async () => {
      const { app } = await start();
      const browser = new Browser(app);
      const first = await browser.get('/read');
      expect(first.setCookie).toBeUndefined();
      expect(await fixture.inspect.keys('sess:*')).toEqual([]);

      const written = await browser.post('/write/name', 'ada');
      expect(written.status).toBe(200);
      expect(written.setCookie).toBeDefined();
      const hash = await fixture.inspect.hgetall(key(browser.sessionId));
      expect(hash['.name']).toBe('"ada"');
      expect(hash).toHaveProperty('cookie');
      expect(hash).toHaveProperty('born');

      expect((await browser.get('/read')).body.data).toEqual({ name: 'ada' });
    });

    it('lets another instance on the same Redis serve and extend the same session', async () => {
      const one = await start();
      const two = await start();
      const browser = new Browser(one.app);
      await browser.post('/write/a', 1);
      const sameBrowserOnTwo = browser.clone(two.app);
      expect((await sameBrowserOnTwo.get('/read')).body.data).toEqual({ a: 1 });
      await sameBrowserOnTwo.post('/write/b', 2);
      expect((await browser.get('/read')).body.data).toEqual({ a: 1, b: 2 });
    });

    it('stores an untouched new session when saveUninitialized is true, and not when false', async () => {
      const eager = await start({ saveUninitialized: true });
      const browser = new Browser(eager.app);
      const answer = await browser.get('/read');
      expect(answer.setCookie).toBeDefined();
      expect(await fixture.inspect.exists(key(browser.sessionId))).toBe(1);

      const lazy = await start({ saveUninitialized: false });
      const other = new Browser(lazy.app);
      expect((await other.get('/read')).setCookie).toBeUndefined();
      expect(other.cookie).toBeUndefined();
    });

    it("expires the key with the cookie's maxAge and stores the cookie's expiry", async () => {
      const { app } = await start({ maxAgeMs: 60_000 });
      const browser = new Browser(app);
      const before = Date.now();
      await browser.post('/write/x', 1);
      const pttl = await fixture.inspect.pttl(key(browser.sessionId));
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      const exp = Number(await fixture.inspect.hget(key(browser.sessionId), 'exp'));
      expect(exp).toBeGreaterThanOrEqual(before + 60_000);
      expect(exp).toBeLessThanOrEqual(Date.now() + 60_000);
    });

    it('uses the ttl option when the cookie has no maxAge', async () => {
      const { app } = await start({ maxAgeMs: null }, { ttl: 120 });
      const browser = new Browser(app);
      await browser.post('/write/x', 1);
      const pttl = await fixture.inspect.pttl(key(browser.sessionId));
      expect(pttl).toBeGreaterThan(115_000);
      expect(pttl).toBeLessThanOrEqual(120_000);
      expect(await fixture.inspect.hget(key(browser.sessionId), 'exp')).toBeNull();
    });

    it('extends a session without cookie maxAge by ttl once its touch is due, and stores when (at)', async () => {
      const { app } = await start({ maxAgeMs: null }, { ttl: 120 });
      const browser = new Browser(app);
      const written = Date.now();
      await browser.post('/write/x', 1);
      const k = key(browser.sessionId);
      expect(Number(await fixture.inspect.hget(k, 'at'))).toBeGreaterThanOrEqual(written);
      // Age the session by 110 s without waiting: expiry 10 s away, last extension 110 s ago.
      await fixture.inspect.pexpire(k, 10_000);
      await fixture.inspect.hset(k, 'at', String(Date.now() - 110_000));

      const before = Date.now();
      expect((await browser.get('/read')).body.data).toEqual({ x: 1 });
      expect(await fixture.inspect.pttl(k)).toBeGreaterThan(115_000);
      expect(Number(await fixture.inspect.hget(k, 'at'))).toBeGreaterThanOrEqual(before);
    });

    it('extends the expiry on an unmodified read (touch) and keeps the stored expiry consistent', async () => {
      const { app } = await start({ maxAgeMs: 60_000 });
      const browser = new Browser(app);
      await browser.post('/write/x', 1);
      const k = key(browser.sessionId);
      // Age the session by 50 s without waiting: expiry and stored cookie expiry both 10 s away.
      await fixture.inspect.pexpire(k, 10_000);
      await fixture.inspect.hset(k, 'exp', String(Date.now() + 10_000));

      const before = Date.now();
      expect((await browser.get('/read')).body.data).toEqual({ x: 1 });
      expect(await fixture.inspect.pttl(k)).toBeGreaterThan(55_000);
      const exp = Number(await fixture.inspect.hget(k, 'exp'));
      expect(exp).toBeGreaterThanOrEqual(before + 60_000);
      expect(exp).toBeLessThanOrEqual(Date.now() + 60_000);
      // The next read restores the cookie with that expiry, so it is not mistaken for expired.
      expect((await browser.get('/read')).body.data).toEqual({ x: 1 });
    });

    it('stores a new cookie maxAge set without any data change (remember me) and keeps using it', async () => {
      const { app } = await start({ maxAgeMs: 60_000 });
      const browser = new Browser(app);
      await browser.post('/write/x', 1);
      const k = key(browser.sessionId);
      await browser.post('/remember?ms=7200');
      // express-session derives originalMaxAge from two Date.now() calls, so it may be 1 ms short.
      const ma = Number(await fixture.inspect.hget(k, 'ma'));
      expect(ma).toBeGreaterThanOrEqual(7_199_990);
      expect(ma).toBeLessThanOrEqual(7_200_000);
      expect(await fixture.inspect.pttl(k)).toBeGreaterThan(7_000_000);
      // Age it as in the touch test: expiry and stored cookie expiry both 10 s away.
      await fixture.inspect.pexpire(k, 10_000);
      await fixture.inspect.hset(k, 'exp', String(Date.now() + 10_000));
      await browser.get('/read');
      expect(await fixture.inspect.pttl(k)).toBeGreaterThan(7_000_000);
    });

    it('sends the cookie on every response when rolling, and only on changes when not', async () => {
      const rolling = await start({ rolling: true });
      const a = new Browser(rolling.app);
      await a.post('/write/x', 1);
      expect((await a.get('/read')).setCookie).toBeDefined();

      const fixed = await start({ rolling: false });
      const b = new Browser(fixed.app);
      await b.post('/write/x', 1);
      expect((await b.get('/read')).setCookie).toBeUndefined();
      expect((await b.post('/write/x', 2)).status).toBe(200);
      expect((await b.get('/read')).body.data).toEqual({ x: 2 });
    });

    it('regenerates: new id, old session deleted and tombstoned, new session stored', async () => {
      const { app } = await start();
      const browser = new Browser(app);
      await browser.post('/write/user', 'ada');
      const oldId = browser.sessionId;
      const answer = await browser.post('/regenerate');
      expect(answer.status).toBe(200);
      expect(browser.sessionId).not.toBe(oldId);
      expect(await fixture.inspect.exists(key(oldId))).toBe(0);
      expect(await fixture.inspect.pttl(`sess:{${oldId}}:destroyed`)).toBeGreaterThan(0);
      expect((await browser.get('/read')).body.data).toEqual({ fresh: true });
    });

    it('destroys: the session is deleted and its cookie reads as a new, empty session', async () => {
      const { app } = await start();
      const browser = new Browser(app);
      await browser.post('/write/user', 'ada');
      const id = browser.sessionId;
      expect((await browser.post('/destroy')).status).toBe(200);
      expect(await fixture.inspect.exists(key(id))).toBe(0);
      const stale = new Browser(app);
      stale.cookie = browser.cookie;
      expect((await stale.get('/read')).body.data).toEqual({});
    });

    it('removes a deleted top-level key from Redis and keeps the others', async () => {
      const { app } = await start();
      const browser = new Browser(app);
      await browser.post('/write/a', 1);
      await browser.post('/write/b', 2);
      await browser.post('/delete/a');
      const hash = await fixture.inspect.hgetall(key(browser.sessionId));
      expect(hash['.a']).toBeUndefined();
      expect(hash['.b']).toBe('2');
      expect((await browser.get('/read')).body.data).toEqual({ b: 2 });
    });

    it('reads a session that expired in Redis as a new, empty one', async () => {
      const { app } = await start();
      const browser = new Browser(app);
      await browser.post('/write/a', 1);
      await fixture.inspect.del(key(browser.sessionId));
      expect((await browser.get('/read')).body.data).toEqual({});
    });
  });
}
