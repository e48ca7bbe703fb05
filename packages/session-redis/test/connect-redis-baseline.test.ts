// The same overlapping-request scenarios against connect-redis 9 (node-redis client): it loses writes and resurrects sessions.
import { RedisSessionStore } from '@lbkit/session-redis';
import { RedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { Browser, expressFramework, type RunningApp } from './harness.js';
import { differentKeysOverlap, logoutDuringSlowRequest } from './scenarios.js';

describe.runIf(hasRedis())('connect-redis 9.0.0 beside RedisSessionStore, behind express-session', () => {
  let redis: PrivateRedis;
  let nodeRedis: ReturnType<typeof createClient>;
  let ioredis: Redis;
  let inspect: Redis;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    nodeRedis = createClient({ url: redis.url });
    await nodeRedis.connect();
    ioredis = new Redis(redis.port, redis.host, { commandTimeout: 1000, maxRetriesPerRequest: 1 });
    inspect = new Redis(redis.port, redis.host);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await nodeRedis.quit();
    ioredis.disconnect();
    inspect.disconnect();
    await redis.close();
  });

  async function app(kind: 'connect-redis' | 'lbkit'): Promise<RunningApp> {
    const store =
      kind === 'connect-redis'
        ? new RedisStore({ client: nodeRedis, prefix: 'cr:' })
        : new RedisSessionStore({ client: ioredis });
    const started = await expressFramework.start(store);
    apps.push(started);
    return started;
  }

  it('connect-redis loses the change of the faster of two overlapping requests; lbkit keeps both', async () => {
    const lost = await differentKeysOverlap(new Browser(await app('connect-redis')));
    // The slow request saved the whole session it read, overwriting `b`.
    expect(lost).toEqual({ seed: 0, a: 1 });

    const kept = await differentKeysOverlap(new Browser(await app('lbkit')));
    expect(kept).toEqual({ seed: 0, a: 1, b: 2 });
  });

  it('connect-redis lets a slow request resurrect a logged-out session; lbkit keeps it gone', async () => {
    const resurrected = await logoutDuringSlowRequest(new Browser(await app('connect-redis')));
    expect(resurrected.data).toEqual({ user: 'ada', y: 'late' });
    expect(await inspect.exists(`cr:${resurrected.oldId}`)).toBe(1);

    const gone = await logoutDuringSlowRequest(new Browser(await app('lbkit')));
    expect(gone.data).toEqual({});
    expect(await inspect.exists(`sess:{${gone.oldId}}`)).toBe(0);
  });
});
