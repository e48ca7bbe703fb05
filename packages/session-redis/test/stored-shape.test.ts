// What get() and all() hand back is what set() stored: no added fields, no enumerable internal state.
import { deepStrictEqual } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { newId, useRedis } from './harness.js';

describe.runIf(hasRedis())('the stored session as read back', () => {
  const fixture = useRedis();
  const store = fixture.store;

  const cookies = {
    'a cookie with an expiry': { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000), path: '/' },
    'a browser-session cookie with expires: null': { originalMaxAge: null, expires: null, httpOnly: true },
    'a cookie without an expires field': { originalMaxAge: null, path: '/', sameSite: 'lax' },
  };

  for (const [name, cookie] of Object.entries(cookies)) {
    it(`get() returns what set() stored, deep-equal, for ${name}`, async () => {
      const sessions = store();
      const id = newId();
      const stored = { cookie, user: { name: 'ada', roles: ['admin'] }, views: 3 };
      await sessions.set(id, structuredClone(stored));
      const read = await sessions.get(id);
      deepStrictEqual(read, stored);
      expect(JSON.parse(JSON.stringify(read))).toEqual(JSON.parse(JSON.stringify(stored)));
    });
  }

  it('keeps its internal state off every enumerable key, string or symbol, of the session and cookie', async () => {
    const sessions = store();
    const id = newId();
    await sessions.set(id, { cookie: cookies['a cookie with an expiry'], a: 1 });
    const read = (await sessions.get(id))!;
    expect(Object.getOwnPropertySymbols(read).filter((s) => Object.hasOwn(read, s))).toEqual([]);
    const cookie = read.cookie as object;
    const enumerableSymbols = Object.getOwnPropertySymbols(cookie).filter(
      (s) => Object.getOwnPropertyDescriptor(cookie, s)?.enumerable,
    );
    expect(enumerableSymbols).toEqual([]);
    expect(Object.keys(cookie)).toEqual(['originalMaxAge', 'path', 'expires']);
  });

  it('all() returns each session as stored, with its id added as connect-redis does', async () => {
    const sessions = store({ prefix: 'shape-all:' });
    const id = newId();
    const stored = { cookie: cookies['a browser-session cookie with expires: null'], cart: [1, 2] };
    await sessions.set(id, structuredClone(stored));
    deepStrictEqual(await sessions.all(), [{ ...stored, id }]);
  });
});
