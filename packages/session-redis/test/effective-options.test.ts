// The store's effective options are readable, as connect-redis's store exposes them.
import { RedisSessionStore } from '@lbkit/session-redis';
import { describe, expect, it } from 'vitest';
import { hasRedis } from '../../../test/helpers/redis.js';
import { useRedis } from './harness.js';

describe.runIf(hasRedis())('effective options', () => {
  const fixture = useRedis();

  it("reads connect-redis's defaults when no option is given", () => {
    const client = fixture.client();
    const store = new RedisSessionStore({ client });
    store.close();
    expect(store.client).toBe(client);
    expect(store.prefix).toBe('sess:');
    expect(store.ttl).toBe(86_400);
    expect(store.scanCount).toBe(100);
    expect(store.disableTTL).toBe(false);
    expect(store.disableTouch).toBe(false);
    expect(store.rejectDestroyedWrites).toBe(false);
    expect(store.serializer.parse(String(store.serializer.stringify({ a: 1 })))).toEqual({ a: 1 });
  });

  it('reads each option as it was given', () => {
    const ttl = (): number => 60;
    const serializer = { parse: JSON.parse, stringify: JSON.stringify };
    const store = fixture.store({
      prefix: 'app:',
      ttl,
      scanCount: 500,
      serializer,
      disableTouch: true,
      disableTTL: true,
      maxLifetimeMs: 60_000,
      rejectDestroyedWrites: true,
    });
    expect(store.prefix).toBe('app:');
    expect(store.ttl).toBe(ttl);
    expect(store.scanCount).toBe(500);
    expect(store.serializer).toBe(serializer);
    expect(store.disableTouch).toBe(true);
    expect(store.disableTTL).toBe(true);
    expect(store.rejectDestroyedWrites).toBe(true);
    expect(fixture.store({ ttl: 30 }).ttl).toBe(30);
  });
});
