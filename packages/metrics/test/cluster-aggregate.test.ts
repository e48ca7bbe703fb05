// One scrape for the whole pool: a real node:cluster primary with three workers on a shared port.
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/ports.js';
import { buildPackages, type Pool, startPool } from './cluster-child.js';
import { parseSamples, type Sample, sampleValue } from './scrape.js';

let pools: Pool[] = [];
beforeAll(buildPackages, 120_000);
afterEach(() => {
  for (const pool of pools) pool.kill();
  pools = [];
});

/** The primary's process, to which the workers' stdout is shared. */
const primaryOf = (pool: Pool): ChildProcess => pool.child;

async function start(config: Record<string, unknown>): Promise<{ pool: Pool; port: number }> {
  const port = await freePort();
  const pool = startPool('cluster-pool.mjs', { port, ...config });
  pools.push(pool);
  await pool.waitFor((e) => e.event === 'all-ready');
  if (config.primaryPort) await pool.waitFor((e) => e.event === 'primary-listening');
  return { pool, port };
}

/** Sends `n` requests on new connections (node:cluster hands each to the next worker); counts them per worker. */
async function load(port: number, n: number): Promise<Map<number, number>> {
  const perWorker = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/hello`, { headers: { connection: 'close' } });
    const { worker } = (await res.json()) as { worker: number };
    perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
  }
  return perWorker;
}

async function scrape(url: string): Promise<{ text: string; samples: Sample[]; type: string | null }> {
  const res = await fetch(url, { headers: { connection: 'close' } });
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parseSamples(text), type: res.headers.get('content-type') };
}

/** Scrapes the shared port until a worker that aggregates answers (the deaf one answers alone). */
async function scrapeCluster(port: number): Promise<Sample[]> {
  for (let i = 0; i < 9; i++) {
    const { samples } = await scrape(`http://127.0.0.1:${port}/metrics`);
    if (sampleValue(samples, 'lbkit_scrape_scope', { scope: 'cluster' }) === 1) return samples;
  }
  throw new Error('no worker answered for the cluster');
}

describe('aggregateClusterMetrics: one scrape of the shared port answers for every worker', () => {
  it('sums counters and histograms of all three workers and labels gauges per worker', async () => {
    const { pool, port } = await start({});
    // In a worker the aggregator refuses to start: it belongs in the primary.
    expect(await pool.waitFor((e) => e.event === 'refused')).toMatchObject({
      code: 'LBKIT_METRICS_CLUSTER_NOT_PRIMARY',
    });
    const perWorker = await load(port, 30);
    expect(perWorker.size).toBe(3);
    const { samples, type } = await scrape(`http://127.0.0.1:${port}/metrics`);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(samples, 'lbkit_scrape_scope', { scope: 'cluster' })).toBe(1);
    expect(sampleValue(samples, 'app_requests_total', { route: 'hello' })).toBe(30);
    expect(sampleValue(samples, 'app_request_duration_seconds_count')).toBe(30);
    expect(sampleValue(samples, 'app_request_duration_seconds_bucket', { le: '0.1' })).toBe(30);
    expect(sampleValue(samples, 'app_request_duration_seconds_sum')).toBeCloseTo(1.5, 6);
    // Gauges: one series per worker, each its own value.
    for (const [worker, served] of perWorker) {
      const labels = { worker: String(worker) };
      expect(sampleValue(samples, 'app_served_here', labels)).toBe(served);
      expect(sampleValue(samples, 'lbkit_lifecycle_state', { ...labels, state: 'ready' })).toBe(1);
      expect(sampleValue(samples, 'lbkit_scrape_worker_up', labels)).toBe(1);
    }
    expect(samples.filter((s) => s.name === 'app_served_here')).toHaveLength(3);
    expect(samples.filter((s) => s.name === 'app_requests_total')).toHaveLength(1);
  });

  it('answers without a worker that ignores the ask, and says which one was missing', async () => {
    const { pool, port } = await start({ deafSlot: 2, timeoutMs: 1000 });
    const perWorker = await load(port, 30);
    const ready = pool.events.filter((e) => e.event === 'worker-ready');
    const deaf = ready.find((e) => e.slot === 2)!.id as number;
    const samples = await scrapeCluster(port);
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: String(deaf) })).toBe(0);
    for (const e of ready.filter((e) => e.id !== deaf)) {
      expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: String(e.id) })).toBe(1);
    }
    // The missing worker's series are left out, not guessed.
    expect(sampleValue(samples, 'app_requests_total', { route: 'hello' })).toBe(
      30 - (perWorker.get(deaf) ?? 0),
    );
    expect(sampleValue(samples, 'app_served_here', { worker: String(deaf) })).toBeUndefined();
  });
});

describe("aggregateClusterMetrics: the primary's own port", () => {
  it('answers for every worker, and within its bound while one worker is stuck on the CPU', async () => {
    const primaryPort = await freePort();
    const { pool, port } = await start({ primaryPort, timeoutMs: 800 });
    const perWorker = await load(port, 30);
    let { samples } = await scrape(`http://127.0.0.1:${primaryPort}/metrics`);
    expect(sampleValue(samples, 'app_requests_total', { route: 'hello' })).toBe(30);
    expect(samples.filter((s) => s.name === 'lbkit_scrape_worker_up' && s.value === 1)).toHaveLength(3);

    let busyDone = false;
    const busy = fetch(`http://127.0.0.1:${port}/busy?ms=4000`).then(() => {
      busyDone = true;
    });
    const { worker } = await pool.waitFor((e) => e.event === 'busy');
    expect(primaryOf(pool).exitCode).toBeNull();
    ({ samples } = await scrape(`http://127.0.0.1:${primaryPort}/metrics`));
    // Answered while the stuck worker was still looping, without it.
    expect(busyDone).toBe(false);
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: String(worker) })).toBe(0);
    expect(samples.filter((s) => s.name === 'lbkit_scrape_worker_up' && s.value === 1)).toHaveLength(2);
    expect(sampleValue(samples, 'app_requests_total', { route: 'hello' })).toBe(
      30 - (perWorker.get(worker as number) ?? 0),
    );
    await busy;
  });
});

describe('without an aggregating primary (PM2 cluster mode: its daemon ignores the messages)', () => {
  it('a closed aggregator tells the workers, whose scrapes then answer alone', async () => {
    const { port } = await start({ closeAggregator: true });
    // The primary's bye follows its welcome on the same channel: give it a moment to arrive.
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 3; i++) {
      const { samples } = await scrape(`http://127.0.0.1:${port}/metrics`);
      // Not "late": the worker did not ask a primary that no longer answers.
      expect(samples.find((s) => s.name === 'lbkit_scrape_scope')?.labels).toMatchObject({
        scope: 'worker',
        reason: 'no-aggregator',
      });
    }
  });

  it("each worker's scrape answers at once for itself and says so", async () => {
    const { port } = await start({ aggregate: false });
    const perWorker = await load(port, 9);
    const { samples } = await scrape(`http://127.0.0.1:${port}/metrics`);
    const scope = samples.find((s) => s.name === 'lbkit_scrape_scope');
    expect(scope?.labels).toMatchObject({ scope: 'worker', reason: 'no-aggregator' });
    const worker = Number(scope?.labels.worker);
    expect(sampleValue(samples, 'app_requests_total', { route: 'hello' })).toBe(perWorker.get(worker));
    expect(sampleValue(samples, 'lbkit_scrape_worker_up')).toBeUndefined();
  });
});
