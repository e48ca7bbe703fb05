// metricsPlugin: GET /metrics on Fastify, observing sheddingPlugin's shedder and healthPlugin's probes.
import { Lifecycle } from '@lbkit/core';
import { healthPlugin, metricsPlugin, sheddingPlugin } from '@lbkit/fastify';
import { createMetrics } from '@lbkit/metrics';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from '../../metrics/test/scrape.js';

describe('Fastify metricsPlugin', () => {
  it('serves /metrics with the shedder and probes registered before it, never shed, and unregisters on close', async () => {
    const lifecycle = new Lifecycle();
    const registry = new Registry();
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle, concurrencyLimit: 3 });
    await app.register(healthPlugin, { lifecycle, checks: [{ name: 'db:ping', check: () => true }] });
    await app.register(metricsPlugin, { registry, lifecycle });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    lifecycle.markReady();
    try {
      await fetch(`${base}/health/ready`);
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(registry.contentType);
      const samples = parseSamples(await res.text());
      expect(sampleValue(samples, 'lbkit_concurrency_limit')).toBe(3);
      expect(sampleValue(samples, 'lbkit_health_check_status', { check: 'db:ping', status: 'pass' })).toBe(1);
      expect(sampleValue(samples, 'lbkit_shedding_admitted_total')).toBe(0);
      const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(app.lbkitMetrics.registry).toBe(registry);
    } finally {
      await app.close();
    }
    expect((await registry.metrics()).trim()).toBe('');
  });

  it('serves metrics passed in at a custom path and leaves them open on close', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, lifecycle: new Lifecycle() });
    const app = Fastify();
    await app.register(metricsPlugin, { metrics, path: '/internal/metrics' });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const text = await (await fetch(`${base}/internal/metrics`)).text();
      expect(text).toContain('lbkit_lifecycle_state');
    } finally {
      await app.close();
    }
    expect(await registry.metrics()).toContain('lbkit_lifecycle_state');
    metrics.close();
  });
});
