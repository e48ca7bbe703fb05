// Through Redis Sentinel (ioredis and iovalkey): sessions survive a master failover; requests during it fail within the timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis, type RedisOptions } from 'ioredis';
import { Redis as Valkey } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { type PrivateSentinel, startRedisSentinel } from '../../../test/helpers/redis-sentinel.js';
import { Browser, expressFramework, type RunningApp } from './harness.js';

/** ioredis's Redis and iovalkey's, both managed through Sentinel (the same API under other class types). */
const drivers = [
  ['ioredis', (options: RedisOptions) => new Redis(options)],
  ['iovalkey', (options: RedisOptions) => new Valkey(options as never) as unknown as Redis],
] as const;

describe.runIf(hasRedis()).each(drivers)(
  'RedisSessionStore through Redis Sentinel (%s)',
  (_driver, connect) => {
    let master: PrivateRedis;
    let replica: PrivateRedis;
    let sentinel: PrivateSentinel;
    let client: Redis;
    let app: RunningApp;

    beforeAll(async () => {
      master = await startRedis();
      replica = await startRedis({ args: ['--replicaof', master.host, String(master.port)] });
      // The replica's first full sync can take seconds on a loaded machine; until its link is up,
      // WAIT below would count no replica and the failover would have nothing to promote.
      const probe = new Redis(replica.port, replica.host);
      try {
        const deadline = Date.now() + 20_000;
        while (
          !(await probe.info('replication')).includes('master_link_status:up') &&
          Date.now() < deadline
        ) {
          await sleep(100);
        }
      } finally {
        probe.disconnect();
      }
      sentinel = await startRedisSentinel(master.port, { downAfterMs: 1000 });
      client = connect({
        sentinels: [{ host: sentinel.host, port: sentinel.port }],
        name: sentinel.name,
        failoverDetector: true,
        commandTimeout: 500,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 100,
        sentinelRetryStrategy: () => 100,
      });
      client.on('error', () => {});
      app = await expressFramework.start(new RedisSessionStore({ client, commandTimeoutMs: 500 }));
    });

    afterAll(async () => {
      await app?.close();
      client?.disconnect();
      await sentinel?.close();
      await replica?.close();
      await master?.close();
    });

    it('serves sessions from the master Sentinel names, and again from the promoted replica after a failover', async () => {
      const browser = new Browser(app);
      expect((await browser.post('/write/user', 'ada')).status).toBe(200);
      expect((await browser.get('/read')).body.data).toEqual({ user: 'ada' });
      // Redis replicates asynchronously; WAIT makes "acknowledged by the replica" explicit before the crash.
      const direct = new Redis(master.port, master.host);
      try {
        expect(await direct.call('WAIT', '1', '10000')).toBe(1);
      } finally {
        direct.disconnect();
      }

      await master.kill();
      const during = await browser.get('/read');
      expect([200, 503]).toContain(during.status);

      const deadline = Date.now() + 20_000;
      let answer = await browser.get('/read');
      while (answer.status !== 200 && Date.now() < deadline) {
        await sleep(200);
        answer = await browser.get('/read');
      }
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ user: 'ada' });
      expect((await browser.post('/write/after', 'failover')).status).toBe(200);
      expect((await browser.get('/read')).body.data).toEqual({ user: 'ada', after: 'failover' });
      const role = (await client.call('ROLE')) as unknown[];
      expect(role[0]).toBe('master');
      expect(Number(((await client.config('GET', 'port')) as string[])[1])).toBe(replica.port);
    });
  },
);
