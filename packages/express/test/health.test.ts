// healthcheck(): the Express middleware answers the probes and passes every other request on.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { healthcheck } from '@lbkit/express';
import { createHealth } from '@lbkit/health';
import type express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(app: express.Express): Promise<string> {
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.each(expressVersions)('Express healthcheck() on %s', (_version, express) => {
  it('mounts the four probe routes with application/health+json and lets other routes through', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const app = express();
    const middleware = healthcheck({ lifecycle, checks: { api: async () => true } });
    app.use(middleware);
    app.get('/hello', (_req, res) => {
      res.json({ hello: 'world' });
    });
    const url = await listen(app);
    for (const path of ['/health/live', '/health/ready', '/health/startup', '/health']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/health+json');
      expect(await response.json()).toEqual({ status: 'pass' });
    }
    expect(await (await fetch(`${url}/hello`)).json()).toEqual({ hello: 'world' });
    expect(middleware.health.lifecycle).toBe(lifecycle);
    await middleware.health.close();
  });

  it('answers HEAD without a body and 503 while draining', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    lifecycle.beginDrain();
    const app = express();
    app.use(healthcheck({ lifecycle }));
    const url = await listen(app);
    const head = await fetch(`${url}/health/ready`, { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(head.headers.get('content-length')).toBe(String('{"status":"fail"}'.length));
    expect(await head.text()).toBe('');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });

  it('serves configured paths under a mount point, from a Health made with createHealth()', async () => {
    const lifecycle = new Lifecycle();
    const health = createHealth({ lifecycle, paths: { readiness: '/readyz', health: false } });
    const app = express();
    app.use('/ops', healthcheck(health));
    app.use((_req, res) => {
      res.status(404).send('nope');
    });
    const url = await listen(app);
    expect((await fetch(`${url}/ops/readyz`)).status).toBe(503);
    expect((await fetch(`${url}/ops/health`)).status).toBe(404);
    expect((await fetch(`${url}/readyz`)).status).toBe(404);
    await health.close();
  });

  it('answers 405 to other methods on probe paths and keeps POST on other paths working', async () => {
    const app = express();
    app.use(healthcheck({ lifecycle: new Lifecycle() }));
    app.post('/items', (_req, res) => {
      res.status(201).end();
    });
    const url = await listen(app);
    const post = await fetch(`${url}/health/ready`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${url}/items`, { method: 'POST' })).status).toBe(201);
  });

  it('answers named probes with their own status codes, body and Retry-After on a failing readiness', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const app = express();
    const middleware = healthcheck({
      lifecycle,
      cacheMs: 2_000,
      checks: { api: () => false },
      probes: { '/health/db': () => true },
      statusCodes: { fail: 500 },
    });
    app.use(middleware);
    const url = await listen(app);
    const db = await fetch(`${url}/health/db`);
    expect(db.status).toBe(200);
    expect(await db.json()).toEqual({ status: 'pass' });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(500);
    expect(ready.headers.get('retry-after')).toBe('2');
    await middleware.health.close();
  });
});
