// redisCheck against a private redis-server: ioredis and node-redis v5, passing, stopped and restarted.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { createHealth, type Health, type HealthStatus, redisCheck } from '@lbkit/health';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
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

describe.runIf(hasRedis())('redisCheck with a real redis-server', () => {
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('ioredis: passes with the round trip, fails while the server is stopped, passes after restart', async () => {
    const client = new Redis(redis.url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
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

  it('ioredis: a lazyConnect client is connected by the first check', async () => {
    const client = new Redis(redis.url, { lazyConnect: true });
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

  it('ioredis: a client that was quit fails at once instead of waiting for its timeout', async () => {
    const client = new Redis(redis.url);
    await client.quit();
    if (client.status !== 'end') await once(client, 'end');
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    // A timeout far beyond the test's: a queued PING would have made this test time out.
    const health = createHealth({ lifecycle, checks: [redisCheck(client, { timeoutMs: 60_000 })] });
    const report = await health.report('readiness');
    expect(report.status).toBe('fail');
    expect(report.checks?.['redis:responseTime']?.[0]?.output).toBe('redis connection is end');
    await health.close();
  });

  it('node-redis: passes, fails while the server is stopped, passes after restart', async () => {
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
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
      client.destroy();
    }
  });

  it('node-redis: a closed client fails with its state', async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    client.destroy();
    const health = healthFor(client);
    const report = await health.report('readiness');
    expect(report.checks?.['redis:responseTime']?.[0]).toMatchObject({
      status: 'fail',
      output: 'redis client is closed',
    });
    await health.close();
  });

  it('recognises ioredis Cluster and node-redis cluster clients without connecting them', () => {
    const ioCluster = new Cluster([{ host: '127.0.0.1', port: redis.port }], { lazyConnect: true });
    const nodeCluster = createCluster({ rootNodes: [{ url: redis.url }] });
    expect(redisCheck(ioCluster).name).toBe('redis:responseTime');
    expect(redisCheck(nodeCluster, { name: 'cache:ping' }).name).toBe('cache:ping');
    ioCluster.disconnect();
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
