// The peer directory: workers of one app find each other through unix sockets, without a primary.
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import type { LbkitMetrics } from '@lbkit/metrics';
import { createMetrics } from '@lbkit/metrics';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from './scrape.js';

let dir: string;
let opened: LbkitMetrics[] = [];
let servers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lbkit-peers-'));
});
afterEach(() => {
  for (const metrics of opened) metrics.close();
  for (const server of servers) server.close();
  opened = [];
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

/** One worker of the app `api`: its own registry, a counter it counted `count` on, a gauge it set to `count`. */
function worker(id: string, count: number, options: Record<string, unknown> = {}) {
  const registry = new Registry();
  new Counter({ name: 'app_requests_total', help: 'requests', registers: [registry] }).inc(count);
  new Gauge({ name: 'app_heap_bytes', help: 'heap', registers: [registry] }).set(count);
  const metrics = createMetrics({
    registry,
    lifecycle: new Lifecycle(),
    cluster: { peers: 'directory', dir, name: 'api', id, timeoutMs: 300, ...options },
  });
  opened.push(metrics);
  return metrics;
}

/** The text `respond()` answers, through a real node:http server. */
async function scrape(metrics: LbkitMetrics): Promise<string> {
  const server = createHttpServer((req, res) => metrics.respond(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    expect(res.status).toBe(200);
    return await res.text();
  } finally {
    server.close();
  }
}

/** A fake peer of `api` on its own socket, answering each connection with `answer`. */
async function fakePeer(file: string, answer: (socket: import('node:net').Socket) => void): Promise<void> {
  const server = createServer(answer);
  servers.push(server);
  server.listen(join(dir, file));
  await once(server, 'listening');
}

/** Leaves a socket file nobody listens on, as a worker SIGKILLed before removing its own does. */
async function staleSocket(file: string): Promise<void> {
  const live = join(dir, 'live.tmp');
  const server = createServer();
  server.listen(live);
  await once(server, 'listening');
  // A second name for the socket outlives the listener (closing it removes only the name it bound).
  linkSync(live, join(dir, file));
  server.close();
  await once(server, 'close');
  expect(existsSync(join(dir, file))).toBe(true);
}

describe('cluster: { peers: "directory" }', () => {
  it('one scrape answers for every worker: counters summed, gauges per worker, all up, scope cluster', async () => {
    const first = worker('0', 1);
    worker('1', 2);
    worker('2', 4);
    // Another app in the same directory is not a peer.
    const other = createMetrics({
      registry: new Registry(),
      lifecycle: new Lifecycle(),
      cluster: { peers: 'directory', dir, name: 'api-admin', id: '0' },
    });
    opened.push(other);
    const samples = parseSamples(await scrape(first));
    expect(sampleValue(samples, 'app_requests_total')).toBe(7);
    expect(sampleValue(samples, 'app_heap_bytes', { worker: '0' })).toBe(1);
    expect(sampleValue(samples, 'app_heap_bytes', { worker: '1' })).toBe(2);
    expect(sampleValue(samples, 'app_heap_bytes', { worker: '2' })).toBe(4);
    for (const id of ['0', '1', '2'])
      expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: id })).toBe(1);
    expect(samples.filter((s) => s.name === 'lbkit_scrape_worker_up')).toHaveLength(3);
    expect(sampleValue(samples, 'lbkit_scrape_scope', { scope: 'cluster' })).toBe(1);
  });

  it('summedGauges and workerLabel shape the merge as for aggregateClusterMetrics()', async () => {
    const options = { summedGauges: ['app_heap_bytes'], workerLabel: 'instance' };
    const first = worker('0', 1, options);
    worker('1', 2, options);
    const samples = parseSamples(await scrape(first));
    expect(sampleValue(samples, 'app_heap_bytes')).toBe(3);
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { instance: '1' })).toBe(1);
    expect(sampleValue(samples, 'lbkit_lifecycle_state', { instance: '1', state: 'starting' })).toBe(1);
  });

  it('listens in a private directory and removes its socket on close()', () => {
    const metrics = worker('5', 1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const socket = `api.5.${process.pid}.sock`;
    expect(readdirSync(dir)).toContain(socket);
    metrics.close();
    expect(readdirSync(dir)).not.toContain(socket);
  });

  it('a stale socket of a dead worker is reported down once and removed', async () => {
    await staleSocket('api.9.1.sock');
    const first = worker('0', 1);
    const samples = parseSamples(await scrape(first));
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: '9' })).toBe(0);
    expect(sampleValue(samples, 'app_requests_total')).toBe(1);
    await expect.poll(() => readdirSync(dir)).not.toContain('api.9.1.sock');
    const again = parseSamples(await scrape(first));
    expect(sampleValue(again, 'lbkit_scrape_worker_up', { worker: '9' })).toBeUndefined();
  });

  it('an answer over maxBytes is refused: that peer is reported down, the others merged', async () => {
    await fakePeer('api.7.1.sock', (socket) => {
      socket.on('error', () => {});
      socket.write(`{"type":"lbkit:metrics:report","id":"x","metrics":[${'0,'.repeat(32 * 1024)}0]}\n`);
    });
    const first = worker('0', 1, { maxBytes: 16 * 1024 });
    worker('1', 2);
    const samples = parseSamples(await scrape(first));
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: '7' })).toBe(0);
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: '1' })).toBe(1);
    expect(sampleValue(samples, 'app_requests_total')).toBe(3);
  });

  it('a peer answering with metrics of another shape is reported down, and the scrape still answers', async () => {
    await fakePeer('api.6.1.sock', (socket) => {
      socket.on('error', () => {});
      socket.once('data', (chunk) => {
        const { id } = JSON.parse(chunk.toString()) as { id: string };
        const metrics = [{ name: 'app_requests_total', help: 'h', type: 'counter', values: 5 }];
        socket.end(`${JSON.stringify({ type: 'lbkit:metrics:report', id, metrics })}\n`);
      });
    });
    const first = worker('0', 1);
    const samples = parseSamples(await scrape(first));
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: '6' })).toBe(0);
    expect(sampleValue(samples, 'app_requests_total')).toBe(1);
  });

  it('a stale socket left under its own name (a reused pid) is replaced, and the worker is reachable', async () => {
    await staleSocket(`api.1.${process.pid}.sock`);
    worker('1', 2);
    const first = worker('0', 1);
    await expect
      .poll(async () =>
        sampleValue(parseSamples(await scrape(first)), 'lbkit_scrape_worker_up', { worker: '1' }),
      )
      .toBe(1);
    expect(sampleValue(parseSamples(await scrape(first)), 'app_requests_total')).toBe(3);
  });

  it('a second set of metrics under the same name in one process answers alone, and its close() leaves the first', async () => {
    worker('0', 1);
    const second = worker('0', 1);
    await expect
      .poll(
        async () =>
          parseSamples(await scrape(second)).find((s) => s.name === 'lbkit_scrape_scope')?.labels.reason,
      )
      .toBe('peers-unavailable');
    second.close();
    expect(readdirSync(dir)).toContain(`api.0.${process.pid}.sock`);
  });

  it('a peer that accepts and never answers is reported down once timeoutMs has passed', async () => {
    await fakePeer('api.3.1.sock', (socket) => socket.on('error', () => {}));
    const first = worker('0', 1, { timeoutMs: 200 });
    const started = Date.now();
    const samples = parseSamples(await scrape(first));
    // A bound far above timeoutMs: the scrape ends on the deadline, not on the peer.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: '3' })).toBe(0);
    expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: '0' })).toBe(1);
    expect(sampleValue(samples, 'app_requests_total')).toBe(1);
  });

  it('a connection that sends more than a collect without a newline is dropped', async () => {
    worker('0', 1);
    const { connect } = await import('node:net');
    const socket = connect(join(dir, `api.0.${process.pid}.sock`));
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write('x'.repeat(64 * 1024));
    await once(socket, 'close');
    expect(socket.destroyed).toBe(true);
  });

  it('refuses a directory other users can open (LBKIT_METRICS_PEER_DIR_UNSAFE)', () => {
    chmodSync(dir, 0o755);
    let caught: unknown;
    try {
      worker('0', 1);
    } catch (error) {
      caught = error;
    }
    expect(isLbkitError(caught) && caught.code).toBe('LBKIT_METRICS_PEER_DIR_UNSAFE');
  });

  it('refuses a name that cannot name a socket file', () => {
    expect(() =>
      createMetrics({
        registry: new Registry(),
        lifecycle: new Lifecycle(),
        cluster: { peers: 'directory', dir, name: 'a.b' },
      }),
    ).toThrow(/letters, digits, _ and -/);
  });
  it('under PM2 (pm_id and name set) cluster: true listens in <os.tmpdir()>/lbkit-metrics-<uid> by itself', async () => {
    const saved = { pm_id: process.env.pm_id, name: process.env.name, TMPDIR: process.env.TMPDIR };
    Object.assign(process.env, { pm_id: '4', name: 'my app', TMPDIR: dir });
    try {
      const registry = new Registry();
      new Counter({ name: 'app_requests_total', help: 'requests', registers: [registry] }).inc(2);
      const metrics = createMetrics({ registry, lifecycle: new Lifecycle() });
      opened.push(metrics);
      const own = join(dir, `lbkit-metrics-${process.getuid?.()}`);
      expect(readdirSync(own)).toEqual([`my_app.4.${process.pid}.sock`]);
      expect(statSync(own).mode & 0o777).toBe(0o700);
      const samples = parseSamples(await scrape(metrics));
      expect(sampleValue(samples, 'lbkit_scrape_worker_up', { worker: '4' })).toBe(1);
      expect(sampleValue(samples, 'lbkit_scrape_scope', { scope: 'cluster' })).toBe(1);
      expect(sampleValue(samples, 'app_requests_total')).toBe(2);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('under PM2 with a directory others can open, answers alone with reason="peers-unavailable"', async () => {
    const saved = { pm_id: process.env.pm_id, name: process.env.name, TMPDIR: process.env.TMPDIR };
    const own = join(dir, `lbkit-metrics-${process.getuid?.()}`);
    mkdirSync(own, { mode: 0o777 });
    chmodSync(own, 0o777);
    Object.assign(process.env, { pm_id: '4', name: 'api', TMPDIR: dir });
    try {
      const metrics = createMetrics({ registry: new Registry(), lifecycle: new Lifecycle() });
      opened.push(metrics);
      expect(readdirSync(own)).toEqual([]);
      const samples = parseSamples(await scrape(metrics));
      expect(samples.find((s) => s.name === 'lbkit_scrape_scope')?.labels).toMatchObject({
        scope: 'worker',
        reason: 'peers-unavailable',
      });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('refuses a cluster option of the wrong shape, with the closest name for a misspelt key', () => {
    const make = (cluster: unknown) => () =>
      createMetrics({ registry: new Registry(), lifecycle: new Lifecycle(), cluster } as never);
    expect(make('yes')).toThrow(expect.objectContaining({ code: 'LBKIT_METRICS_OPTION_INVALID' }));
    expect(make({})).toThrow(expect.objectContaining({ code: 'LBKIT_METRICS_OPTION_INVALID' }));
    expect(make({ peers: 'dns' })).toThrow(expect.objectContaining({ code: 'LBKIT_METRICS_OPTION_INVALID' }));
    expect(make({ peers: 'directory', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(make({ peers: 'directory', dirr: dir })).toThrow(
      expect.objectContaining({
        code: 'LBKIT_METRICS_OPTION_UNKNOWN',
        message: expect.stringContaining('cluster.dir'),
      }),
    );
  });
});
