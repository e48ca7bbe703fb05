// A node:cluster pool whose workers also have the peer directory: the primary's aggregator is asked while it runs, the peers after it closes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, waitForPort } from '../../../test/helpers/ports.js';
import { parseSamples, type Sample, sampleValue } from './scrape.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'lbkit-peers-primary-'));
const dir = join(home, 'peers');
let child: ReturnType<typeof spawn> | undefined;
let port = 0;
let control = 0;

const source = (metricsUrl: string) => `
import cluster from 'node:cluster';
import http from 'node:http';
import { createRequire } from 'node:module';
const { aggregateClusterMetrics, createMetrics } = await import(${JSON.stringify(metricsUrl)});
const { Counter, Registry } = createRequire(${JSON.stringify(join(root, 'package.json'))})('prom-client');
const { PORT, CONTROL, DIR } = process.env;
if (cluster.isPrimary) {
  const pool = aggregateClusterMetrics({ timeoutMs: 1000 });
  for (let i = 1; i <= 3; i++) cluster.fork({ ID: String(i) });
  http.createServer((req, res) => { pool.close(); res.end('closed'); }).listen(Number(CONTROL), '127.0.0.1');
} else {
  const registry = new Registry();
  new Counter({ name: 'app_requests_total', help: 'r', registers: [registry] }).inc(Number(process.env.ID));
  const metrics = createMetrics({ registry, cluster: { peers: 'directory', dir: DIR, name: 'api', id: 'p' + process.env.ID } });
  http.createServer((req, res) => metrics.respond(req, res)).listen(Number(PORT), '127.0.0.1');
}
`;

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/metrics'], {
    cwd: root,
    stdio: 'pipe',
  });
  port = await freePort();
  control = await freePort();
  const script = join(home, 'pool.mjs');
  writeFileSync(script, source(new URL('packages/metrics/dist/index.js', `file://${root}`).href));
  child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: String(port), CONTROL: String(control), DIR: dir },
    stdio: 'ignore',
    detached: true,
  });
  await waitForPort(port);
  await waitForPort(control);
}, 120_000);

afterAll(() => {
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(home, { recursive: true, force: true });
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(15_000),
  });
  return parseSamples(await res.text());
}

const upLabels = (samples: Sample[]) =>
  samples
    .filter((s) => s.name === 'lbkit_scrape_worker_up' && s.value === 1)
    .map((s) => s.labels.worker)
    .sort();

it('asks the primary aggregator while it runs (node:cluster ids), the peer directory once it has closed (ids given)', async () => {
  // Every worker listening and welcomed: the primary's answer, labelled by node:cluster's worker.id.
  await expect.poll(async () => upLabels(await scrape()), { timeout: 15_000 }).toEqual(['1', '2', '3']);
  expect(sampleValue(await scrape(), 'app_requests_total')).toBe(6);
  await fetch(`http://127.0.0.1:${control}/close`);
  await expect.poll(async () => upLabels(await scrape()), { timeout: 15_000 }).toEqual(['p1', 'p2', 'p3']);
  const samples = await scrape();
  expect(sampleValue(samples, 'app_requests_total')).toBe(6);
  expect(sampleValue(samples, 'lbkit_scrape_scope', { scope: 'cluster' })).toBe(1);
});
