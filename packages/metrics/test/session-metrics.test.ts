// Session store metrics against a real RedisSessionStore on a private redis-server.

import { Lifecycle } from '@lbkit/core';
import { createMetrics } from '@lbkit/metrics';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { parseSamples, sampleValue } from './scrape.js';

const ID = 'abcdefghijklmnopqrstuvwxyz012345';
const session = (data: Record<string, unknown>) => ({
  cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString() },
  ...data,
});

describe.runIf(hasRedis())('createMetrics: session store', () => {
  let redis: PrivateRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(async () => {
    client.disconnect();
    await redis.close();
  });

  it('times operations by outcome, counts errors once by code and follows availability', async () => {
    const registry = new Registry();
    const store = new RedisSessionStore({ client, strict: true, commandTimeoutMs: 500 });
    const metrics = createMetrics({ registry, lifecycle: new Lifecycle(), sessionStore: store });
    try {
      await store.set(ID, session({ n: 1 }));
      const first = (await store.get(ID))!;
      const second = (await store.get(ID))!;
      first.n = 2;
      await store.set(ID, first);
      second.n = 3;
      // Strict mode: reported on the error event and thrown: one error, not two.
      await expect(store.set(ID, second)).rejects.toMatchObject({ code: 'LBKIT_SESSION_WRITE_CONFLICT' });
      let samples = parseSamples(await registry.metrics());
      const count = (operation: string, outcome: string) =>
        sampleValue(samples, 'lbkit_session_store_operation_duration_seconds_count', { operation, outcome });
      expect(count('set', 'ok')).toBe(2);
      expect(count('get', 'ok')).toBe(2);
      expect(count('set', 'error')).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_session_store_errors_total', { code: 'LBKIT_SESSION_WRITE_CONFLICT' }),
      ).toBe(1);
      expect(sampleValue(samples, 'lbkit_session_store_available')).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_session_store_operation_duration_seconds_sum', {
          operation: 'get',
          outcome: 'ok',
        }),
      ).toBeGreaterThan(0);

      await redis.kill();
      await expect(store.get(ID)).rejects.toMatchObject({ code: expect.stringMatching(/^LBKIT_SESSION_/) });
      samples = parseSamples(await registry.metrics());
      expect(count('get', 'error')).toBe(1);
      expect(sampleValue(samples, 'lbkit_session_store_available')).toBe(0);
      const outage = samples.filter((s) => s.name === 'lbkit_session_store_errors_total' && s.value > 0);
      const codes = outage.map((s) => s.labels.code ?? '');
      expect(codes).toHaveLength(2);
      expect(codes).toContain('LBKIT_SESSION_WRITE_CONFLICT');
      expect(codes.some((c) => /^LBKIT_SESSION_REDIS_(UNAVAILABLE|TIMEOUT)$/.test(c))).toBe(true);
    } finally {
      metrics.close();
      store.close();
      await redis.start();
    }
    // close() detaches: the store has no metrics listener left.
    expect(store.listenerCount('operation')).toBe(0);
  });
});
