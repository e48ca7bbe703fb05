// healthPlugin: the Fastify plugin registers the probe routes, decorates fastify.health and closes on onClose.
import { Lifecycle } from '@lbkit/core';
import { healthPlugin } from '@lbkit/fastify';
import { createHealth } from '@lbkit/health';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

describe('Fastify healthPlugin', () => {
  it('registers the four probe routes and the fastify.health decorator', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const app = Fastify();
    await app.register(healthPlugin, { lifecycle, checks: { api: async () => true } });
    app.get('/hello', async () => ({ hello: 'world' }));
    await app.ready();
    expect(app.health.lifecycle).toBe(lifecycle);
    for (const url of ['/health/live', '/health/ready', '/health/startup', '/health']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/health+json');
      expect(response.headers['cache-control']).toContain('no-store');
      expect(response.json()).toEqual({ status: 'pass' });
    }
    expect((await app.inject({ url: '/hello' })).json()).toEqual({ hello: 'world' });
    await app.close();
  });

  it('marks its routes with config.lbkit.probe so application hooks can leave probes alone', async () => {
    const seen: unknown[] = [];
    const app = Fastify();
    app.addHook('onRequest', async function record(request) {
      seen.push((request.routeOptions.config as { lbkit?: unknown }).lbkit);
    });
    await app.register(healthPlugin, { lifecycle: new Lifecycle() });
    await app.inject({ url: '/health/live' });
    await app.inject({ url: '/health' });
    expect(seen).toEqual([{ probe: 'liveness' }, { probe: 'readiness' }]);
    await app.close();
  });

  it('answers HEAD with the GET headers and no body, and 503 while starting', async () => {
    const app = Fastify();
    await app.register(healthPlugin, { lifecycle: new Lifecycle() });
    const get = await app.inject({ url: '/health/ready' });
    const head = await app.inject({ method: 'HEAD', url: '/health/ready' });
    expect([get.statusCode, head.statusCode]).toEqual([503, 503]);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['content-type']).toBe('application/health+json');
    await app.close();
  });

  it('works with exposeHeadRoutes turned off and with configured paths', async () => {
    const app = Fastify({ exposeHeadRoutes: false });
    await app.register(healthPlugin, {
      lifecycle: new Lifecycle(),
      paths: { liveness: '/livez', health: false },
    });
    expect((await app.inject({ url: '/livez' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'HEAD', url: '/livez' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(404);
    await app.close();
  });

  it('closes the checks it created when Fastify closes: polling stops', async () => {
    let runs = 0;
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const app = Fastify();
    await app.register(healthPlugin, {
      lifecycle,
      intervalMs: 20,
      checks: {
        counted: async () => {
          runs++;
          return true;
        },
      },
    });
    await app.ready();
    await new Promise((resolve) => setTimeout(resolve, 80));
    await app.close();
    const afterClose = runs;
    expect(afterClose).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(runs).toBe(afterClose);
    expect(await app.health.report('readiness', { detailed: false })).toEqual({ status: 'fail' });
  });

  it('leaves a Health it was given open for its owner to close', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const health = createHealth({ lifecycle });
    const app = Fastify();
    await app.register(healthPlugin, { health });
    expect(app.health).toBe(health);
    await app.close();
    expect(await health.report('readiness', { detailed: false })).toEqual({ status: 'pass' });
    await health.close();
  });

  it('refuses a health option that does not come from createHealth()', async () => {
    const app = Fastify();
    await expect(app.register(healthPlugin, { health: {} as never })).rejects.toMatchObject({
      code: 'LBKIT_FASTIFY_OPTION_INVALID',
    });
  });

  it('registers named probes as routes, with their own status codes, body and Retry-After on a failing readiness', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const app = Fastify();
    await app.register(healthPlugin, {
      lifecycle,
      cacheMs: 2_000,
      checks: { api: () => false },
      probes: { '/health/db': () => true },
      statusCodes: { fail: 500 },
      body: ({ probe, report }) => ({ probe, ok: report.status !== 'fail' }),
    });
    const db = await app.inject({ url: '/health/db' });
    expect(db.statusCode).toBe(200);
    expect(db.json()).toEqual({ probe: '/health/db', ok: true });
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(500);
    expect(ready.headers['retry-after']).toBe('2');
    expect(ready.json()).toEqual({ probe: 'readiness', ok: false });
    await app.close();
  });
});
