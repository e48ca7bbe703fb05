// GET /metrics on both demo apps (Express 5 and 4, Fastify): Prometheus text from a real prom-client registry, lbkit_ names and conventions.
import { Lifecycle } from '@lbkit/core';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoConfig, readConfig } from '../../examples/shared/src/index.js';
import { parseSamples, sampleValue, typesOf } from '../../packages/metrics/test/scrape.js';
import { type DemoServer, demoServers, expressDemoServer } from '../helpers/demo-servers.js';
import { hasRedis, type PrivateRedis, startRedis } from '../helpers/redis.js';

/** Starts a demo app on a loopback port. */
const apps: Record<string, (config: DemoConfig, lifecycle: Lifecycle) => Promise<DemoServer>> = {
  'express 5': (config, lifecycle) => demoServers.express({ config, lifecycle }),
  'express 4': (config, lifecycle) => expressDemoServer(express4)({ config, lifecycle }),
  fastify: (config, lifecycle) => demoServers.fastify({ config, lifecycle }),
};

/** Families every demo app exposes, whatever is configured. */
const ALWAYS = [
  'lbkit_lifecycle_state',
  'lbkit_requests_in_flight',
  'lbkit_connections_open',
  'lbkit_oldest_request_age_seconds',
  'lbkit_concurrency_limit',
  'lbkit_shedding_queue_length',
  'lbkit_shedding_admitted_total',
  'lbkit_shedding_shed_total',
  'lbkit_health_check_status',
  'lbkit_health_check_duration_seconds',
];
const SESSIONS = [
  'lbkit_session_store_operation_duration_seconds',
  'lbkit_session_store_errors_total',
  'lbkit_session_store_available',
];

describe.each(Object.keys(apps))('GET /metrics on the %s demo app', (name) => {
  let redis: PrivateRedis | undefined;
  beforeAll(async () => {
    if (hasRedis()) redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('answers Prometheus text with lbkit_ families, base units and _total counters', async () => {
    const lifecycle = new Lifecycle();
    const { url, close } = await apps[name]!(readConfig({ INSTANCE_ID: 'metrics-test' }), lifecycle);
    try {
      lifecycle.markReady();
      await fetch(`${url}/health/ready`);
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const types = typesOf(text);
      for (const family of ALWAYS) expect(types.has(family), family).toBe(true);
      for (const [family, type] of types) {
        expect(family).toMatch(/^lbkit_[a-z_]+$/);
        expect(family.endsWith('_total')).toBe(type === 'counter');
      }
      const samples = parseSamples(text);
      expect(sampleValue(samples, 'lbkit_lifecycle_state', { state: 'ready' })).toBe(1);
      // The scrape is in flight while it is collected.
      expect(sampleValue(samples, 'lbkit_requests_in_flight')).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(samples, 'lbkit_health_check_status', { check: 'heap:utilization', status: 'pass' }),
      ).toBe(1);
    } finally {
      await close();
    }
  });

  it('counts admitted requests across scrapes, and never the scrape itself', async () => {
    const lifecycle = new Lifecycle();
    const { url, close } = await apps[name]!(readConfig({ INSTANCE_ID: 'metrics-test' }), lifecycle);
    try {
      lifecycle.markReady();
      const before = parseSamples(await (await fetch(`${url}/metrics`)).text());
      for (let i = 0; i < 3; i++) await (await fetch(`${url}/whoami`)).text();
      const after = parseSamples(await (await fetch(`${url}/metrics`)).text());
      const admitted = (s: typeof after) => sampleValue(s, 'lbkit_shedding_admitted_total') ?? Number.NaN;
      expect(admitted(after) - admitted(before)).toBe(3);
    } finally {
      await close();
    }
  });

  it('carries an ORCA load report (endpoint-load-metrics) with the shedder limit on its responses', async () => {
    const lifecycle = new Lifecycle();
    const { url, close } = await apps[name]!(readConfig({ INSTANCE_ID: 'metrics-test' }), lifecycle);
    try {
      lifecycle.markReady();
      const res = await fetch(`${url}/whoami`);
      const header = res.headers.get('endpoint-load-metrics') ?? '';
      expect(header).toMatch(
        /^TEXT application_utilization=[\d.]+, cpu_utilization=[\d.]+, mem_utilization=[\d.]+, /,
      );
      expect(header).toMatch(
        /named_metrics\.in_flight=\d+, named_metrics\.queued=0, named_metrics\.concurrency_limit=\d+$/,
      );
    } finally {
      await close();
    }
  });

  it.runIf(hasRedis())('reports session store operations when sessions live in Redis', async () => {
    const lifecycle = new Lifecycle();
    const config = readConfig({ INSTANCE_ID: 'metrics-test', REDIS_URL: redis!.url });
    const { url, close } = await apps[name]!(config, lifecycle);
    try {
      lifecycle.markReady();
      const first = await fetch(`${url}/session`);
      expect(first.status).toBe(200);
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
      expect((await fetch(`${url}/session`, { headers: { cookie } })).status).toBe(200);
      const text = await (await fetch(`${url}/metrics`)).text();
      const types = typesOf(text);
      for (const family of SESSIONS) expect(types.has(family), family).toBe(true);
      const samples = parseSamples(text);
      expect(sampleValue(samples, 'lbkit_session_store_available')).toBe(1);
      expect(
        sampleValue(samples, 'lbkit_session_store_operation_duration_seconds_count', {
          operation: 'set',
          outcome: 'ok',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(samples, 'lbkit_session_store_operation_duration_seconds_count', {
          operation: 'get',
          outcome: 'ok',
        }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await close();
    }
  });
});
