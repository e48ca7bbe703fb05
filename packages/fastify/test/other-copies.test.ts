// Each plugin takes options or an object made elsewhere, recognised by its brand even when another copy of the package made it (issue #14).
import { Lifecycle } from '@lbkit/core';
import {
  balancerFeedbackPlugin,
  clientIpPlugin,
  healthPlugin,
  metricsPlugin,
  sheddingPlugin,
} from '@lbkit/fastify';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

/**
 * A second evaluation of a package's source file: its classes are not the ones the plugins import,
 * as with two installs of a package in one node_modules tree, so `instanceof` would fail.
 */
function secondCopy<M>(path: string): Promise<M> {
  return import(`${path}?second-copy`) as Promise<M>;
}

describe('objects made by another copy of a package', () => {
  it('are what the plugins decorate the instance with and serve from', async () => {
    const lifecycle = new Lifecycle();
    const { createHealth } = await secondCopy<typeof import('../../health/src/health.js')>(
      '../../health/src/health.js',
    );
    const { LoadShedder } = await secondCopy<typeof import('../../shedding/src/load-shedder.js')>(
      '../../shedding/src/load-shedder.js',
    );
    const { createMetrics } = await secondCopy<typeof import('../../metrics/src/metrics.js')>(
      '../../metrics/src/metrics.js',
    );
    const { createLoadReport } = await secondCopy<typeof import('../../balancer-feedback/src/orca.js')>(
      '../../balancer-feedback/src/orca.js',
    );
    const { createClientIpResolver } = await secondCopy<typeof import('../../client-ip/src/resolver.js')>(
      '../../client-ip/src/resolver.js',
    );
    const health = createHealth({ lifecycle });
    const shedder = new LoadShedder({ lifecycle });
    const metrics = createMetrics({ registry: new Registry(), lifecycle });
    const loadReport = createLoadReport({ lifecycle, processUsage: false });
    const resolver = createClientIpResolver({ trust: 'loopback' });
    const app = Fastify();
    await app.register(sheddingPlugin, { shedder });
    await app.register(healthPlugin, { health });
    await app.register(metricsPlugin, { metrics });
    await app.register(balancerFeedbackPlugin, { loadReport });
    await app.register(clientIpPlugin, { resolver });
    app.get('/who', async (request) => ({ ip: request.clientIp }));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(app.loadShedder).toBe(shedder);
      expect(app.health).toBe(health);
      expect(app.lbkitMetrics).toBe(metrics);
      expect(app.balancerFeedback.loadReport).toBe(loadReport);
      const res = await fetch(`${base}/who`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      expect(await res.json()).toEqual({ ip: '203.0.113.7' });
      expect(res.headers.get('endpoint-load-metrics')).toMatch(/^TEXT named_metrics\.in_flight=/);
    } finally {
      await app.close();
      metrics.close();
      shedder.close();
      await health.close();
    }
  });

  it('refuses a resolver option that is not a resolver, and options next to one', async () => {
    const notResolver = Fastify();
    await expect(
      notResolver.register(clientIpPlugin, { resolver: { ip: () => '1.2.3.4' } as never }).ready(),
    ).rejects.toMatchObject({ code: 'LBKIT_FASTIFY_OPTION_INVALID', message: /createClientIpResolver/ });
    const { createClientIpResolver } = await import('@lbkit/client-ip');
    const both = Fastify();
    await expect(
      both
        .register(clientIpPlugin, {
          resolver: createClientIpResolver({ trust: 'loopback' }),
          source: 'forwarded',
        } as never)
        .ready(),
    ).rejects.toMatchObject({ code: 'LBKIT_FASTIFY_OPTION_INVALID', message: /source would be ignored/ });
  });
});
