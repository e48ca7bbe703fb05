// Migrating from connect-redis: with legacyPrefix, sessions connect-redis wrote keep working and move to the new layout.
import { RedisSessionStore } from '@lbkit/session-redis';
import { RedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { Browser, expressFramework, type RunningApp } from './harness.js';

describe.runIf(hasRedis())('switching from connect-redis 9', () => {
  let redis: PrivateRedis;
  let nodeRedis: ReturnType<typeof createClient>;
  let client: Redis;
  let before: RunningApp;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    nodeRedis = createClient({ url: redis.url });
    await nodeRedis.connect();
    client = new Redis(redis.port, redis.host, { commandTimeout: 1000, maxRetriesPerRequest: 1 });
    before = await expressFramework.start(new RedisStore({ client: nodeRedis }));
    apps.push(before);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await nodeRedis.quit();
    client.disconnect();
    await redis.close();
  });

  async function afterSwitch(legacyPrefix?: string): Promise<RunningApp> {
    const app = await expressFramework.start(new RedisSessionStore({ client, legacyPrefix }));
    apps.push(app);
    return app;
  }

  it('reads a connect-redis session, then moves it to the lbkit layout on its next save', async () => {
    const browser = new Browser(before);
    await browser.post('/write/user', 'ada');
    const id = browser.sessionId;
    expect(await client.type(`sess:${id}`)).toBe('string');

    const switched = browser.clone(await afterSwitch('sess:'));
    expect((await switched.get('/read')).body.data).toEqual({ user: 'ada' });
    await switched.post('/write/cart', [1, 2]);
    expect(await client.exists(`sess:${id}`)).toBe(0);
    expect(await client.hget(`sess:{${id}}`, '.user')).toBe('"ada"');
    expect((await switched.get('/read')).body.data).toEqual({ user: 'ada', cart: [1, 2] });
    expect(await client.pttl(`sess:{${id}}`)).toBeGreaterThan(0);
  });

  it('destroys the connect-redis copy too when a legacy session logs out', async () => {
    const browser = new Browser(before);
    await browser.post('/write/user', 'bob');
    const id = browser.sessionId;
    const switched = browser.clone(await afterSwitch('sess:'));
    expect((await switched.post('/destroy')).status).toBe(200);
    expect(await client.exists(`sess:${id}`)).toBe(0);
    expect(await client.exists(`sess:{${id}}`)).toBe(0);
  });

  it('does not see connect-redis sessions without legacyPrefix', async () => {
    const browser = new Browser(before);
    await browser.post('/write/user', 'eve');
    const switched = browser.clone(await afterSwitch());
    expect((await switched.get('/read')).body.data).toEqual({});
  });
});
