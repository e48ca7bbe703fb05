// Each adapter takes options or an object made elsewhere, recognised by its brand even when another copy of the package made it (issue #14).
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { clientIp, healthcheck, loadShedding, metricsHandler, orcaLoadReport } from '@lbkit/express';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

/**
 * A second evaluation of a package's source file: its classes are not the ones the adapters import,
 * as with two installs of a package in one node_modules tree, so `instanceof` would fail.
 */
function secondCopy<M>(path: string): Promise<M> {
  return import(`${path}?second-copy`) as Promise<M>;
}

const health = () => secondCopy<typeof import('../../health/src/health.js')>('../../health/src/health.js');
const shedding = () =>
  secondCopy<typeof import('../../shedding/src/load-shedder.js')>('../../shedding/src/load-shedder.js');
const metrics = () =>
  secondCopy<typeof import('../../metrics/src/metrics.js')>('../../metrics/src/metrics.js');
const orca = () =>
  secondCopy<typeof import('../../balancer-feedback/src/orca.js')>('../../balancer-feedback/src/orca.js');
const resolver = () =>
  secondCopy<typeof import('../../client-ip/src/resolver.js')>('../../client-ip/src/resolver.js');

describe('objects made by another copy of a package', () => {
  it('are what the adapters use, not options to build from', async () => {
    const lifecycle = new Lifecycle();
    const probes = (await health()).createHealth({ lifecycle });
    const shedder = new (await shedding()).LoadShedder({ lifecycle });
    const scrape = (await metrics()).createMetrics({ registry: new Registry(), lifecycle });
    const report = (await orca()).createLoadReport({ lifecycle, processUsage: false });
    const clients = (await resolver()).createClientIpResolver({ trust: 'loopback' });
    try {
      expect(healthcheck(probes).health).toBe(probes);
      expect(loadShedding(shedder).shedder).toBe(shedder);
      expect(metricsHandler(scrape).metrics).toBe(scrape);
      expect(orcaLoadReport(report).loadReport).toBe(report);
      expect(() => clientIp(clients)).not.toThrow();
    } finally {
      scrape.close();
      shedder.close();
      await probes.close();
    }
  });
});

describe.each(expressVersions)('on %s', (_version, express) => {
  it('clientIp() with a shared resolver sets req.clientIp from the trusted chain', async () => {
    const clients = (await resolver()).createClientIpResolver({ trust: 'loopback' });
    const app = express();
    app.use(clientIp(clients));
    app.get('/', (req, res) => {
      res.json({ ip: req.clientIp });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(await res.json()).toEqual({ ip: '203.0.113.7' });
    } finally {
      server.close();
    }
  });
});
