// redisCheck against a private redis-server: ioredis, iovalkey, node-redis 5 and 4, passing, stopped and restarted.
import { type EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { createHealth, type Health, type HealthStatus, redisCheck } from '@lbkit/health';
import { Cluster, Redis } from 'ioredis';
import { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey';
import { createClient, createCluster, createSentinel } from 'redis';
import { createClient as createClient4, createCluster as createCluster4 } from 'redis4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';

/** Polls `read` until it returns `want` (or fails after `timeoutMs`). */
async function eventually<T>(read: () => Promise<T>, want: T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (last !== want && Date.now() < deadline) {
    await sleep(50);
    last = await read();
  }
  return last;
}

function healthFor(client: object, kind?: 'ioredis' | 'node-redis'): Health {
  const lifecycle = new Lifecycle();
  lifecycle.markReady();
  return createHealth({ lifecycle, cacheMs: 0, checks: [redisCheck(client, { kind, timeoutMs: 500 })] });
}

async function statusOf(health: Health): Promise<HealthStatus> {
  return (await health.report('readiness', { detailed: false })).status;
}

/** What these tests do with an ioredis-API client (ioredis or iovalkey). */
interface IoredisApiClient {
  readonly status: string;
  on(event: 'error', listener: () => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** The options these tests give an ioredis-API client. */
interface ClientOptions {
  retryStrategy?: () => number;
  maxRetriesPerRequest?: number;
  lazyConnect?: boolean;
}

/** ioredis and its Valkey fork: the same API, each tested against the same server. */
const ioredisDrivers: ReadonlyArray<
  readonly [string, (url: string, options?: ClientOptions) => IoredisApiClient]
> = [
  ['ioredis', (url, options = {}) => new Redis(url, options)],
  ['iovalkey', (url, options = {}) => new Valkey(url, options)],
];

/** What these tests do with a node-redis client (v5 or v4). */
interface NodeRedisApiClient {
  on(event: 'error', listener: () => void): unknown;
  connect(): Promise<unknown>;
  ping(): Promise<unknown>;
}

/** node-redis 5 and 4 (the `redis4` alias), with each one's way to drop a client at once. */
const nodeRedisDrivers: ReadonlyArray<
  readonly [
    string,
    (options: { url: string; socket?: { reconnectStrategy: () => number } }) => NodeRedisApiClient,
    (client: NodeRedisApiClient) => void,
  ]
> = [
  [
    'node-redis 5',
    (options) => createClient(options),
    (client) => (client as ReturnType<typeof createClient>).destroy(),
  ],
  [
    'node-redis 4',
    (options) => createClient4(options),
    (client) => void (client as ReturnType<typeof createClient4>).disconnect(),
  ],
];

describe.runIf(hasRedis())('redisCheck with a real redis-server', () => {
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  describe.each(ioredisDrivers)('%s', (_name, connect) => {
    it('passes with the round trip, fails while the server is stopped, passes after restart', async () => {
      const client = connect(redis.url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      const health = healthFor(client);
      try {
        const report = await health.report('readiness');
        expect(report.status).toBe('pass');
        expect(report.checks?.['redis:responseTime']?.[0]).toMatchObject({
          componentType: 'datastore',
          observedUnit: 'ms',
          status: 'pass',
        });
        expect(typeof report.checks?.['redis:responseTime']?.[0]?.observedValue).toBe('number');

        await redis.stop();
        expect(await eventually(() => statusOf(health), 'fail')).toBe('fail');
        expect((await health.report('readiness')).checks?.['redis:responseTime']?.[0]?.output).toMatch(
          /redis connection is reconnecting|ECONNREFUSED|Connection is closed|timed out/,
        );

        await redis.start();
        expect(await eventually(() => statusOf(health), 'pass')).toBe('pass');
      } finally {
        await health.close();
        client.disconnect();
      }
    });

    it('a lazyConnect client is connected by the first check', async () => {
      const client = connect(redis.url, { lazyConnect: true });
      const health = healthFor(client);
      try {
        expect(client.status).toBe('wait');
        expect(await statusOf(health)).toBe('pass');
        expect(client.status).toBe('ready');
      } finally {
        await health.close();
        client.disconnect();
      }
    });

    it('a client that was quit fails at once instead of waiting for its timeout', async () => {
      const client = connect(redis.url);
      await client.quit();
      if (client.status !== 'end') await once(client as unknown as EventEmitter, 'end');
      const lifecycle = new Lifecycle();
      lifecycle.markReady();
      // A timeout far beyond the test's: a queued PING would have made this test time out.
      const health = createHealth({ lifecycle, checks: [redisCheck(client, { timeoutMs: 60_000 })] });
      const report = await health.report('readiness');
      expect(report.status).toBe('fail');
      expect(report.checks?.['redis:responseTime']?.[0]?.output).toBe('redis connection is end');
      await health.close();
    });
  });

  describe.each(nodeRedisDrivers)('%s', (_name, create, destroy) => {
    it('passes, fails while the server is stopped, passes after restart', async () => {
      const client = create({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
      client.on('error', () => {});
      await client.connect();
      const health = healthFor(client);
      try {
        expect(await statusOf(health)).toBe('pass');
        await redis.stop();
        expect(await eventually(() => statusOf(health), 'fail')).toBe('fail');
        await redis.start();
        expect(await eventually(() => statusOf(health), 'pass')).toBe('pass');
      } finally {
        await health.close();
        destroy(client);
      }
    });

    it('a closed client fails with its state', async () => {
      const client = create({ url: redis.url });
      await client.connect();
      destroy(client);
      const health = healthFor(client);
      const report = await health.report('readiness');
      expect(report.checks?.['redis:responseTime']?.[0]).toMatchObject({
        status: 'fail',
        output: 'redis client is closed',
      });
      await health.close();
    });
  });

  it('recognises ioredis, iovalkey and node-redis 5 cluster clients without connecting them', () => {
    const node = { host: '127.0.0.1', port: redis.port };
    const ioCluster = new Cluster([node], { lazyConnect: true });
    const valkeyCluster = new ValkeyCluster([node], { lazyConnect: true });
    expect(redisCheck(ioCluster).name).toBe('redis:responseTime');
    expect(redisCheck(valkeyCluster).name).toBe('redis:responseTime');
    expect(redisCheck(createCluster({ rootNodes: [{ url: redis.url }] }), { name: 'cache:ping' }).name).toBe(
      'cache:ping',
    );
    ioCluster.disconnect();
    valkeyCluster.disconnect();
  });

  it('refuses the node-redis 4 Cluster (it has no PING) and node-redis 5 Sentinel clients with LBKIT_HEALTH_CLIENT_UNRECOGNIZED', () => {
    const sentinel = createSentinel({
      name: 'mymaster',
      sentinelRootNodes: [{ host: redis.host, port: redis.port }],
    });
    for (const client of [createCluster4({ rootNodes: [{ url: redis.url }] }), sentinel]) {
      expect(() => redisCheck(client)).toThrow(
        expect.objectContaining({ code: 'LBKIT_HEALTH_CLIENT_UNRECOGNIZED' }),
      );
    }
  });

  it('refuses a look-alike of an ioredis client with LBKIT_HEALTH_CLIENT_UNRECOGNIZED', () => {
    const lookalike = { isCluster: false, status: 'ready', ping: async () => 'PONG' };
    expect(() => redisCheck(lookalike)).toThrow(
      expect.objectContaining({ code: 'LBKIT_HEALTH_CLIENT_UNRECOGNIZED' }),
    );
  });

  it('uses kind to skip detection for a wrapped client', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    const wrapped = { isOpen: true, isReady: true, ping: () => client.ping() };
    const health = healthFor(wrapped, 'node-redis');
    expect(await statusOf(health)).toBe('pass');
    await health.close();
    client.destroy();
  });
});
