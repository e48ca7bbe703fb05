// Issue #19 on Redis Cluster (3 masters, 3 replicas): two Express demos under keep-alive session writes while a master is killed; no acknowledged write is lost, nothing answers 500.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDemos, type DemoProcess, startDemoProcess } from '../helpers/demo-process.js';
import { hasRedisCluster, type PrivateRedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { SessionWriteLoad } from './session-failover-load.js';
import { killClusterMaster } from './session-failover-scenarios.js';

describe.runIf(hasRedisCluster())('sessions through a Redis Cluster failover (3 masters, 3 replicas)', () => {
  let cluster: PrivateRedisCluster | undefined;
  let demos: DemoProcess[] = [];

  beforeAll(() => buildDemos(), 120_000);

  afterEach(async () => {
    await Promise.all(demos.map((d) => d.stop()));
    demos = [];
    await cluster?.close();
    cluster = undefined;
  });

  it('a master is killed: every acknowledged write is read back, errors are 503 only', async () => {
    const started = await startRedisCluster(3, 1);
    cluster = started;
    const nodes = started.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    for (const instance of ['a', 'b']) {
      demos.push(
        await startDemoProcess('express', { INSTANCE_ID: `cluster-${instance}`, REDIS_CLUSTER_NODES: nodes }),
      );
    }
    const load = new SessionWriteLoad(demos.map((d) => d.url));
    load.start();
    await sleep(3000);
    expect(load.report().acknowledged, JSON.stringify(load.report().causes)).toBeGreaterThan(20);
    await killClusterMaster('cluster-kill', started, load);
  }, 90_000);
});
