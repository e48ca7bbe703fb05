// http.route from the framework's router: a real Express app and a real Fastify app, through the SDK's in-memory exporter.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { healthcheck, loadShedding, otelMetrics } from '@lbkit/express';
import { healthPlugin, otelMetricsPlugin, sheddingPlugin } from '@lbkit/fastify';
import { createOtelMetrics } from '@lbkit/metrics';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { points, pointValue, testMeter } from './otel-reader.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function send(base: string, method: string, path: string): Promise<number> {
  const res = await fetch(`${base}${path}`, { method });
  await res.arrayBuffer();
  return res.status;
}

/** The `http.route` of each recorded point, with its count, by method and status. */
async function routes(m: ReturnType<typeof testMeter>): Promise<string[]> {
  const metrics = await m.collect();
  return points(metrics, 'http.server.request.duration')
    .map((p) => {
      const a = p.attributes;
      return `${a['http.request.method']} ${a['http.response.status_code']} ${a['http.route'] ?? '(none)'} ×${(p.value as { count: number }).count}`;
    })
    .sort();
}

describe('Express: otelMetrics()', () => {
  it('reports the route template of the router (mount path included), never the raw path', async () => {
    const m = testMeter();
    cleanup.push(() => m.close());
    const lifecycle = new Lifecycle();
    const app = express();
    const shedding = loadShedding({ lifecycle, concurrencyLimit: 10 });
    const probes = healthcheck({ lifecycle });
    app.use(otelMetrics({ meter: m.meter, lifecycle, shedder: shedding.shedder, health: probes.health }));
    app.use(shedding);
    app.use(probes);
    const api = express.Router();
    api.get('/users/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.use('/api', api);
    const tenant = express.Router();
    tenant.get('/items/:item', (_req, res) => {
      res.end();
    });
    app.use('/t/:tenant', tenant);
    app.all('/dav', (_req, res) => {
      res.end();
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    lifecycle.markReady();
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await send(base, 'GET', '/api/users/42')).toBe(200);
    expect(await send(base, 'GET', '/api/users/43')).toBe(200);
    expect(await send(base, 'GET', '/nowhere/7')).toBe(404);
    expect(await send(base, 'PROPFIND', '/dav')).toBe(200);
    expect(await routes(m)).toEqual(['GET 200 /api/users/:id ×2', 'GET 404 (none) ×1', '_OTHER 200 /dav ×1']);
    const metrics = await m.collect();
    // The sources given to the middleware are observed too.
    expect(pointValue(metrics, 'lbkit.shedding.limit')).toBe(10);
    expect(pointValue(metrics, 'lbkit.lifecycle.state', { 'lbkit.lifecycle.state': 'ready' })).toBe(1);
    expect(points(metrics, 'lbkit.shedding.admitted')).toHaveLength(1);
  });
});

describe('Express 4: otelMetrics()', () => {
  it('reports the mount path and the route template of a router mounted on a fixed path', async () => {
    const m = testMeter();
    cleanup.push(() => m.close());
    const app = express4();
    app.use(otelMetrics({ meter: m.meter, lifecycle: new Lifecycle() }));
    const api = express4.Router();
    api.get('/users/:id', (_req, res) => {
      res.end();
    });
    app.use('/api', api);
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await send(base, 'GET', '/api/users/42')).toBe(200);
    expect(await routes(m)).toEqual(['GET 200 /api/users/:id ×1']);
  });
});

describe('Fastify: otelMetricsPlugin', () => {
  it("reports Fastify's route template, leaves 404s without a route, and observes the decorated shedder", async () => {
    const m = testMeter();
    cleanup.push(() => m.close());
    const lifecycle = new Lifecycle();
    const app = Fastify();
    cleanup.push(() => app.close());
    await app.register(sheddingPlugin, { lifecycle, concurrencyLimit: 7 });
    await app.register(healthPlugin, { lifecycle });
    await app.register(otelMetricsPlugin, { meter: m.meter, lifecycle });
    await app.register(
      async (scope) => {
        scope.get('/users/:id', async () => ({ ok: true }));
      },
      { prefix: '/v1' },
    );
    app.addHttpMethod('PROPFIND');
    app.route({ method: ['GET', 'PROPFIND'], url: '/dav', handler: async () => 'ok' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    lifecycle.markReady();
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    expect(await send(base, 'GET', '/v1/users/42')).toBe(200);
    expect(await send(base, 'GET', '/v1/users/43')).toBe(200);
    expect(await send(base, 'GET', '/nowhere/7')).toBe(404);
    expect(await send(base, 'PROPFIND', '/dav')).toBe(200);
    expect(await routes(m)).toEqual(['GET 200 /v1/users/:id ×2', 'GET 404 (none) ×1', '_OTHER 200 /dav ×1']);
    const metrics = await m.collect();
    expect(pointValue(metrics, 'lbkit.shedding.limit')).toBe(7);
    expect(app.lbkitOtel).toBeDefined();
  });
});

describe('Fastify: otelMetricsPlugin options', () => {
  it.each([
    ['a misspelt option of the instruments', { metre: {} }, 'LBKIT_METRICS_OPTION_UNKNOWN'],
    ['otel that was not made by createOtelMetrics()', { otel: {} }, 'LBKIT_FASTIFY_OPTION_INVALID'],
    ['a meter that is not one', { maxRoutes: 5, meter: {} }, 'LBKIT_METRICS_METER_INVALID'],
  ])('refuses %s when registered', async (_name, options, code) => {
    const app = Fastify();
    cleanup.push(() => app.close());
    await expect(app.register(otelMetricsPlugin, options as never).ready()).rejects.toMatchObject({ code });
  });

  it('leaves instruments passed in open when the instance closes', async () => {
    const m = testMeter();
    cleanup.push(() => m.close());
    const lifecycle = new Lifecycle();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle });
    const app = Fastify();
    await app.register(otelMetricsPlugin, { otel });
    await app.ready();
    expect(app.lbkitOtel).toBe(otel);
    await app.close();
    // Still open: observe() is refused only after close().
    otel.observe({ health: { latestResults: () => [] } });
    otel.close();
  });
});
