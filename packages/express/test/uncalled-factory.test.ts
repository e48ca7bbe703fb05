// Mounted without being called (`app.use(healthcheck)`), every @lbkit/express factory answers the request with a coded 500 instead of hanging.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LbkitError } from '@lbkit/core';
import * as adapters from '@lbkit/express';
import type { ErrorRequestHandler } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

// proxyProtocolInfo takes a request by design (it reads the PROXY header of the request's
// connection); it is no factory, so it has no guard.
const factories = Object.entries(adapters).filter(
  ([name, value]) => typeof value === 'function' && name !== 'proxyProtocolInfo',
) as [string, (...args: unknown[]) => unknown][];

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

describe('the un-called factory guard', () => {
  it('covers every function @lbkit/express exports', () => {
    expect(factories.map(([name]) => name).sort()).toEqual([
      'acceptProxyProtocol',
      'clientIp',
      'clusterPrimary',
      'gracefulShutdown',
      'healthcheck',
      'loadShedding',
      'metricsHandler',
      'orcaLoadReport',
      'otelMetrics',
    ]);
  });

  describe.each(expressVersions)('on %s', (_version, makeApp) => {
    it.each(factories)(
      'app.use(%s) answers 500 and hands LBKIT_EXPRESS_FACTORY_NOT_CALLED to the error handler',
      async (name, factory) => {
        const app = makeApp();
        app.use(factory as never);
        app.get('/', (_req, res) => {
          res.send('not reached');
        });
        const seen: LbkitError[] = [];
        const onError: ErrorRequestHandler = (error, _req, res, _next) => {
          seen.push(error);
          res.status(500).json({ code: error.code });
        };
        app.use(onError);
        server = app.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
          // Before the guard, app.use(healthcheck) left the request open forever.
          signal: AbortSignal.timeout(5000),
        });
        expect(response.status).toBe(500);
        expect(await response.json()).toEqual({ code: 'LBKIT_EXPRESS_FACTORY_NOT_CALLED' });
        expect(seen).toHaveLength(1);
        expect(seen[0]?.code).toBe('LBKIT_EXPRESS_FACTORY_NOT_CALLED');
        expect(seen[0]?.message).toContain(`${name} was mounted without being called`);
        expect(seen[0]?.hint).toContain(`app.use(${name}({ ... }))`);
      },
    );
  });
});
