import { once } from 'node:events';
import { createServer, get, IncomingMessage, request, ServerResponse } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { createHealth } from '@lbkit/health';
import { createMetrics } from '@lbkit/metrics';
import { LoadShedder } from '@lbkit/shedding';
import { gracefulShutdown } from '@lbkit/shutdown';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseSamples, sampleValue, typesOf } from './scrape.js';

async function scrape(registry: Registry) {
  const text = await registry.metrics();
  return { text, samples: parseSamples(text) };
}

function fakeRequest(url: string): [IncomingMessage, ServerResponse] {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.method = 'GET';
  return [req, new ServerResponse(req)];
}

describe('createMetrics: lifecycle and in-flight', () => {
  it('reports the lifecycle state as one 1 among four states', async () => {
    const registry = new Registry();
    const lifecycle = new Lifecycle();
    createMetrics({ registry, lifecycle });
    let { samples } = await scrape(registry);
    expect(sampleValue(samples, 'lbkit_lifecycle_state', { state: 'starting' })).toBe(1);
    expect(sampleValue(samples, 'lbkit_lifecycle_state', { state: 'ready' })).toBe(0);
    lifecycle.markReady();
    lifecycle.beginDrain();
    ({ samples } = await scrape(registry));
    expect(sampleValue(samples, 'lbkit_lifecycle_state', { state: 'draining' })).toBe(1);
    expect(samples.filter((s) => s.name === 'lbkit_lifecycle_state' && s.value === 1)).toHaveLength(1);
  });

  it('reports requests in flight, open connections and the oldest request age of a real server', async () => {
    const registry = new Registry();
    const lifecycle = new Lifecycle();
    createMetrics({ registry, lifecycle });
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => held.push(res));
    lifecycle.inFlight.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const clients = [1, 2].map(() =>
      request({ port, host: '127.0.0.1', agent: false }).on('error', () => {}),
    );
    for (const c of clients) c.end();
    while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    const { samples } = await scrape(registry);
    expect(sampleValue(samples, 'lbkit_requests_in_flight')).toBe(2);
    expect(sampleValue(samples, 'lbkit_connections_open')).toBe(2);
    expect(sampleValue(samples, 'lbkit_oldest_request_age_seconds')).toBeGreaterThan(0.01);
    for (const res of held) res.end();
    for (const c of clients) c.destroy();
    server.close();
  });
});

describe('createMetrics: shedding', () => {
  it('reports the limit, the queue, admitted requests and shed requests by reason and priority', async () => {
    const registry = new Registry();
    const lifecycle = new Lifecycle();
    const shedder = new LoadShedder({
      lifecycle,
      concurrencyLimit: 1,
      queue: false,
      classify: (req) => (req.url === '/batch' ? 'sheddable' : 'default'),
    });
    try {
      createMetrics({ registry, lifecycle, shedder });
      const [req1, res1] = fakeRequest('/a');
      shedder.admit(req1, res1, () => {});
      const [req2, res2] = fakeRequest('/batch');
      shedder.admit(req2, res2, () => {});
      let { samples } = await scrape(registry);
      expect(sampleValue(samples, 'lbkit_concurrency_limit')).toBe(1);
      expect(sampleValue(samples, 'lbkit_shedding_queue_length')).toBe(0);
      expect(sampleValue(samples, 'lbkit_shedding_admitted_total')).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_shedding_shed_total', { reason: 'overloaded', priority: 'sheddable' }),
      ).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_shedding_shed_total', { reason: 'overloaded', priority: 'default' }),
      ).toBe(0);
      // Counters keep counting across scrapes.
      const [req3, res3] = fakeRequest('/c');
      shedder.admit(req3, res3, () => {});
      ({ samples } = await scrape(registry));
      expect(
        sampleValue(samples, 'lbkit_shedding_shed_total', { reason: 'overloaded', priority: 'default' }),
      ).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_shedding_shed_total', { reason: 'overloaded', priority: 'sheddable' }),
      ).toBe(1);
      ({ samples } = await scrape(registry));
      expect(sampleValue(samples, 'lbkit_shedding_admitted_total')).toBe(1);
      res1.emit('close');
    } finally {
      shedder.close();
    }
  });
});

describe('createMetrics: health checks', () => {
  it('reports the status and duration of each check from its latest run, without running checks', async () => {
    const registry = new Registry();
    const lifecycle = new Lifecycle();
    let runs = 0;
    const health = createHealth({
      lifecycle,
      checks: [
        {
          name: 'db:ping',
          check: async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 30));
          },
        },
        { name: 'cache:ping', critical: false, check: () => false },
      ],
    });
    try {
      createMetrics({ registry, lifecycle, health });
      let { samples } = await scrape(registry);
      expect(samples.filter((s) => s.name.startsWith('lbkit_health_check'))).toEqual([]);
      expect(runs).toBe(0);
      lifecycle.markReady();
      await health.report('readiness');
      ({ samples } = await scrape(registry));
      expect(runs).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_health_check_status', {
          check: 'db:ping',
          status: 'pass',
          critical: 'true',
        }),
      ).toBe(1);
      expect(sampleValue(samples, 'lbkit_health_check_status', { check: 'db:ping', status: 'fail' })).toBe(0);
      expect(
        sampleValue(samples, 'lbkit_health_check_status', {
          check: 'cache:ping',
          status: 'fail',
          critical: 'false',
        }),
      ).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_health_check_duration_seconds', { check: 'db:ping' }),
      ).toBeGreaterThanOrEqual(0.025);
    } finally {
      await health.close();
    }
  });
});

