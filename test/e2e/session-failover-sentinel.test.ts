// Issue #19 through Sentinel: two Express demos under keep-alive session writes while the master is killed, or frozen past down-after and resumed; no acknowledged write is lost, nothing answers 500.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDemos, type DemoProcess, startDemoProcess } from '../helpers/demo-process.js';
import { hasRedis } from '../helpers/redis.js';
import { type PrivateSentinelGroup, startSentinelGroup } from '../helpers/redis-sentinel.js';
import { SessionWriteLoad } from './session-failover-load.js';
import {
  freezeSentinelMaster,
  killSentinelMaster,
  type SentinelUnderLoad,
} from './session-failover-scenarios.js';

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
  async function underLoad(): Promise<SentinelUnderLoad> {
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

  it('the master is killed: every acknowledged write is read back, errors are 503 only', async () => {
    await killSentinelMaster('sentinel-kill', await underLoad());
  }, 90_000);

  it('the master is frozen longer than down-after and resumed (it returns as a replica): nothing acknowledged is discarded', async () => {
    await freezeSentinelMaster('sentinel-freeze', await underLoad());
  }, 90_000);
});
