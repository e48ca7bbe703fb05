// The three probes over node:http: lifecycle gating, status codes, headers, HEAD, terse vs detailed forms.
import { Lifecycle } from '@lbkit/core';
import { type CheckResult, createHealth, type HealthOptions } from '@lbkit/health';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHealth } from './http-client.js';
import { type Served, serve } from './serve.js';

const TOKEN = 'a-test-token-of-32-characters-xx';
let served: Served | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(options: HealthOptions = {}): Promise<{ url: string; lifecycle: Lifecycle }> {
  const lifecycle = options.lifecycle ?? new Lifecycle();
  served = await serve(createHealth({ cacheMs: 0, ...options, lifecycle }));
  return { url: served.url, lifecycle };
}

/** A check whose answer the test changes between requests. */
function switchable(initial: boolean | CheckResult | Error) {
  const state = { value: initial, runs: 0 };
  const check = async () => {
    state.runs++;
    if (state.value instanceof Error) throw state.value;
    return state.value;
  };
  return { state, check };
}

describe('liveness', () => {
  it('answers 200 pass in every lifecycle state, whatever the checks say', async () => {
    const failing = switchable(new Error('db down'));
    const { url, lifecycle } = await start({ checks: { db: failing.check } });
    const seen: number[] = [];
    seen.push((await fetchHealth(`${url}/health/live`)).status);
    lifecycle.markReady();
    seen.push((await fetchHealth(`${url}/health/live`)).status);
    lifecycle.beginDrain();
    seen.push((await fetchHealth(`${url}/health/live`)).status);
    lifecycle.markStopped();
    const last = await fetchHealth(`${url}/health/live`);
    seen.push(last.status);
    expect(seen).toEqual([200, 200, 200, 200]);
    expect(last.json).toEqual({ status: 'pass' });
    expect(failing.state.runs).toBe(0);
  });
});

describe('readiness', () => {
  it('is 503 while starting, 200 once ready, 503 while draining and stopped', async () => {
    const { url, lifecycle } = await start({ checks: { db: async () => true } });
    const statuses: number[] = [];
    statuses.push((await fetchHealth(`${url}/health/ready`)).status);
    lifecycle.markReady();
    statuses.push((await fetchHealth(`${url}/health/ready`)).status);
    lifecycle.beginDrain();
    statuses.push((await fetchHealth(`${url}/health/ready`)).status);
    lifecycle.markStopped();
    statuses.push((await fetchHealth(`${url}/health/ready`)).status);
    expect(statuses).toEqual([503, 200, 503, 503]);
  });

  it('fails with 503 when a critical check fails and passes again when it recovers', async () => {
    const db = switchable(true);
    const { url, lifecycle } = await start({ checks: { db: db.check } });
    lifecycle.markReady();
    expect((await fetchHealth(`${url}/health/ready`)).json).toEqual({ status: 'pass' });
    db.state.value = false;
    const failing = await fetchHealth(`${url}/health/ready`);
    expect(failing.status).toBe(503);
    expect(failing.json).toEqual({ status: 'fail' });
    db.state.value = true;
    expect((await fetchHealth(`${url}/health/ready`)).status).toBe(200);
  });

  it('degrades to warn with HTTP 200 when a non-critical check fails or a check warns', async () => {
    const cache = switchable(new Error('cache down'));
    const queue = switchable({ status: 'pass' });
    const { url, lifecycle } = await start({
      checks: [
        { name: 'cache', check: cache.check, critical: false },
        { name: 'queue:depth', check: queue.check },
      ],
    });
    lifecycle.markReady();
    const degraded = await fetchHealth(`${url}/health/ready`);
    expect([degraded.status, degraded.json]).toEqual([200, { status: 'warn' }]);
    cache.state.value = true;
    queue.state.value = { status: 'warn', observedValue: 900 };
    const warned = await fetchHealth(`${url}/health/ready`);
    expect([warned.status, warned.json]).toEqual([200, { status: 'warn' }]);
  });

  it('does not run the checks while the lifecycle already decides the answer', async () => {
    const db = switchable(true);
    const { url, lifecycle } = await start({ checks: { db: db.check } });
    await fetchHealth(`${url}/health/ready`);
    lifecycle.markReady();
    lifecycle.beginDrain();
    await fetchHealth(`${url}/health/ready`);
    expect(db.state.runs).toBe(0);
  });

  it('answers /health with the readiness status', async () => {
    const db = switchable(false);
    const { url, lifecycle } = await start({ checks: { db: db.check } });
    lifecycle.markReady();
    expect((await fetchHealth(`${url}/health`)).status).toBe(503);
    db.state.value = true;
    expect((await fetchHealth(`${url}/health`)).status).toBe(200);
  });
});

