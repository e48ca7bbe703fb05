// loadShedding(): Express middleware that sheds before routing and body parsing, and shares its shedder.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { healthcheck, loadShedding } from '@lbkit/express';
import { LoadShedder, overloadCheck } from '@lbkit/shedding';
import type express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

let server: Server | undefined;
const shedders: LoadShedder[] = [];

afterEach(async () => {
  for (const s of shedders.splice(0)) s.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(app: express.Express): Promise<string> {
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await sleep(5);
  if (!condition()) throw new Error('condition not met in time');
}

describe.each(expressVersions)('Express loadShedding() on %s', (_version, express) => {
  it('sheds before body parsing and routing, with 503 JSON and Retry-After', async () => {
    const lifecycle = new Lifecycle();
    const shedding = loadShedding({ lifecycle, concurrencyLimit: 1, queue: false });
    shedders.push(shedding.shedder);
    let parsed = 0;
    const app = express();
    app.use(shedding);
    app.use((req, res, next) => {
      parsed++;
      express.json()(req, res, next);
    });
    app.post('/work', async (_req, res) => {
      await sleep(150);
      res.json({ ok: true });
    });
    const url = await listen(app);
    const post = (): Promise<Response> =>
      fetch(`${url}/work`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
    const busy = post();
    await until(() => shedding.shedder.inFlight === 1);
    const shed = await post();
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(await shed.json()).toEqual({ error: 'Service Unavailable', reason: 'overloaded' });
    expect((await busy).status).toBe(200);
    expect(parsed).toBe(1);
  });

  it('lets health and metrics routes through while shedding', async () => {
    const shedding = loadShedding({ lifecycle: new Lifecycle(), concurrencyLimit: 1, queue: false });
    shedders.push(shedding.shedder);
    const app = express();
    app.use(shedding);
    // Held open until the probes have been asked, however slow a loaded machine makes them.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.get('/slow', async (_req, res) => {
      await held;
      res.send('slow');
    });
    app.get(['/health/live', '/health/ready', '/metrics'], (_req, res) => {
      res.send('ok');
    });
    const url = await listen(app);
    const busy = fetch(`${url}/slow`);
    await until(() => shedding.shedder.inFlight === 1);
    for (const path of ['/health/live', '/health/ready', '/metrics'])
      expect((await fetch(`${url}${path}`)).status).toBe(200);
    expect((await fetch(`${url}/slow`)).status).toBe(503);
    release();
    await busy;
  });

  it('queues behind the limit and calls next() later, so a burst is served in full', async () => {
    // A long queue interval: the burst waits in the queue however slowly a loaded machine serves it.
    const shedding = loadShedding({
      lifecycle: new Lifecycle(),
      concurrencyLimit: 1,
      queue: { intervalMs: 30_000 },
    });
    shedders.push(shedding.shedder);
    const app = express();
    app.use(shedding);
    app.get('/work', async (_req, res) => {
      await sleep(20);
      res.send('done');
    });
    const url = await listen(app);
    const results = await Promise.all(Array.from({ length: 4 }, () => fetch(`${url}/work`)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('never sheds the custom probe paths of the health it is given, mounted first as the README says', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    // The probes are made after the shedder (they run its overload check): a function reads them later.
    const shedding = loadShedding({
      lifecycle,
      concurrencyLimit: 1,
      queue: false,
      health: () => probes.health,
    });
    const probes = healthcheck({
      lifecycle,
      paths: { liveness: '/alive', readiness: '/ready' },
      checks: [overloadCheck(shedding.shedder)],
    });
    shedders.push(shedding.shedder);
    const app = express();
    app.use(shedding);
    app.use(probes);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.get('/slow', async (_req, res) => {
      await held;
      res.send('slow');
    });
    const url = await listen(app);
    const busy = fetch(`${url}/slow`);
    await until(() => shedding.shedder.inFlight === 1);
    expect((await fetch(`${url}/alive`)).status).toBe(200);
    expect((await fetch(`${url}/ready?verbose`)).status).toBe(200);
    expect((await fetch(`${url}/slow`)).status).toBe(503);
    release();
    await busy;
    await probes.health.close();
  });

  it('hands the shed request to the error handlers with rejectWith: error', async () => {
    const shedding = loadShedding({
      lifecycle: new Lifecycle(),
      concurrencyLimit: 1,
      queue: false,
      rejectWith: 'error',
      retryAfter: 7,
    });
    shedders.push(shedding.shedder);
    const app = express();
    app.use(shedding);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.get('/slow', async (_req, res) => {
      await held;
      res.send('slow');
    });
    app.use(
      (
        error: { code?: string; statusCode?: number },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(error.statusCode ?? 500).json({ handled: error.code });
      },
    );
    const url = await listen(app);
    const busy = fetch(`${url}/slow`);
    await until(() => shedding.shedder.inFlight === 1);
    const shed = await fetch(`${url}/slow`);
    expect(shed.status).toBe(503);
    expect(await shed.json()).toEqual({ handled: 'LBKIT_SHEDDING_REQUEST_SHED' });
    release();
    await busy;
  });

  it('uses a shedder passed in, so readiness and the middleware share it', async () => {
    const shedder = new LoadShedder({ lifecycle: new Lifecycle() });
    shedders.push(shedder);
    const middleware = loadShedding(shedder);
    expect(middleware.shedder).toBe(shedder);
  });

  describe('the decision on the server request event', () => {
    /** An app with loadShedding() first, a counting middleware after it, and a route held until released. */
    function gatedApp(shedding: ReturnType<typeof loadShedding>) {
      const reached: string[] = [];
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const app = express();
      app.use(shedding);
      app.use((req, _res, next) => {
        reached.push(req.url);
        next();
      });
      app.get('/slow', async (_req, res) => {
        await held;
        res.send('slow');
      });
      app.get('/fast', (_req, res) => {
        res.send('fast');
      });
      return { app, reached, release: () => release() };
    }

    it('answers 503 with Retry-After before Express runs, once it has seen the server, and the request reaches no later middleware', async () => {
      const shedding = loadShedding({ lifecycle: new Lifecycle(), concurrencyLimit: 1, queue: false });
      shedders.push(shedding.shedder);
      const { app, reached, release } = gatedApp(shedding);
      const url = await listen(app);
      // The first request is decided by the middleware, which then puts the shedder in front of the app.
      expect((await fetch(`${url}/fast`)).headers.get('x-powered-by')).toBe('Express');
      expect(server!.listeners('request').map((l) => l.name)).toEqual(['loadSheddingGate']);
      const busy = fetch(`${url}/slow`);
      await until(() => shedding.shedder.inFlight === 1);
      const shed = await fetch(`${url}/fast?shed`);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      expect(await shed.json()).toEqual({ error: 'Service Unavailable', reason: 'overloaded' });
      // Express never saw it: its X-Powered-By header is set by app.handle, before the router.
      expect(shed.headers.get('x-powered-by')).toBeNull();
      release();
      expect((await busy).status).toBe(200);
      expect(reached).toEqual(['/fast', '/slow']);
      expect(shedding.shedder.snapshot().admitted).toBe(2);
    });

    it('admits the same requests as the middleware alone, each counted once, queued ones entering Express when their turn comes', async () => {
      const statuses = async (
        gated: boolean,
      ): Promise<{ codes: number[]; admitted: number; reached: number }> => {
        const shedding = loadShedding({
          lifecycle: new Lifecycle(),
          concurrencyLimit: 1,
          queue: { maxLength: 1, intervalMs: 5000 },
        });
        shedders.push(shedding.shedder);
        const { app, reached, release } = gatedApp(shedding);
        // Mounted behind another middleware, the decision stays in the middleware.
        const outer = gated ? app : express().use((_req, _res, next) => next(), app);
        const url = await listen(outer as express.Express);
        expect(server!.listeners('request').map((l) => l.name)).not.toContain('loadSheddingGate');
        await fetch(`${url}/fast`);
        expect(
          server!
            .listeners('request')
            .map((l) => l.name)
            .includes('loadSheddingGate'),
        ).toBe(gated);
        const busy = fetch(`${url}/slow`);
        await until(() => shedding.shedder.inFlight === 1);
        const queued = fetch(`${url}/fast?queued`);
        await until(() => shedding.shedder.queued === 1);
        const evicting = fetch(`${url}/fast?evicting`);
        const first = await Promise.race([queued, evicting]);
        release();
        const codes = [first.status, ...(await Promise.all([busy, queued, evicting])).map((r) => r.status)];
        const admitted = shedding.shedder.snapshot().admitted;
        server?.closeAllConnections();
        await new Promise((resolve) => server?.close(resolve));
        server = undefined;
        return { codes, admitted, reached: reached.length };
      };
      const alone = await statuses(false);
      const gated = await statuses(true);
      // The queue holds one: the newest arrival evicts the oldest waiting (503), then is served.
      expect(alone).toEqual({ codes: [503, 200, 503, 200], admitted: 3, reached: 3 });
      expect(gated).toEqual(alone);
    });

    it('with concurrencyLimit: false, counts each request once through the gate and sheds there while under pressure', async () => {
      let pressed = false;
      const shedding = loadShedding({
        lifecycle: new Lifecycle(),
        concurrencyLimit: false,
        underPressure: () => pressed,
        signals: { intervalMs: 10 },
      });
      shedders.push(shedding.shedder);
      const { app, reached } = gatedApp(shedding);
      const url = await listen(app);
      for (let i = 0; i < 3; i++) expect((await fetch(`${url}/fast`)).status).toBe(200);
      expect(server!.listeners('request').map((l) => l.name)).toEqual(['loadSheddingGate']);
      // The second and third passed the gate, then the middleware: each counted once.
      expect(shedding.shedder.snapshot().admitted).toBe(3);
      pressed = true;
      await until(() => shedding.shedder.isUnderPressure());
      const shed = await fetch(`${url}/fast?shed`);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('x-powered-by')).toBeNull();
      expect(await shed.json()).toEqual({ error: 'Service Unavailable', reason: 'backstop' });
      expect(reached).toEqual(['/fast', '/fast', '/fast']);
      expect(shedding.shedder.snapshot().admitted).toBe(3);
    });

    it('stays in the middleware when a decision needs the Express request (classify) or Express itself (rejectWith: error)', async () => {
      for (const options of [{ classify: () => 'default' as const }, { rejectWith: 'error' as const }]) {
        const shedding = loadShedding({ lifecycle: new Lifecycle(), ...options });
        shedders.push(shedding.shedder);
        const { app } = gatedApp(shedding);
        const url = await listen(app);
        await fetch(`${url}/fast`);
        expect(server!.listeners('request')).toEqual([app]);
        server?.closeAllConnections();
        await new Promise((resolve) => server?.close(resolve));
        server = undefined;
      }
    });
  });
});
