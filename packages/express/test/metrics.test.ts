// metricsHandler(): a /metrics route on Express, reading the shedder and the probes of the same app.
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { healthcheck, loadShedding, metricsHandler } from '@lbkit/express';
import { createMetrics } from '@lbkit/metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from '../../metrics/test/scrape.js';
import { expressVersions } from './express-versions.js';

describe.each(expressVersions)('Express metricsHandler on %s', (_version, express) => {
  it('serves the registry on GET /metrics with the shedder limit and the latest check results', async () => {
    const lifecycle = new Lifecycle();
    const registry = new Registry();
    const shedding = loadShedding({ lifecycle, concurrencyLimit: 7 });
    const probes = healthcheck({ lifecycle, checks: [{ name: 'db:ping', check: () => true }] });
    const app = express();
    app.use(shedding);
    app.use(probes);
    const route = metricsHandler({ registry, lifecycle, shedder: shedding.shedder, health: probes.health });
    app.get('/metrics', route);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      lifecycle.markReady();
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(registry.contentType);
      const samples = parseSamples(await res.text());
      expect(sampleValue(samples, 'lbkit_concurrency_limit')).toBe(7);
      expect(sampleValue(samples, 'lbkit_lifecycle_state', { state: 'ready' })).toBe(1);
      expect(sampleValue(samples, 'lbkit_health_check_status', { check: 'db:ping', status: 'pass' })).toBe(1);
      // The scrape itself is exempt from shedding: it is not an admitted request.
      expect(sampleValue(samples, 'lbkit_shedding_admitted_total')).toBe(0);
    } finally {
      server.close();
      route.metrics.close();
      shedding.shedder.close();
      await probes.health.close();
    }
  });

  it('serves metrics made with createMetrics as they are', () => {
    const metrics = createMetrics({ registry: new Registry(), lifecycle: new Lifecycle() });
    expect(metricsHandler(metrics).metrics).toBe(metrics);
    metrics.close();
  });
});
