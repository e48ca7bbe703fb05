// orcaLoadReport(): the ORCA load header on Express responses.
import type { AddressInfo } from 'node:net';
import { createLoadReport, ORCA_HEADER } from '@lbkit/balancer-feedback';
import { Lifecycle } from '@lbkit/core';
import { loadShedding, orcaLoadReport } from '@lbkit/express';
import type express from 'express';
import { describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

async function serve(app: express.Express): Promise<{ url: string; close: () => void }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

describe.each(expressVersions)('Express orcaLoadReport on %s', (_version, express) => {
  it('adds endpoint-load-metrics with the shedder limit and in-flight count to every response', async () => {
    const lifecycle = new Lifecycle();
    const shedding = loadShedding({ lifecycle, concurrencyLimit: 8, queue: false });
    const app = express();
    app.use(shedding);
    app.use(orcaLoadReport({ lifecycle, shedder: shedding.shedder, processUsage: false }));
    app.get('/hello', (_req, res) => {
      res.json({ ok: true });
    });
    const { url, close } = await serve(app);
    try {
      const res = await fetch(`${url}/hello`);
      expect(res.status).toBe(200);
      // The request carrying the header holds one of eight slots.
      expect(res.headers.get(ORCA_HEADER)).toBe(
        'TEXT application_utilization=0.125, named_metrics.in_flight=1, named_metrics.queued=0, named_metrics.concurrency_limit=8',
      );
      const missing = await fetch(`${url}/nothing-here`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get(ORCA_HEADER)).toMatch(/^TEXT /);
    } finally {
      close();
      shedding.shedder.close();
    }
  });

  it('passes on a response an earlier middleware already answered, without an error', async () => {
    const app = express();
    const errors: unknown[] = [];
    app.use((_req, res, next) => {
      res.json({ early: true });
      next();
    });
    app.use(orcaLoadReport({ lifecycle: new Lifecycle(), processUsage: false }));
    app.use((_req, _res, next) => next());
    app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      errors.push(error);
      next(error);
    });
    const { url, close } = await serve(app);
    try {
      const res = await fetch(`${url}/hello`);
      expect(await res.json()).toEqual({ early: true });
      expect(res.headers.get(ORCA_HEADER)).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      close();
    }
  });

  it('accepts a reporter made with createLoadReport and exposes it', () => {
    const loadReport = createLoadReport({ lifecycle: new Lifecycle(), processUsage: false });
    expect(orcaLoadReport(loadReport).loadReport).toBe(loadReport);
  });
});