describe('createMetrics: shutdown', () => {
  it('reports drain phase durations, hook durations and forced requests of a real shutdown', async () => {
    const registry = new Registry();
    const lifecycle = new Lifecycle();
    const server = createServer(() => {
      // never answers: the drain timeout must force it
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const shutdown = gracefulShutdown(server, {
      lifecycle,
      signals: [],
      exit: false,
      ipc: false,
      drainDelayMs: 50,
      drainTimeoutMs: 100,
      hooks: [{ name: 'redis', run: () => new Promise((r) => setTimeout(r, 20)) }],
    });
    const metrics = createMetrics({ registry, lifecycle });
    metrics.observe({ shutdown });
    const { port } = server.address() as AddressInfo;
    const client = get({ port, host: '127.0.0.1', agent: false }).on('error', () => {});
    while (lifecycle.inFlight.requests < 1) await new Promise((r) => setTimeout(r, 5));
    const result = await shutdown.shutdown('test');
    client.destroy();
    expect(result.forcedRequests).toBe(1);
    const { samples } = await scrape(registry);
    expect(
      sampleValue(samples, 'lbkit_shutdown_phase_duration_seconds', { phase: 'delay-elapsed' }),
    ).toBeGreaterThanOrEqual(0.045);
    expect(
      sampleValue(samples, 'lbkit_shutdown_phase_duration_seconds', { phase: 'forced' }),
    ).toBeGreaterThanOrEqual(0.09);
    expect(
      sampleValue(samples, 'lbkit_shutdown_hook_duration_seconds', { hook: 'redis', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(0.015);
    expect(sampleValue(samples, 'lbkit_shutdown_forced_requests_total')).toBe(1);
    expect(sampleValue(samples, 'lbkit_shutdown_forced_connections_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'lbkit_lifecycle_state', { state: 'stopped' })).toBe(1);
  });
});

describe('createMetrics: registry and names', () => {
  it('uses lbkit_ names, base units and _total counters', async () => {
    const registry = new Registry();
    const lifecycle = new Lifecycle();
    const shedder = new LoadShedder({ lifecycle, concurrencyLimit: 5 });
    try {
      createMetrics({ registry, lifecycle, shedder });
      const types = typesOf(await registry.metrics());
      expect(types.size).toBeGreaterThan(5);
      for (const [name, type] of types) {
        expect(name).toMatch(/^lbkit_[a-z_]+$/);
        if (type === 'counter') expect(name).toMatch(/_total$/);
        else expect(name).not.toMatch(/_total$/);
        expect(name).not.toMatch(/_(ms|milliseconds|kb|mb)$/);
      }
    } finally {
      shedder.close();
    }
  });

  it('registers in the registry given, under the prefix given, and close() takes everything out', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, lifecycle: new Lifecycle(), prefix: 'app_' });
    expect(typesOf(await registry.metrics()).has('app_lifecycle_state')).toBe(true);
    metrics.close();
    metrics.close();
    expect((await registry.metrics()).trim()).toBe('');
    // Closed metrics free their names: the same registry takes new ones.
    createMetrics({ registry, lifecycle: new Lifecycle(), prefix: 'app_' });
  });

  it('refuses a second registration, a bad registry, prefix or buckets, and a source observed twice', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return isLbkitError(error) ? error.code : String(error);
      }
      return undefined;
    };
    const registry = new Registry();
    const health = { latestResults: () => [] };
    const metrics = createMetrics({ registry, lifecycle: new Lifecycle(), health });
    expect(code(() => createMetrics({ registry, lifecycle: new Lifecycle() }))).toBe(
      'LBKIT_METRICS_NAME_DUPLICATE',
    );
    expect(code(() => metrics.observe({ health }))).toBe('LBKIT_METRICS_SOURCE_ALREADY_OBSERVED');
    expect(code(() => createMetrics({ registry: {} as Registry }))).toBe('LBKIT_METRICS_REGISTRY_INVALID');
    expect(code(() => createMetrics({ registry: new Registry(), prefix: '9x' }))).toBe(
      'LBKIT_METRICS_PREFIX_INVALID',
    );
    expect(code(() => createMetrics({ registry: new Registry(), sessionBuckets: [0.1, 0.05] }))).toBe(
      'LBKIT_METRICS_BUCKETS_INVALID',
    );
    metrics.close();
    expect(code(() => metrics.observe({ health }))).toBe('LBKIT_METRICS_SET_CLOSED');
  });
});

describe('LbkitMetrics.respond', () => {
  it('answers GET with the text format, HEAD with headers only and other methods with 405', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, lifecycle: new Lifecycle() });
    const server = createServer((req, res) => metrics.respond(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(registry.contentType);
      expect(await res.text()).toContain('# TYPE lbkit_lifecycle_state gauge');
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
      const post = await fetch(url, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      server.close();
    }
  });
});
