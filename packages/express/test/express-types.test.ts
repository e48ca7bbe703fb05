// The adapters' declarations use node:http types only, and still mount with @types/express 5's app.use() and app.get().
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { clientIp, healthcheck, loadShedding, metricsHandler, orcaLoadReport } from '@lbkit/express';
import express, { type RequestHandler } from 'express';
import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';

describe('@lbkit/express types against @types/express 5', () => {
  it('every middleware is an Express RequestHandler, and req.clientIp is typed on Express requests', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const shedding = loadShedding({ lifecycle, concurrencyLimit: 10 });
    const health = healthcheck({ lifecycle });
    const app = express();
    // Each line is also a compile-time check: tsconfig.test.json type-checks this file.
    app.use(shedding);
    app.use(health);
    app.use(clientIp({ trust: 'loopback' }));
    app.use(orcaLoadReport({ lifecycle, shedder: shedding.shedder }));
    app.get('/metrics', metricsHandler({ lifecycle, registry: new Registry() }));
    app.get('/who', (req, res) => {
      expectTypeOf(req.clientIp).toEqualTypeOf<string | undefined>();
      res.json({ ip: req.clientIp });
    });
    expectTypeOf(health).toExtend<RequestHandler>();
    expectTypeOf(shedding).toExtend<RequestHandler>();
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/who`)).json()).toEqual({ ip: '127.0.0.1' });
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      server.close();
      shedding.shedder.close();
      await health.health.close();
    }
  });
});
