// The cookie JSON a save writes and the cookie a read parses are remembered; neither may be served stale.
import session from 'express-session';
import { describe, expect, it } from 'vitest';
import { cookieParts } from '../src/expiry.js';
import { safeJsonSerializer } from '../src/safe-json.js';
import { type DecodeContext, type Decoded, decodeSession } from '../src/session-codec.js';
import type { StoredSession } from '../src/types.js';
import { ValueCodec } from '../src/value-codec.js';

type ExpressCookie = session.Cookie & Record<string, unknown>;

/**
 * express-session's own Cookie class, as express-session builds it for a new session. Its constructor
 * derives `originalMaxAge` from the expiry and a second `Date.now()`, so it comes out 1 ms short when
 * the clock ticks in between; the maxAge given is pinned, as express-session's createSession does, so
 * that two cookies built alike serialize alike.
 */
function expressCookie(options: Record<string, unknown>): ExpressCookie {
  const Cookie = session.Cookie as unknown as new (options?: object) => ExpressCookie;
  const cookie = new Cookie(options);
  if (typeof options.maxAge === 'number') cookie.originalMaxAge = options.maxAge;
  return cookie;
}

/** What a save stores as the cookie, computed the plain way: the fields but the expiry, stringified. */
function expectedJson(cookie: object): string {
  const toJSON = (cookie as { toJSON?: () => Record<string, unknown> }).toJSON;
  const source = typeof toJSON === 'function' ? toJSON.call(cookie) : (cookie as Record<string, unknown>);
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (key !== 'expires' && key !== 'originalExpires') data[key] = source[key];
  }
  return JSON.stringify(data);
}

function jsonOf(cookie: object): string {
  return cookieParts({ cookie } as unknown as StoredSession).json;
}

describe('cookie JSON of a save', () => {
  it('follows every change of an express-session cookie, between saves of the unchanged cookie', () => {
    const changes: Array<[string, (cookie: ExpressCookie) => void]> = [
      ['secure', (c) => (c.secure = true)],
      ['secure auto', (c) => (c.secure = 'auto')],
      ['path', (c) => (c.path = '/app')],
      ['sameSite', (c) => (c.sameSite = 'strict')],
      ['domain', (c) => (c.domain = 'example.com')],
      ['httpOnly', (c) => (c.httpOnly = false)],
      ['partitioned', (c) => (c.partitioned = true)],
      ['priority', (c) => (c.priority = 'high')],
      ['maxAge', (c) => (c.maxAge = 60_000)],
      ['originalMaxAge', (c) => (c.originalMaxAge = 7_200_000)],
      ['browser-session cookie', (c) => (c.originalMaxAge = null)],
    ];
    const usual = (): ExpressCookie => expressCookie({ maxAge: 3_600_000 });
    const usualJson = jsonOf(usual());
    expect(usualJson).toBe(expectedJson(usual()));
    for (const [what, change] of changes) {
      const changed = usual();
      change(changed);
      const json = jsonOf(changed);
      expect(json, what).toBe(expectedJson(changed));
      expect(json, what).not.toBe(usualJson);
      // Saved again unchanged, then changed again: each save gets its own cookie's JSON.
      expect(jsonOf(changed), what).toBe(json);
      expect(jsonOf(usual()), what).toBe(usualJson);
      expect(jsonOf(changed), what).toBe(json);
    }
  });

  it('gives the originalMaxAge of the cookie saved, not of the one saved before', () => {
    const hour = expressCookie({ maxAge: 3_600_000 });
    const minute = expressCookie({ maxAge: 3_600_000 });
    minute.originalMaxAge = 60_000;
    const none = expressCookie({ maxAge: 3_600_000 });
    none.originalMaxAge = null;
    const parts = (cookie: object) => cookieParts({ cookie } as unknown as StoredSession);
    expect(parts(hour).ma).toBe(3_600_000);
    expect(parts(hour).ma).toBe(3_600_000);
    expect(parts(minute).ma).toBe(60_000);
    expect(parts(none).ma).toBeNull();
    expect(parts(hour).ma).toBe(3_600_000);
  });

  it('tells apart the same fields in another order, absent from undefined, and odd values', () => {
    const cookies: Array<Record<string, unknown>> = [
      { path: '/', httpOnly: true },
      { httpOnly: true, path: '/' },
      { path: '/', httpOnly: true, secure: undefined },
      { path: '/', httpOnly: true, secure: true },
      { path: '/', httpOnly: 'true' },
      { path: '/', httpOnly: 1 },
      { path: '/', httpOnly: null },
      { path: '/', originalMaxAge: Number.NaN },
      { path: '/', originalMaxAge: -0 },
      { path: '/', originalMaxAge: 0 },
      { path: '/', expires: new Date(1), originalExpires: 5 },
      { path: '/', httpOnly: true },
    ];
    for (const cookie of cookies) expect(jsonOf(cookie), JSON.stringify(cookie)).toBe(expectedJson(cookie));
  });

  it('serializes a nested value again on each save, so changing it inside is seen', () => {
    const nested = { tags: ['a'] };
    const cookie = { path: '/', extra: nested };
    expect(jsonOf(cookie)).toBe('{"path":"/","extra":{"tags":["a"]}}');
    nested.tags.push('b');
    expect(jsonOf(cookie)).toBe('{"path":"/","extra":{"tags":["a","b"]}}');
  });
});

describe('cookie of a read', () => {
  const ctx: DecodeContext = {
    serializer: safeJsonSerializer,
    defaultSerializer: true,
    codec: new ValueCodec(undefined, undefined, 1024 * 1024),
    maxSessionBytes: 1024 * 1024,
  };
  const id = 'cookiejson'.padEnd(32, 'x');
  const read = (cookieText: string): Record<string, unknown> => {
    const pairs = ['cookie', cookieText, 'exp', String(Date.now() + 60_000), '.a', '1'];
    return (decodeSession(pairs, 0, id, ctx) as Decoded).session.cookie as Record<string, unknown>;
  };

  /** The cookie's string-keyed fields but the expiry a read adds (and the record's symbol). */
  const fieldsOf = (cookie: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(cookie).filter(([key]) => key !== 'expires'));

  it('is a fresh object each read: a change one request makes to its cookie is not seen by the next', () => {
    const text = '{"originalMaxAge":3600000,"httpOnly":true,"path":"/"}';
    const first = read(text);
    first.secure = true;
    first.path = '/changed';
    first.originalMaxAge = 1;
    const second = read(text);
    expect(second).not.toBe(first);
    expect(fieldsOf(second)).toEqual(JSON.parse(text));
    expect(second.expires).toBeInstanceOf(Date);
  });

  it('reads each stored text as its own fields', () => {
    const texts = [
      '{"originalMaxAge":3600000,"httpOnly":true,"path":"/"}',
      '{"originalMaxAge":3600000,"httpOnly":true,"path":"/","secure":true}',
      '{"originalMaxAge":60000,"httpOnly":true,"path":"/","sameSite":"strict"}',
      '{"originalMaxAge":3600000,"httpOnly":true,"path":"/"}',
    ];
    for (const text of texts) {
      const cookie = read(text);
      expect(Object.keys(cookie)).toEqual([...Object.keys(JSON.parse(text)), 'expires']);
      expect(fieldsOf(cookie)).toEqual(JSON.parse(text));
    }
  });

  it('does not share a nested value between reads', () => {
    const text = '{"path":"/","extra":{"tags":["a"]}}';
    const first = read(text);
    (first.extra as { tags: string[] }).tags.push('b');
    expect(read(text).extra).toEqual({ tags: ['a'] });
  });
});