describe('startup', () => {
  it('is 503 until the lifecycle leaves starting and the startup checks pass, then stays 200', async () => {
    const migrations = switchable(false);
    const other = switchable(false);
    const { url, lifecycle } = await start({
      checks: [
        { name: 'migrations', check: migrations.check, startup: true },
        { name: 'other', check: other.check },
      ],
    });
    migrations.state.value = true;
    expect((await fetchHealth(`${url}/health/startup`)).status).toBe(503);
    migrations.state.value = false;
    lifecycle.markReady();
    expect((await fetchHealth(`${url}/health/startup`)).status).toBe(503);
    migrations.state.value = true;
    expect((await fetchHealth(`${url}/health/startup`)).status).toBe(200);
    // Once started, always started: a later failure is readiness' business, not startup's.
    migrations.state.value = false;
    const runs = migrations.state.runs;
    expect((await fetchHealth(`${url}/health/startup`)).status).toBe(200);
    expect(migrations.state.runs).toBe(runs);
    expect(other.state.runs).toBe(0);
  });

  it('passes as soon as the instance is ready when no check is flagged startup', async () => {
    const { url, lifecycle } = await start({ checks: { db: async () => false } });
    expect((await fetchHealth(`${url}/health/startup`)).status).toBe(503);
    lifecycle.markReady();
    expect((await fetchHealth(`${url}/health/startup`)).status).toBe(200);
  });
});

describe('HTTP format', () => {
  it('sends application/health+json, no-store caching and an exact content-length', async () => {
    const { url, lifecycle } = await start();
    lifecycle.markReady();
    const response = await fetchHealth(`${url}/health/ready`);
    expect(response.headers['content-type']).toBe('application/health+json');
    expect(response.headers['cache-control']).toContain('no-store');
    expect(response.headers['cache-control']).toContain('no-cache');
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.text));
  });

  it('answers HEAD with the same status and headers and no body', async () => {
    const { url } = await start();
    const get = await fetchHealth(`${url}/health/ready`);
    const head = await fetchHealth(`${url}/health/ready`, { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['cache-control']).toBe(get.headers['cache-control']);
  });

  it('answers 405 with Allow for other methods and leaves other paths to the application', async () => {
    const { url } = await start();
    const post = await fetchHealth(`${url}/health/live`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await fetchHealth(`${url}/healthz`)).status).toBe(404);
    expect((await fetchHealth(`${url}/health/live/`)).status).toBe(404);
  });

  it('ignores the query string', async () => {
    const { url } = await start();
    expect((await fetchHealth(`${url}/health/live?verbose=1`)).status).toBe(200);
  });

  it('serves configured paths and drops disabled ones', async () => {
    const { url } = await start({ paths: { liveness: '/livez', readiness: '/readyz', startup: false } });
    expect((await fetchHealth(`${url}/livez`)).status).toBe(200);
    expect((await fetchHealth(`${url}/readyz`)).status).toBe(503);
    expect((await fetchHealth(`${url}/health/startup`)).status).toBe(404);
    expect((await fetchHealth(`${url}/health/live`)).status).toBe(404);
    expect((await fetchHealth(`${url}/health`)).status).toBe(503);
  });
});

