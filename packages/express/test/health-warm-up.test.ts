// healthcheck()'s warmUp option on Express: health.warmUp(server) requests the app's routes before it is ready.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { healthcheck } from '@lbkit/express';
import express from 'express';
import { describe, expect, it } from 'vitest';

describe('Express healthcheck() warmUp', () => {
  it('defers ready until the self-requests of the given routes have hit the app', async () => {
    const lifecycle = new Lifecycle();
    const app = express();
    const probes = healthcheck({ lifecycle, warmUp: { routes: ['/hello?key=1', '/hello?key=2'] } });
    app.use(probes);
    const seen: string[] = [];
    app.get('/hello', (req, res) => {
      seen.push(String(req.query.key));
      res.json({ hello: 'world' });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    lifecycle.markReady('listening');
    expect(lifecycle.state).toBe('starting');
    const outcome = await probes.health.warmUp(server);
    expect(outcome.status).toBe('pass');
    expect(seen.sort()).toEqual(['1', '2']);
    expect(lifecycle.state).toBe('ready');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await probes.health.close();
  });
});
