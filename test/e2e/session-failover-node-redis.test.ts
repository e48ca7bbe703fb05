// Issue #19 with node-redis clients: two Express apps on RedisSessionStore over createSentinel() (with durability) or createCluster(), under keep-alive session writes while a master is killed or frozen; no acknowledged write is lost, nothing answers 500.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { hasRedis } from '../helpers/redis.js';
import { hasRedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { startSentinelGroup } from '../helpers/redis-sentinel.js';
import { SessionWriteLoad, until } from './session-failover-load.js';
import {
  freezeSentinelMaster,
  killClusterMaster,
  killSentinelMaster,
  type SentinelUnderLoad,
} from './session-failover-scenarios.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DOWN_AFTER_MS = 1000;

/** One running fixtures/node-redis-sessions.mjs. */
interface SessionApp {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

async function startApp(env: Record<string, string>): Promise<SessionApp> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [`${root}test/e2e/fixtures/node-redis-sessions.mjs`], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await until(`the app to listen (${env.INSTANCE_ID})`, 15_000, async () => {
    if (child.exitCode !== null) throw new Error(`the app exited before listening:\n${output}`);
    return output.includes('listening on http://');
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

let apps: SessionApp[] = [];
let close: (() => Promise<void>) | undefined;

beforeAll(() => {
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b', 'packages/session-redis'], {
    cwd: root,
    stdio: 'pipe',
  });
}, 120_000);

afterEach(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  apps = [];
  await close?.();
  close = undefined;
});

async function loadOn(env: Record<string, string>, name: string): Promise<SessionWriteLoad> {
  for (const instance of ['a', 'b'])
    apps.push(await startApp({ ...env, INSTANCE_ID: `${name}-${instance}` }));
  const load = new SessionWriteLoad(apps.map((app) => app.url));
  load.start();
  await sleep(3000);
  expect(
    load.report().acknowledged,
    `writes are acknowledged before the fault: ${JSON.stringify(load.report().causes)} ${apps[0]!.output().slice(-1500)}`,
  ).toBeGreaterThan(20);
  return load;
}

describe.runIf(hasRedis())('node-redis createSentinel() with durability through a Sentinel failover', () => {
  async function underLoad(): Promise<SentinelUnderLoad> {
    const group = await startSentinelGroup({ downAfterMs: DOWN_AFTER_MS });
    close = () => group.close();
    const load = await loadOn(
      { REDIS_SENTINELS: group.sentinelList, REDIS_SENTINEL_NAME: group.name },
      'nr-sentinel',
    );
    return { group, load, master: await group.masterPort() };
  }

  it('the master is killed: every acknowledged write is read back, errors are 503 only', async () => {
    await killSentinelMaster('node-redis-sentinel-kill', await underLoad());
  }, 90_000);

  it('the master is frozen longer than down-after and resumed: nothing acknowledged is discarded', async () => {
    await freezeSentinelMaster('node-redis-sentinel-freeze', await underLoad());
  }, 90_000);
});

describe.runIf(hasRedisCluster())('node-redis createCluster() through a Redis Cluster failover', () => {
  it('a master is killed: every acknowledged write is read back, errors are 503 only', async () => {
    const cluster = await startRedisCluster(3, 1);
    close = () => cluster.close();
    const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    const load = await loadOn({ REDIS_CLUSTER_NODES: nodes }, 'nr-cluster');
    await killClusterMaster('node-redis-cluster-kill', cluster, load);
  }, 90_000);
});
