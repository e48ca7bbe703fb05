// Issue #19 on Redis Cluster (3 masters, 3 replicas): two Express demos under keep-alive session writes while a master is killed; no acknowledged write is lost, nothing answers 500.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDemos, type DemoProcess, startDemoProcess } from '../helpers/demo-process.js';
import { hasRedisCluster, type PrivateRedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { recordRun, SessionWriteLoad, until } from './session-failover-load.js';

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
    const victim = (await started.masterPorts())[0]!;
    const survivor = started.servers.find((s) => s.port !== victim)!;
    const faultAt = Date.now();
    await started.servers.find((s) => s.port === victim)!.kill();
    // Over once a replica took the killed master's slots: three masters again, none of them it.
    const switchedAt = await until('a replica to take over the slots', 30_000, async () => {
      const masters = await started.masterPorts(survivor.port);
      return masters.length === 3 && !masters.includes(victim);
    });
    await until('writes to succeed again', 15_000, async () => load.acknowledgedSince(Date.now() - 100));
    await sleep(2000);
    const report = await load.stop();
    const readBack = await load.readBack();
    recordRun('cluster-kill', {
      acknowledged: report.acknowledged,
      lost: readBack.lost,
      statuses: report.statuses,
      failoverMs: switchedAt - faultAt,
      recoveryMs: report.lastStoreErrorAt === undefined ? 0 : report.lastStoreErrorAt - faultAt,
      causes: report.causes,
      longestGapMs: report.longestGapMs,
    });
    expect(readBack.lost, 'acknowledged writes lost').toBe(0);
    expect(readBack.checked).toBe(report.acknowledged);
    const failed = Object.entries(report.statuses).filter(([status]) => status !== '200' && status !== '503');
    expect(Object.fromEntries(failed), 'answers other than 200 and 503').toEqual({});
    expect((report.lastStoreErrorAt ?? switchedAt) - switchedAt).toBeLessThan(10_000);
  }, 90_000);
});
