// clusterPrimary({ balance }) with real processes on loopback: each policy, skipping starting and draining workers, reloads.
import * as http from 'node:http';
import { Agent, Client, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/ports.js';
import { ensureBuilt, type Fixture, startFixture } from './child.js';

interface Answer {
  pid: number;
  slot: number;
  arrival: string;
}

let running: Fixture[] = [];
const clients: Client[] = [];
beforeAll(ensureBuilt, 120_000);
afterEach(async () => {
  for (const fixture of running) fixture.kill('SIGKILL');
  running = [];
  await Promise.all(clients.splice(0).map((client) => client.destroy()));
});

async function start(config: Record<string, unknown>): Promise<{ fixture: Fixture; port: number }> {
  const port = await freePort();
  const fixture = startFixture('cluster-balance.mjs', { port, ...config });
  running.push(fixture);
  await fixture.waitFor((e) => e.event === 'all-ready', 20_000);
  return { fixture, port };
}

/** One request on a connection of its own (`Connection: close`), from `localAddress` when given. */
function shortGet(port: number, path = '/', localAddress?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else resolve(JSON.parse(body) as Answer);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
  });
}

/** A kept-alive connection of its own, and the worker that took it. */
async function openConnection(port: number): Promise<{ client: Client; slot: number }> {
  const client = new Client(`http://127.0.0.1:${port}`, { keepAliveTimeout: 60_000 });
  clients.push(client);
  const response = await client.request({ path: '/', method: 'GET' });
  const answer = (await response.body.json()) as Answer;
  return { client, slot: answer.slot };
}

