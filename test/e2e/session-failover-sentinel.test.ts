// Issue #19 through Sentinel: two Express demos under keep-alive session writes while the master is killed, or frozen past down-after and resumed; no acknowledged write is lost, nothing answers 500.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDemos, type DemoProcess, startDemoProcess } from '../helpers/demo-process.js';
import { hasRedis } from '../helpers/redis.js';
import { type PrivateSentinelGroup, startSentinelGroup } from '../helpers/redis-sentinel.js';
import {
  type LoadReport,
  type ReadBack,
  recordRun,
  SessionWriteLoad,
  until,
} from './session-failover-load.js';

const DOWN_AFTER_MS = 1000;

describe.runIf(hasRedis())('sessions through a Sentinel failover (1 master, 2 replicas, 3 sentinels)', () => {
  let group: PrivateSentinelGroup | undefined;
  let demos: DemoProcess[] = [];

  beforeAll(() => buildDemos(), 120_000);

  afterEach(async () => {
    await Promise.all(demos.map((d) => d.stop()));
    demos = [];
    await group?.close();
    group = undefined;
  });

  /** The group, two Express demos on it, and the load running for a few seconds. */
  async function underLoad(): Promise<{
    group: PrivateSentinelGroup;
    load: SessionWriteLoad;
    master: number;
  }> {
    const started = await startSentinelGroup({ downAfterMs: DOWN_AFTER_MS });
    group = started;
    for (const instance of ['a', 'b']) {
      demos.push(
        await startDemoProcess('express', {
          INSTANCE_ID: `failover-${instance}`,
          REDIS_SENTINELS: started.sentinelList,
          REDIS_SENTINEL_NAME: started.name,
        }),
      );
    }
    const load = new SessionWriteLoad(demos.map((d) => d.url));
    load.start();
    const master = await started.masterPort();
    await sleep(3000);
    expect(
      load.report().acknowledged,
      `writes are acknowledged before the fault: ${JSON.stringify(load.report().statuses)} ${demos[0]!.output().slice(-1500)}`,
    ).toBeGreaterThan(20);
    return { group: started, load, master };
  }

  function check(report: LoadReport, readBack: ReadBack, switchedAt: number): void {
    expect(readBack.lost, 'acknowledged writes lost').toBe(0);
    expect(readBack.checked).toBe(report.acknowledged);
    const failed = Object.entries(report.statuses).filter(([status]) => status !== '200' && status !== '503');
    expect(Object.fromEntries(failed), 'answers other than 200 and 503').toEqual({});
    // Writes succeed again within 10 s of Sentinel naming the new master: no store failure after
    // that (the demo's load shedding may still answer 503 on a loaded machine; it is counted apart).
    expect((report.lastStoreErrorAt ?? switchedAt) - switchedAt).toBeLessThan(10_000);
  }

  it('the master is killed: every acknowledged write is read back, errors are 503 only', async () => {
    const { group, load, master } = await underLoad();
    const faultAt = Date.now();
    await group.servers.find((s) => s.port === master)!.kill();
    const switchedAt = await until('the sentinels to name a new master', 30_000, async () => {
      return (await group.masterPort()) !== master;
    });
    await until('writes to succeed again', 15_000, async () => load.acknowledgedSince(Date.now() - 100));
    await sleep(2000);
    const report = await load.stop();
    const readBack = await load.readBack();
    recordRun('sentinel-kill', {
      acknowledged: report.acknowledged,
      lost: readBack.lost,
      statuses: report.statuses,
      failoverMs: switchedAt - faultAt,
      recoveryMs: report.lastStoreErrorAt === undefined ? 0 : report.lastStoreErrorAt - faultAt,
      causes: report.causes,
      longestGapMs: report.longestGapMs,
    });
    check(report, readBack, switchedAt);
  }, 90_000);

  it('the master is frozen longer than down-after and resumed (it returns as a replica): nothing acknowledged is discarded', async () => {
    const { group, load, master } = await underLoad();
    const faultAt = Date.now();
    await group.freeze(master);
    const switchedAt = await until('the sentinels to name a new master', 30_000, async () => {
      return (await group.masterPort()) !== master;
    });
    // Frozen for 5 s in all, as in the issue, then resumed while the load goes on.
    await sleep(Math.max(0, faultAt + 5000 - Date.now()));
    await group.resume(master);
    const resumedAt = Date.now();
    // Until Sentinel demotes the old master and it resyncs, anything it acknowledged would be lost.
    await group.linkedReplica(master, 40_000);
    const demotedAt = Date.now();
    await sleep(2000);
    const report = await load.stop();
    const readBack = await load.readBack();
    recordRun('sentinel-freeze', {
      acknowledged: report.acknowledged,
      lost: readBack.lost,
      statuses: report.statuses,
      failoverMs: switchedAt - faultAt,
      resumedToReplicaMs: demotedAt - resumedAt,
      recoveryMs: report.lastStoreErrorAt === undefined ? 0 : report.lastStoreErrorAt - faultAt,
      causes: report.causes,
      longestGapMs: report.longestGapMs,
    });
    check(report, readBack, switchedAt);
  }, 90_000);
});
