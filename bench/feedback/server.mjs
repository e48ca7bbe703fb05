// Express apps for bench/feedback, in their own process: a bare route, the same route with the ORCA header, and /metrics.
import { Lifecycle } from '@lbkit/core';
import { healthcheck, loadShedding, metricsHandler, orcaLoadReport } from '@lbkit/express';
import express from 'express';
import { Registry } from 'prom-client';

const lifecycle = new Lifecycle();
const shedding = loadShedding({ lifecycle });
const probes = healthcheck({ lifecycle, checks: [{ name: 'db:ping', check: () => true }] });

const bare = express();
bare.get('/bare', (_req, res) => res.json({ ok: true }));

const orca = express();
orca.use(orcaLoadReport({ lifecycle, shedder: shedding.shedder }));
orca.get('/bare', (_req, res) => res.json({ ok: true }));

const scraped = express();
scraped.use(shedding);
scraped.use(probes);
scraped.get(
  '/metrics',
  metricsHandler({ registry: new Registry(), lifecycle, shedder: shedding.shedder, health: probes.health }),
);

const listen = (app) =>
  new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
    lifecycle.inFlight.attach(server);
  });
const ports = { bare: await listen(bare), orca: await listen(orca), metrics: await listen(scraped) };
lifecycle.markReady();
await probes.health.report('readiness');
process.send({ ports });