function countBy<T>(items: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('clusterPrimary({ balance }) hands each connection to the worker its policy picks', () => {
  it('least-connections: new connections go to the worker holding the fewest open ones', async () => {
    const { port } = await start({ balance: 'least-connections', workers: 3 });
    const open: Array<{ client: Client; slot: number }> = [];
    for (let i = 0; i < 6; i++) open.push(await openConnection(port));
    expect([...countBy(open.map((c) => c.slot)).values()]).toEqual([2, 2, 2]);
    // Close both connections of one worker: it now holds the fewest, and takes the next two.
    const emptied = open[0]!.slot;
    await Promise.all(open.filter((c) => c.slot === emptied).map((c) => c.client.close()));
    await pause(400);
    const next = [await openConnection(port), await openConnection(port)];
    expect(next.map((c) => c.slot)).toEqual([emptied, emptied]);
    // Now every worker holds two again: the next three spread one each.
    const spread = [await openConnection(port), await openConnection(port), await openConnection(port)];
    expect(new Set(spread.map((c) => c.slot)).size).toBe(3);
  });

  it('least-loaded: a worker that reports a busy event loop gets (almost) no new connection', async () => {
    const { port } = await start({ balance: 'least-loaded', workers: 3, busySlot: 0 });
    await pause(600);
    const answers: Answer[] = [];
    for (let i = 0; i < 30; i++) answers.push(await shortGet(port));
    const counts = countBy(answers.map((a) => a.slot));
    // Round robin would give it 10 of 30.
    expect(counts.get(0) ?? 0).toBeLessThanOrEqual(3);
    expect((counts.get(1) ?? 0) + (counts.get(2) ?? 0)).toBeGreaterThanOrEqual(27);
  });

  it('ip-hash: each client address always reaches the same worker slot, also after a rolling reload', async () => {
    const { fixture, port } = await start({ balance: 'ip-hash', workers: 3 });
    const addresses = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`);
    const slotOf = new Map<string, number>();
    for (const address of addresses) {
      const slots = new Set<number>();
      for (let i = 0; i < 6; i++) slots.add((await shortGet(port, '/', address)).slot);
      expect([address, slots.size]).toEqual([address, 1]);
      slotOf.set(address, [...slots][0]!);
    }
    // 127.0.0.2 and 127.0.0.3 each stick; and the ten addresses do not all land on one worker.
    expect(new Set(slotOf.values()).size).toBeGreaterThan(1);
    const pidsBefore = new Set(fixture.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid));
    fixture.kill('SIGHUP');
    expect(await fixture.waitFor((e) => e.event === 'reloaded', 30_000)).toMatchObject({ ok: true });
    for (const address of addresses) {
      const answer = await shortGet(port, '/', address);
      expect([address, answer.slot]).toEqual([address, slotOf.get(address)]);
      expect(pidsBefore.has(answer.pid)).toBe(false);
    }
  });

  it('a worker that drains on its own (SIGTERM to it, not through the primary) stops getting connections, and no request fails', async () => {
    const { fixture, port } = await start({ balance: 'least-connections', workers: 2, drainDelayMs: 300 });
    const victim = (await fixture.waitFor((e) => e.event === 'worker-ready' && e.slot === 0)).pid as number;
    const failures: string[] = [];
    const pids: number[] = [];
    let stop = false;
    const loop = async (i: number): Promise<void> => {
      while (!stop) {
        try {
          pids.push((await shortGet(port, '/?ms=5', `127.0.0.${2 + i}`)).pid);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const loops = [0, 1, 2, 3].map(loop);
    await pause(200);
    process.kill(victim, 'SIGTERM');
    await fixture.waitFor((e) => e.event === 'worker-exit' && e.pid === victim, 10_000);
    const afterExit = pids.length;
    await pause(500);
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(pids.slice(afterExit)).not.toContain(victim);
    expect(pids.length - afterExit).toBeGreaterThan(5);
  });

  it('holds connections while no worker is ready, and hands them out once one is', async () => {
    const port = await freePort();
    const fixture = startFixture('cluster-balance.mjs', {
      port,
      balance: 'least-connections',
      workers: 1,
      readyDelayMs: 800,
    });
    running.push(fixture);
    const up = await fixture.waitFor((e) => e.event === 'worker-up', 20_000);
    // The primary listens before its worker is ready: the request waits instead of failing.
    let answer: Answer | undefined;
    for (let attempt = 0; attempt < 50 && !answer; attempt++) {
      answer = await shortGet(port).catch(async () => {
        await pause(50);
        return undefined;
      });
    }
    expect(answer).toMatchObject({ pid: up.pid, arrival: 'ready' });
  });

  it("passes an app's own IPC messages through, both ways, while it hands connections out", async () => {
    const { fixture, port } = await start({ balance: 'least-connections', workers: 2 });
    const ups = fixture.events.filter((e) => e.event === 'worker-up').map((e) => e.pid);
    for (const pid of ups) {
      await fixture.waitFor((e) => e.event === 'app-hello' && e.pid === pid);
      await fixture.waitFor((e) => e.event === 'app-ping' && e.pid === pid);
    }
    const answers = await Promise.all([shortGet(port), shortGet(port)]);
    expect(new Set(answers.map((a) => a.pid))).toEqual(new Set(ups));
  });

  it('warns about a ready worker that takes no connections (it does not serve with clusterWorker())', async () => {
    const port = await freePort();
    const fixture = startFixture('cluster-balance.mjs', {
      port,
      balance: 'least-loaded',
      workers: 1,
      silent: true,
    });
    running.push(fixture);
    const warning = await fixture.waitFor((e) => e.event === 'log' && e.level === 'warn', 20_000);
    expect(warning.message).toContain('serve with clusterWorker()');
    expect(warning).toMatchObject({ slot: 0, balance: 'least-loaded' });
  });

  it('rejects ready with LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED when the port is taken', async () => {
    const blocker = http.createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const fixture = startFixture('cluster-balance.mjs', { port, balance: 'ip-hash', workers: 1 });
      running.push(fixture);
      const failed = await fixture.waitFor((e) => e.event === 'ready-failed', 20_000);
      expect(failed.code).toBe('LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED');
    } finally {
      blocker.close();
    }
  });
});

/** Runs a rolling reload of two workers under short and kept-alive connections; what the clients saw. */
async function reloadUnderLoad(balance: string) {
  const { fixture, port } = await start({ balance, workers: 2, drainDelayMs: 300, readyDelayMs: 300 });
  const before = new Set(fixture.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid));
  const agent = new Agent({ connections: 2, keepAliveTimeout: 30_000 });
  const failures: string[] = [];
  const arrivals: string[] = [];
  const pidsAfter = new Set<number>();
  let reloaded = false;
  let stop = false;
  const record = (answer: Answer): void => {
    arrivals.push(answer.arrival);
    if (reloaded) pidsAfter.add(answer.pid);
  };
  const shortLoop = async (i: number): Promise<void> => {
    while (!stop) {
      try {
        record(await shortGet(port, `/?ms=${Math.floor(Math.random() * 30)}`, `127.0.0.${2 + (i % 4)}`));
      } catch (error) {
        failures.push(`short: ${String(error)}`);
      }
    }
  };
  const keptAliveLoop = async (): Promise<void> => {
    while (!stop) {
      try {
        const ms = Math.floor(Math.random() * 30);
        const response = await request(`http://127.0.0.1:${port}/?ms=${ms}`, {
          dispatcher: agent,
          headersTimeout: 5000,
        });
        if (response.statusCode !== 200) failures.push(`kept alive: status ${response.statusCode}`);
        record((await response.body.json()) as Answer);
      } catch (error) {
        failures.push(`kept alive: ${String(error)}`);
      }
    }
  };
  const loops = [...Array.from({ length: 4 }, (_, i) => shortLoop(i)), keptAliveLoop(), keptAliveLoop()];
  await pause(300);
  fixture.kill('SIGHUP');
  const result = await fixture.waitFor((e) => e.event === 'reloaded', 20_000);
  reloaded = true;
  await pause(300);
  stop = true;
  await Promise.all(loops);
  await agent.close();
  fixture.kill('SIGTERM');
  const exited = await fixture.exited;
  return { result, failures, arrivals, pidsAfter, before, exited };
}

describe('a rolling reload under load', () => {
  it.each(['round-robin', 'least-connections', 'least-loaded', 'ip-hash'])(
    '%s: loses no request on short or kept-alive connections, and ends on the new workers',
    async (balance) => {
      const run = await reloadUnderLoad(balance);
      expect(run.result).toMatchObject({ ok: true, replaced: 2 });
      expect(run.failures).toEqual([]);
      expect(run.arrivals.length).toBeGreaterThan(40);
      expect(run.pidsAfter.size).toBeGreaterThan(0);
      for (const pid of run.pidsAfter) expect(run.before.has(pid)).toBe(false);
      expect(run.exited).toEqual({ code: 0, signal: null });
    },
  );

  it.each(['least-connections', 'least-loaded', 'ip-hash'])(
    '%s: no connection reaches a worker while it is starting (300 ms before ready) or draining',
    async (balance) => {
      const run = await reloadUnderLoad(balance);
      expect(run.failures).toEqual([]);
      expect(run.arrivals.length).toBeGreaterThan(40);
      expect(countBy(run.arrivals)).toEqual(new Map([['ready', run.arrivals.length]]));
    },
  );

  it('round-robin (node:cluster) by contrast does send to a worker that is starting or draining', async () => {
    const run = await reloadUnderLoad('round-robin');
    expect(run.failures).toEqual([]);
    expect(run.arrivals.some((a) => a !== 'ready')).toBe(true);
  });
});
