// detectRedisClient(): every supported driver's clients recognised by what they are, look-alikes refused.
import { detectRedisClient } from '@lbkit/core/internal';
import { Redis as Ioredis, Cluster as IoredisCluster } from 'ioredis';
import { Redis as Iovalkey, Cluster as IovalkeyCluster } from 'iovalkey';
import { createClient, createCluster, createSentinel } from 'redis';
import { createClient as createClient4, createCluster as createCluster4 } from 'redis4';
import { describe, expect, it } from 'vitest';

// Nothing here connects: lazyConnect, and node-redis clients connect only on connect().
const NODE = { host: '127.0.0.1', port: 1 };

describe('detectRedisClient', () => {
  it.each([
    ['ioredis', Ioredis, IoredisCluster],
    ['iovalkey', Iovalkey, IovalkeyCluster],
  ] as const)(
    'recognises %s Redis, Sentinel-managed Redis and Cluster as the ioredis API',
    (_name, Redis, Cluster) => {
      const single = new Redis({ ...NODE, lazyConnect: true });
      const sentinel = new Redis({ sentinels: [NODE], name: 'mymaster', lazyConnect: true });
      const cluster = new Cluster([NODE], { lazyConnect: true });
      try {
        expect(detectRedisClient(single)).toEqual({ driver: 'ioredis', topology: 'single' });
        expect(detectRedisClient(sentinel)).toEqual({ driver: 'ioredis', topology: 'single' });
        expect(detectRedisClient(cluster)).toEqual({ driver: 'ioredis', topology: 'cluster' });
      } finally {
        single.disconnect();
        sentinel.disconnect();
        cluster.disconnect();
      }
    },
  );

  it('recognises node-redis 5 clients, clusters and sentinels', () => {
    expect(detectRedisClient(createClient())).toEqual({ driver: 'node-redis', topology: 'single' });
    expect(detectRedisClient(createCluster({ rootNodes: [{ socket: NODE }] }))).toEqual({
      driver: 'node-redis',
      topology: 'cluster',
    });
    expect(detectRedisClient(createSentinel({ name: 'mymaster', sentinelRootNodes: [NODE] }))).toEqual({
      driver: 'node-redis',
      topology: 'sentinel',
    });
  });

  it('recognises node-redis 4 clients and clusters', () => {
    expect(detectRedisClient(createClient4())).toEqual({ driver: 'node-redis', topology: 'single' });
    expect(detectRedisClient(createCluster4({ rootNodes: [{ socket: NODE }] }))).toEqual({
      driver: 'node-redis',
      topology: 'cluster',
    });
  });

  it('refuses objects that only copy a driver’s method and field names, and non-objects', () => {
    const ioredisShaped = {
      isCluster: false,
      status: 'ready',
      evalsha: async () => 1,
      ping: async () => 'PONG',
    };
    const nodeRedisShaped = {
      isOpen: true,
      isReady: true,
      sendCommand: async () => 'OK',
      on() {},
      off() {},
    };
    for (const value of [
      ioredisShaped,
      nodeRedisShaped,
      {},
      null,
      undefined,
      'redis://127.0.0.1:6379',
      6379,
    ]) {
      expect(detectRedisClient(value)).toBeUndefined();
    }
  });
});
