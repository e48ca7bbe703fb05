// Values at rest: AES-256-GCM with key rotation and id binding, compression above a threshold, custom serializers.
import { randomBytes } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { newId, sessionWith } from './harness.js';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('hex');

describe.runIf(hasRedis())('values at rest', () => {
  let redis: PrivateRedis;
  let client: Redis;
  const stores: RedisSessionStore[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.port, redis.host, { commandTimeout: 1000, maxRetriesPerRequest: 1 });
    client.setMaxListeners(50);
  });

  afterAll(async () => {
    for (const store of stores) store.close();
    client.disconnect();
    await redis.close();
  });

  function store(options: Omit<ConstructorParameters<typeof RedisSessionStore>[0], 'client'>) {
    const created = new RedisSessionStore({ client, ...options });
    const codes: string[] = [];
    created.on('error', (error) => codes.push(error.code));
    stores.push(created);
    return Object.assign(created, { codes });
  }

  it('encrypts every value with AES-256-GCM: no plaintext reaches Redis', async () => {
    const sessions = store({ encryption: { keys: [k1] } });
    const id = newId();
    await sessions.set(id, sessionWith({ secret: 'hunter2', card: { number: '4111111111111111' } }));
    const raw = await client.hgetall(`sess:{${id}}`);
    expect(raw['.secret']!.startsWith('\u0001e')).toBe(true);
    expect(JSON.stringify(raw)).not.toContain('hunter2');
    expect(JSON.stringify(raw)).not.toContain('4111111111111111');
    expect(await sessions.get(id)).toMatchObject({ secret: 'hunter2', card: { number: '4111111111111111' } });
  });

  it('rotates keys: the first key encrypts, every listed key decrypts, a dropped key no longer does', async () => {
    const before = store({ encryption: { keys: [k1] } });
    const during = store({ encryption: { keys: [k2, k1] } });
    const after = store({ encryption: { keys: [k2] } });
    const old = newId();
    const fresh = newId();
    await before.set(old, sessionWith({ v: 'old' }));
    expect((await during.get(old))?.v).toBe('old');
    await during.set(fresh, sessionWith({ v: 'new' }));
    expect((await after.get(fresh))?.v).toBe('new');
    expect(await after.get(old)).toBeNull();
    expect(after.codes).toEqual(['LBKIT_SESSION_DECRYPT_FAILED']);
  });

  it('binds each value to its session id and key name: a moved or tampered value does not open', async () => {
    const sessions = store({ encryption: { keys: [k1] } });
    const victim = newId();
    const attacker = newId();
    await sessions.set(victim, sessionWith({ role: 'admin' }));
    await sessions.set(attacker, sessionWith({ role: 'guest', note: 'x' }));
    const stolen = await client.hget(`sess:{${victim}}`, '.role');
    await client.hset(`sess:{${attacker}}`, '.role', stolen!);
    expect(await sessions.get(attacker)).toBeNull();
    await client.hset(`sess:{${victim}}`, '.other', stolen!);
    expect(await sessions.get(victim)).toBeNull();

    const tampered = newId();
    await sessions.set(tampered, sessionWith({ role: 'guest' }));
    const value = (await client.hget(`sess:{${tampered}}`, '.role'))!;
    const flipped = value.slice(0, -4) + (value.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA');
    await client.hset(`sess:{${tampered}}`, '.role', flipped);
    expect(await sessions.get(tampered)).toBeNull();
    // Plaintext injected by someone with access to Redis is refused too.
    await client.hset(`sess:{${tampered}}`, '.role', '"admin"');
    expect(await sessions.get(tampered)).toBeNull();
    expect(sessions.codes).toEqual([
      'LBKIT_SESSION_DECRYPT_FAILED',
      'LBKIT_SESSION_DECRYPT_FAILED',
      'LBKIT_SESSION_DECRYPT_FAILED',
      'LBKIT_SESSION_DECRYPT_FAILED',
    ]);
  });

  it('detects strict-mode conflicts on encrypted values', async () => {
    const sessions = store({ encryption: { keys: [k1] }, strict: true });
    const id = newId();
    await sessions.set(id, sessionWith({ x: 0 }));
    const a = (await sessions.get(id))!;
    const b = (await sessions.get(id))!;
    a.x = 1;
    b.x = 2;
    await sessions.set(id, a);
    await expect(sessions.set(id, b)).rejects.toMatchObject({
      code: 'LBKIT_SESSION_WRITE_CONFLICT',
      keys: ['x'],
    });
  });

  it.each(['brotli', 'deflate'] as const)(
    'compresses values from the threshold on with %s',
    async (algorithm) => {
      const sessions = store({ compression: { thresholdBytes: 200, algorithm } });
      const id = newId();
      const big = Array.from({ length: 200 }, (_, i) => ({ item: i % 10, label: 'repeated label' }));
      await sessions.set(id, sessionWith({ big, small: 'tiny' }));
      const raw = await client.hgetall(`sess:{${id}}`);
      expect(raw['.small']).toBe('"tiny"');
      expect(raw['.big']!.startsWith(`\u0001${algorithm === 'brotli' ? 'b' : 'd'}`)).toBe(true);
      expect(raw['.big']!.length).toBeLessThan(JSON.stringify(big).length / 5);
      expect(await sessions.get(id)).toMatchObject({ big, small: 'tiny' });
    },
  );

  it('compresses, then encrypts, when both are on', async () => {
    const sessions = store({ compression: true, encryption: { keys: [k1] } });
    const id = newId();
    const big = 'abc'.repeat(2000);
    await sessions.set(id, sessionWith({ big }));
    const raw = await client.hget(`sess:{${id}}`, '.big');
    expect(raw!.length).toBeLessThan(1000);
    expect((await sessions.get(id))?.big).toBe(big);
  });

  it('bounds decompression by maxSessionBytes (a compression bomb reads as no session)', async () => {
    const sessions = store({ compression: true, maxSessionBytes: 64 * 1024 });
    const id = newId();
    const bomb = brotliCompressSync(Buffer.alloc(8 * 1024 * 1024, 0x20)).toString('base64');
    await client.hset(`sess:{${id}}`, { cookie: '{}', '.a': `\u0001b${bomb}` });
    expect(await sessions.get(id)).toBeNull();
    expect(sessions.codes).toEqual(['LBKIT_SESSION_DATA_CORRUPT']);
  });

  it('applies a custom serializer per top-level key, including an async parse', async () => {
    const sessions = store({
      serializer: {
        stringify: (value) => `v1:${JSON.stringify(value)}`,
        parse: async (text) => JSON.parse(text.slice(3)),
      },
    });
    const id = newId();
    await sessions.set(id, sessionWith({ a: { b: 1 }, c: 'd' }));
    expect(await client.hget(`sess:{${id}}`, '.c')).toBe('v1:"d"');
    expect(await sessions.get(id)).toMatchObject({ a: { b: 1 }, c: 'd' });
  });
});