describe('terse and detailed forms', () => {
  const secret = 'password authentication failed for user "app" at 10.1.2.3';

  async function startWithFailingDb() {
    const db = switchable(new Error(secret));
    const started = await start({
      trustedNetworks: ['127.0.0.1/32'],
      token: TOKEN,
      serviceId: 'orders',
      version: '1.4.2',
      checks: [
        { name: 'postgres:responseTime', check: db.check, componentType: 'datastore' },
        {
          name: 'cpu:utilization',
          critical: false,
          componentType: 'system',
          check: () => ({ status: 'pass', observedValue: 12.5, observedUnit: 'percent' }),
        },
      ],
    });
    started.lifecycle.markReady();
    return started;
  }

  it('gives public callers only the status, never a dependency error', async () => {
    const { url } = await startWithFailingDb();
    for (const path of ['/health', '/health/ready', '/health/startup', '/health/live']) {
      const response = await fetchHealth(`${url}${path}`, { localAddress: '127.0.0.2' });
      expect(Object.keys(response.json as object)).toEqual(['status']);
      expect(response.text).not.toContain('password');
      expect(response.text).not.toContain('10.1.2.3');
    }
  });

  it('gives trusted networks the detailed report with the error output', async () => {
    const { url } = await startWithFailingDb();
    const response = await fetchHealth(`${url}/health`, { localAddress: '127.0.0.1' });
    expect(response.status).toBe(503);
    const report = response.json as {
      status: string;
      serviceId: string;
      version: string;
      checks: Record<string, Array<Record<string, unknown>>>;
    };
    expect(report.status).toBe('fail');
    expect(report.serviceId).toBe('orders');
    expect(report.version).toBe('1.4.2');
    expect(Object.keys(report.checks).sort()).toEqual([
      'cpu:utilization',
      'lifecycle:state',
      'postgres:responseTime',
    ]);
    const [db] = report.checks['postgres:responseTime']!;
    expect(db).toMatchObject({ componentType: 'datastore', status: 'fail', output: secret });
    expect(Number.isNaN(Date.parse(String(db!.time)))).toBe(false);
    expect(report.checks['cpu:utilization']![0]).toMatchObject({
      componentType: 'system',
      observedValue: 12.5,
      observedUnit: 'percent',
      status: 'pass',
    });
    expect(report.checks['lifecycle:state']![0]).toMatchObject({ observedValue: 'ready', status: 'pass' });
  });

  it('gives the detailed report to a public peer presenting the token, and not for a wrong one', async () => {
    const { url } = await startWithFailingDb();
    const right = await fetchHealth(`${url}/health/ready`, {
      localAddress: '127.0.0.2',
      headers: { 'x-health-token': TOKEN },
    });
    expect(right.json).toHaveProperty('checks');
    const wrong = await fetchHealth(`${url}/health/ready`, {
      localAddress: '127.0.0.2',
      headers: { 'x-health-token': `${TOKEN.slice(0, -1)}y` },
    });
    expect(wrong.json).toEqual({ status: 'fail' });
  });

  it('does not trust X-Forwarded-For: only the socket peer counts', async () => {
    const { url } = await startWithFailingDb();
    const response = await fetchHealth(`${url}/health`, {
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1' },
    });
    expect(response.json).toEqual({ status: 'fail' });
  });

  it('explains a lifecycle failure in the detailed report', async () => {
    const { url, lifecycle } = await start({ trustedNetworks: ['loopback'] });
    lifecycle.markReady();
    lifecycle.beginDrain('SIGTERM');
    const report = (await fetchHealth(`${url}/health/ready`)).json as Record<string, unknown>;
    expect(report).toMatchObject({
      status: 'fail',
      output: 'instance is draining',
      checks: { 'lifecycle:state': [{ observedValue: 'draining', status: 'fail' }] },
    });
  });

  it('reports uptime and the lifecycle state on detailed liveness', async () => {
    const { url } = await start({ trustedNetworks: ['loopback'] });
    const report = (await fetchHealth(`${url}/health/live`)).json as {
      status: string;
      checks: Record<string, Array<{ observedValue: unknown; observedUnit?: string }>>;
    };
    expect(report.status).toBe('pass');
    expect(report.checks.uptime![0]!.observedUnit).toBe('s');
    expect(report.checks['lifecycle:state']![0]!.observedValue).toBe('starting');
  });

  it('asks allowDetails after networks and token, and treats a throwing rule as "no"', async () => {
    const { url } = await start({
      allowDetails: (req) => {
        if (req.headers['x-explode']) throw new Error('boom');
        return req.headers['x-operator'] === 'yes';
      },
    });
    expect(
      (await fetchHealth(`${url}/health/live`, { headers: { 'x-operator': 'yes' } })).json,
    ).toHaveProperty('checks');
    expect((await fetchHealth(`${url}/health/live`)).json).toEqual({ status: 'pass' });
    expect((await fetchHealth(`${url}/health/live`, { headers: { 'x-explode': '1' } })).json).toEqual({
      status: 'pass',
    });
  });
});

describe('programmatic use and close', () => {
  it('report() returns the detailed report, or the terse one when asked', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const health = createHealth({
      lifecycle,
      checks: { api: async () => ({ status: 'warn', output: 'slow' }) },
    });
    expect(await health.report('readiness', { detailed: false })).toEqual({ status: 'warn' });
    const report = await health.report('readiness');
    expect(report.checks?.api?.[0]).toMatchObject({
      status: 'warn',
      output: 'slow',
      componentType: 'component',
    });
    await health.close();
  });

  it('fails readiness and startup after close(), while liveness still passes', async () => {
    const { url, lifecycle } = await start();
    lifecycle.markReady();
    // A second Health on the same lifecycle: closing it leaves the served one answering.
    const health = createHealth({ lifecycle });
    await health.close();
    expect(await health.report('readiness', { detailed: false })).toEqual({ status: 'fail' });
    expect(await health.report('startup', { detailed: false })).toEqual({ status: 'fail' });
    expect(await health.report('liveness', { detailed: false })).toEqual({ status: 'pass' });
    expect((await health.report('readiness')).output).toBe('health checks closed');
    expect((await fetchHealth(`${url}/health/ready`)).status).toBe(200);
  });

  it('uses defaultLifecycle() when no lifecycle is given', async () => {
    const { defaultLifecycle } = await import('@lbkit/core');
    const health = createHealth();
    expect(health.lifecycle).toBe(defaultLifecycle());
    await health.close();
  });
});
