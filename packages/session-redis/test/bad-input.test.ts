// Bad input: invalid session ids never reach Redis; corrupt, mistyped, oversized or prototype-polluting data reads as no session.
import { RedisSessionStore, type SessionStoreError } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { Browser, frameworks, newId, type RunningApp, sessionWith } from './harness.js';

describe.runIf(hasRedis())('bad input', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let store: RedisSessionStore;
  const errors: SessionStoreError[] = [];
  const sent: string[] = [];
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.port, redis.host, { commandTimeout: 1000, maxRetriesPerRequest: 1 });
    await client.ping();
    const original = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.push(command.name);
      return (original as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof client.sendCommand;
    store = new RedisSessionStore({ client });
    store.on('error', (error) => errors.push(error as SessionStoreError));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    store.close();
    client.disconnect();
    await redis.close();
  });

  const invalidIds = [
    '',
    'short',
    `${'a'.repeat(31)}`,
    `${'a'.repeat(33)}`,
    `${'a'.repeat(30)}}{`,
    `${'a'.repeat(31)}*`,
    `${'a'.repeat(31)}?`,
    `${'a'.repeat(31)}\n`,
    `${'a'.repeat(31)} `,
    `${'a'.repeat(31)}.`,
    `${'a'.repeat(31)}é`,
    'x'.repeat(10_000),
  ];

  it('refuses malformed session ids before sending any Redis command', async () => {
    sent.length = 0;
    errors.length = 0;
    for (const id of invalidIds) {
      expect(await store.get(id)).toBeNull();
      await expect(store.set(id, sessionWith({ a: 1 }))).rejects.toMatchObject({
        code: 'LBKIT_SESSION_ID_INVALID',
        statusCode: 400,
      });
      await expect(store.touch(id, sessionWith({}))).rejects.toMatchObject({
        code: 'LBKIT_SESSION_ID_INVALID',
      });
      await expect(store.destroy(id)).rejects.toMatchObject({ code: 'LBKIT_SESSION_ID_INVALID' });
    }
    expect(sent).toEqual([]);
    expect(errors.filter((e) => e.code === 'LBKIT_SESSION_ID_INVALID')).toHaveLength(invalidIds.length);
  });

  it('accepts the ids express-session and @fastify/session generate', async () => {
    for (const framework of frameworks) {
      const app = await framework.start(store);
      apps.push(app);
      for (let i = 0; i < 20; i++) {
        const browser = new Browser(app);
        await browser.post('/write/a', i);
        expect(browser.sessionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect((await browser.get('/read')).body.data).toEqual({ a: i });
      }
    }
  });

  it('takes a custom validator or pattern, and still refuses key-breaking characters', async () => {
    const uuids = new RedisSessionStore({
      client,
      sessionIdLength: 36,
      sessionIdPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    });
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    await uuids.set(uuid, sessionWith({ a: 1 }));
    expect((await uuids.get(uuid))?.a).toBe(1);
    expect(await uuids.get(newId())).toBeNull();
    const anything = new RedisSessionStore({ client, validateSessionId: () => true });
    await expect(anything.set('a}b', sessionWith({}))).rejects.toMatchObject({
      code: 'LBKIT_SESSION_ID_INVALID',
    });
    await expect(anything.set('a*', sessionWith({}))).rejects.toMatchObject({
      code: 'LBKIT_SESSION_ID_INVALID',
    });
    uuids.close();
    anything.close();
  });

  it('reads non-JSON, undecodable or cookie-less data as no session and reports it', async () => {
    const cases: Array<Record<string, string>> = [
      { cookie: '{}', '.a': 'not json' },
      { cookie: 'not json', '.a': '1' },
      { '.a': '1' },
      { cookie: '[1]', '.a': '1' },
      { cookie: '{}', '.a': '\u0001b////' },
      { cookie: '{}', '.a': '\u0001q' },
    ];
    for (const hash of cases) {
      const id = newId();
      await client.hset(`sess:{${id}}`, hash);
      errors.length = 0;
      expect(await store.get(id)).toBeNull();
      expect(errors.map((e) => e.code)).toEqual(['LBKIT_SESSION_DATA_CORRUPT']);
    }
  });

  it('reads a key of the wrong type as no session and reports it', async () => {
    const id = newId();
    await client.set(`sess:{${id}}`, 'a string');
    errors.length = 0;
    expect(await store.get(id)).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['LBKIT_SESSION_DATA_CORRUPT']);
  });

  it('parses without prototype pollution: __proto__ and constructor.prototype keys are dropped and reported', async () => {
    const id = newId();
    await client.hset(`sess:{${id}}`, {
      cookie: '{"__proto__":{"polluted":true}}',
      '.user': '{"name":"ada","__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}}}',
      '.__proto__': '{"isAdmin":true}',
      '.list': '[{"__proto__":{"x":1}}]',
    });
    errors.length = 0;
    const session = (await store.get(id))!;
    const user = session.user as Record<string, unknown>;
    expect(user).toEqual({ name: 'ada' });
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype);
    expect(Object.hasOwn(user, 'constructor')).toBe(false);
    expect(Object.getPrototypeOf(session)).toBe(Object.prototype);
    expect((session as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(({} as { isAdmin?: unknown; polluted?: unknown }).isAdmin).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf((session.list as object[])[0])).toBe(Object.prototype);
    expect(errors.map((e) => e.code)).toEqual(['LBKIT_SESSION_KEY_UNSAFE']);
  });

  it('drops __proto__ and constructor keys spelled with JSON escapes too', async () => {
    const id = newId();
    await client.hset(`sess:{${id}}`, {
      cookie: '{"path":"/"}',
      '.user': '{"name":"ada","\\u005f_proto__":{"isAdmin":true},"constructo\\u0072":{"prototype":{"x":1}}}',
    });
    errors.length = 0;
    const user = (await store.get(id))!.user as Record<string, unknown>;
    expect(user).toEqual({ name: 'ada' });
    expect(Object.hasOwn(user, '__proto__')).toBe(false);
    expect(Object.hasOwn(user, 'constructor')).toBe(false);
    expect(errors.map((e) => e.code)).toEqual(['LBKIT_SESSION_KEY_UNSAFE']);
  });

  it('refuses to write or read a session larger than maxSessionBytes', async () => {
    const small = new RedisSessionStore({ client, maxSessionBytes: 1000 });
    const smallErrors: string[] = [];
    small.on('error', (e) => smallErrors.push(e.code));
    const id = newId();
    await expect(small.set(id, sessionWith({ blob: 'x'.repeat(2000) }))).rejects.toMatchObject({
      code: 'LBKIT_SESSION_DATA_TOO_LARGE',
      statusCode: 413,
    });
    expect(await client.exists(`sess:{${id}}`)).toBe(0);
    await store.set(id, sessionWith({ blob: 'x'.repeat(2000) }));
    expect(await small.get(id)).toBeNull();
    expect(smallErrors).toEqual(['LBKIT_SESSION_DATA_TOO_LARGE']);
    small.close();
  });

  it('rejects misconfiguration at construction with a stable code', () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'LBKIT_SESSION_CLIENT_REQUIRED'],
      [{ client: { sendCommand() {}, isOpen: true } }, 'LBKIT_SESSION_CLIENT_REQUIRED'],
      [{ client, prefix: 'a{b' }, 'LBKIT_SESSION_PREFIX_INVALID'],
      [{ client, ttl: -1 }, 'LBKIT_SESSION_OPTION_INVALID'],
      [{ client, commandTimeoutMs: 0 }, 'LBKIT_SESSION_OPTION_INVALID'],
      [{ client, failMode: 'sometimes' }, 'LBKIT_SESSION_OPTION_INVALID'],
      [{ client, sessionIdPattern: /a/g }, 'LBKIT_SESSION_OPTION_INVALID'],
      [{ client, sessionIdLength: 0 }, 'LBKIT_SESSION_OPTION_INVALID'],
      [{ client, encryption: { keys: [] } }, 'LBKIT_SESSION_KEY_INVALID'],
      [{ client, encryption: { keys: ['a passphrase'] } }, 'LBKIT_SESSION_KEY_INVALID'],
      [{ client, disableTTL: true }, 'LBKIT_SESSION_EXPIRY_MISSING'],
    ];
    for (const [options, code] of cases) {
      expect(() => new RedisSessionStore(options as never), code).toThrow(expect.objectContaining({ code }));
    }
  });
});
