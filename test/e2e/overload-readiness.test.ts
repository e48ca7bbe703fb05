// Regression (demo live page, Overload behind HAProxy): CPU overload through a real HAProxy sheds load on every
// instance (503 + Retry-After) but takes none out of the pool; HAProxy never answers its own 503.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemos, type DemoProcess, startDemoProcess } from '../helpers/demo-process.js';
import {
  type BalancerProcess,
  haproxyBinary,
  haproxyServerStats,
  startBalancer,
} from '../helpers/lb-process.js';
import { freePort } from '../helpers/ports.js';
import { hasRedis, type PrivateRedis, startRedis } from '../helpers/redis.js';
import { requireService } from '../helpers/services.js';

/**
 * The live page's Overload button (examples/cluster/src/load.ts: 32 users for 10 s of the `cpu` mix), with
 * /work of 100 ms instead of 20: the probes then wait behind CPU work past 250 ms on any machine, which is
 * what marked every instance DOWN while HAProxy timed its checks out at `inter`.
 */
const OVERLOAD = { users: 32, durationMs: 10_000, mix: ['/work?ms=100', '/work?ms=100', '/whoami'] } as const;

interface Outcome {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly error?: string;
}

function send(url: string, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', (error) => resolve({ status: 0, retryAfter: undefined, error: error.message }));
    req.end();
  });
}

/** Until every server of backend `app` is UP (fails after 20 s). */
async function allUp(dir: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const stats = await haproxyServerStats(dir);
    const rows = Object.values(stats);
    if (rows.length === 3 && rows.every((row) => row.status === 'UP')) return;
    if (Date.now() > deadline) throw new Error(`servers not UP: ${JSON.stringify(stats)}`);
    await sleep(100);
  }
}

const enabled = hasRedis() && requireService('haproxy', Boolean(haproxyBinary), 'apt-get install haproxy');

describe.runIf(enabled)('CPU overload behind a real HAProxy', () => {
  let redis: PrivateRedis | undefined;
  const instances: DemoProcess[] = [];
  let haproxy: BalancerProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    buildDemos();
    redis = await startRedis();
    for (let i = 1; i <= 3; i++) {
      instances.push(
        await startDemoProcess('express', {
          INSTANCE_ID: `instance-${i}`,
          REDIS_URL: redis.url,
          DRAIN_DELAY_MS: '0',
        }),
      );
    }
    port = await freePort();
    haproxy = await startBalancer({
      kind: 'haproxy',
      template: 'haproxy.cfg',
      values: {
        PORT: port,
        APP1_PORT: instances[0]!.port,
        APP2_PORT: instances[1]!.port,
        APP3_PORT: instances[2]!.port,
      },
      ports: [port],
    });
    await allUp(haproxy.dir);
  }, 120_000);

  afterAll(async () => {
    await haproxy?.stop();
    await Promise.all(instances.map((instance) => instance.stop()));
    await redis?.close();
  });

  it('marks no instance DOWN, and every answer is 2xx or a shed 503 with Retry-After', async () => {
    const dir = haproxy!.dir;
    const agent = new Agent({ keepAlive: true, maxSockets: 128 });
    const until = Date.now() + OVERLOAD.durationMs;
    const tally = { ok: 0, shed: 0 };
    const failures: Record<string, number> = {};
    const users = Array.from({ length: OVERLOAD.users }, async (_, user) => {
      for (let n = user; Date.now() < until; n++) {
        const path = OVERLOAD.mix[n % OVERLOAD.mix.length]!;
        const outcome = await send(`http://127.0.0.1:${port}${path}`, agent);
        if (outcome.status >= 200 && outcome.status < 300) tally.ok++;
        else if (outcome.status === 503 && outcome.retryAfter !== undefined) tally.shed++;
        else {
          // HAProxy's own 503 (no server available) has no Retry-After: a failure.
          const key =
            outcome.error ?? `${outcome.status}${outcome.status === 503 ? ' without Retry-After' : ''}`;
          failures[key] = (failures[key] ?? 0) + 1;
        }
      }
    });
    const seen = new Set<string>();
    const watch = (async () => {
      while (Date.now() < until + 1000) {
        for (const [server, row] of Object.entries(await haproxyServerStats(dir))) {
          if (row.status?.startsWith('DOWN')) seen.add(`${server} ${row.status} (${row.check_status})`);
        }
        await sleep(100);
      }
    })();
    await Promise.all(users);
    await watch;
    agent.destroy();

    const stats = await haproxyServerStats(dir);
    // chkdown counts every UP → DOWN transition, including one between two polls.
    const transitions = Object.fromEntries(
      Object.entries(stats).map(([server, row]) => [server, row.chkdown]),
    );
    expect([...seen], haproxy!.logs()).toEqual([]);
    expect(transitions).toEqual({ app1: '0', app2: '0', app3: '0' });
    expect(failures).toEqual({});
    expect(haproxy!.logs()).not.toContain('no server available');
    // It was an overload: the instances shed, and still served.
    expect(tally.shed).toBeGreaterThan(0);
    expect(tally.ok).toBeGreaterThan(0);
  }, 60_000);
});
