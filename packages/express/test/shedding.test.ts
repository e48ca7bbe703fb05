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
});
