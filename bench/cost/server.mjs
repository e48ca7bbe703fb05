// One server for bench/cost: GET /hello on FRAMEWORK (fastify | express) with the kit or anchor named by VARIANT,
// configured as the demo apps configure it; it reports its own CPU time between the parent's 'start' and 'stop'.
import { Lifecycle } from '@lbkit/core';

const framework = process.env.FRAMEWORK ?? 'fastify';
const variant = process.env.VARIANT ?? 'bare';
const host = '127.0.0.1';
const lifecycle = new Lifecycle();
// What the demo apps' shutdown options hold (examples/shared/src/serve.ts), without the log lines.
const shutdownOptions = { lifecycle, drainDelayMs: 0, drainTimeoutMs: 10_000, hooks: [], webSockets: [] };
const hello = { hello: 'world' };
// The four thresholds of the under-pressure variant, and of lbkit's thresholds-only shedder beside it.
const UNDER_PRESSURE = {
  eventLoopDelayMs: 1000,
  heapUsedBytes: 1024 ** 4,
  rssBytes: 1024 ** 4,
  eventLoopUtilization: 0.98,
};
// toobusy-js's default: shed above 70 ms of event-loop lag.
const TOOBUSY = { eventLoopDelayMs: 70 };

async function demoHealthOptions() {
  const { eventLoopDelayCheck, heapCheck } = await import('@lbkit/health');
  return { lifecycle, checks: [heapCheck(), eventLoopDelayCheck()], trustedNetworks: [], serviceId: 'cost' };
}

async function fastifyServer() {
  const { default: Fastify } = await import('fastify');
  const kit = await import('@lbkit/fastify');
  const app = Fastify({ logger: false });
  const has = (name) => variant === name || variant === 'all';
  if (variant === 'under-pressure') {
    const { default: underPressure } = await import('@fastify/under-pressure');
    await app.register(underPressure, {
      maxEventLoopDelay: UNDER_PRESSURE.eventLoopDelayMs,
      maxHeapUsedBytes: UNDER_PRESSURE.heapUsedBytes,
      maxRssBytes: UNDER_PRESSURE.rssBytes,
      maxEventLoopUtilization: UNDER_PRESSURE.eventLoopUtilization,
    });
  }
  // Not in run.mjs's list: what one empty hook costs, the floor of any per-request hook (instructions.mjs).
  if (variant === 'noop-hook') {
    app.addHook('onRequest', function noop(_request, _reply, done) {
      done();
    });
  }
  // The floor of the ORCA header: an empty hook that sets a constant header of the same length.
  if (variant === 'constant-header') {
    const text =
      'TEXT cpu_utilization=0.0123, mem_utilization=0.0123, named_metrics.in_flight=0, named_metrics.queued=0';
    app.addHook('onRequest', function constantHeader(_request, reply, done) {
      reply.header('endpoint-load-metrics', text);
      done();
    });
  }
  // The demo's order (examples/fastify/src/app.ts): shedding, balancer feedback, health, client-ip, routes, shutdown.
  if (has('shedding')) await app.register(kit.sheddingPlugin, { lifecycle });
  // Not in run.mjs's list: the shedder with its signals sampled once a minute (instructions.mjs). Under valgrind
  // a request lasts ~100x longer, so the 100 ms sampling timer would be charged to every request; this shows
  // the per-request work alone.
  if (variant === 'shedding-unsampled') {
    await app.register(kit.sheddingPlugin, { lifecycle, signals: { intervalMs: 60_000 } });
  }
  // under-pressure's model in lbkit: thresholds, no concurrency limit (README, "Migrating"). Not the
  // utilization one: lbkit reads it per interval, so a saturated hello route trips 0.98, where
  // under-pressure's cumulative reading does not. The number of thresholds costs nothing per request.
  if (variant === 'shedding-thresholds') {
    const { eventLoopUtilization: _, ...thresholds } = UNDER_PRESSURE;
    // Sampled as under-pressure samples by default (sampleInterval: 1000).
    const signals = { intervalMs: 1000 };
    await app.register(kit.sheddingPlugin, { lifecycle, concurrencyLimit: false, thresholds, signals });
  }
  if (has('feedback')) await app.register(kit.balancerFeedbackPlugin, { lifecycle, loadReport: {} });
  if (has('health')) await app.register(kit.healthPlugin, await demoHealthOptions());
  if (has('client-ip'))
    await app.register(kit.clientIpPlugin, { trust: 'loopback', source: 'x-forwarded-for' });
  app.get('/hello', async () => hello);
  if (has('shutdown')) await app.register(kit.shutdownPlugin, shutdownOptions);
  await app.listen({ port: 0, host });
  return app.server;
}

async function expressServer() {
  const { default: express } = await import('express');
  const kit = await import('@lbkit/express');
  const app = express();
  app.disable('x-powered-by');
  const has = (name) => variant === name || variant === 'all';
  if (variant === 'toobusy') {
    const { default: toobusy } = await import('toobusy-js');
    app.use(function tooBusy(_req, res, next) {
      if (toobusy()) res.status(503).send("I'm busy right now, sorry.");
      else next();
    });
  }
  if (variant === 'noop-middleware') {
    app.use(function noop(_req, _res, next) {
      next();
    });
  }
  // The floor of the ORCA header: an empty middleware that sets a constant header of the same length.
  if (variant === 'constant-header') {
    const text =
      'TEXT cpu_utilization=0.0123, mem_utilization=0.0123, named_metrics.in_flight=0, named_metrics.queued=0';
    app.use(function constantHeader(_req, res, next) {
      res.setHeader('endpoint-load-metrics', text);
      next();
    });
  }
  // The demo's order (examples/express/src/app.ts): shedding, ORCA, health, client-ip, routes.
  const shedding = has('shedding') ? kit.loadShedding({ lifecycle }) : undefined;
  if (shedding) app.use(shedding);
  // toobusy-js's model in lbkit: its one threshold, no concurrency limit.
  if (variant === 'shedding-thresholds') {
    // Sampled as toobusy-js samples by default (interval: 500).
    const signals = { intervalMs: 500 };
    app.use(kit.loadShedding({ lifecycle, concurrencyLimit: false, thresholds: TOOBUSY, signals }));
  }
  if (has('feedback')) app.use(kit.orcaLoadReport({ lifecycle, shedder: shedding?.shedder }));
  if (has('health')) {
    const { createHealth } = await import('@lbkit/health');
    app.use(kit.healthcheck(createHealth(await demoHealthOptions())));
  }
  if (has('client-ip')) app.use(kit.clientIp({ trust: 'loopback', source: 'x-forwarded-for' }));
  app.get('/hello', (_req, res) => {
    res.json(hello);
  });
  const server = app.listen(0, host);
  await new Promise((resolve) => server.once('listening', resolve));
  if (has('shutdown')) kit.gracefulShutdown(server, shutdownOptions);
  if (variant === 'terminus') {
    const { createTerminus } = await import('@godaddy/terminus');
    createTerminus(server, { signals: ['SIGTERM', 'SIGINT'], timeout: 10_000 });
  }
  if (variant === 'http-terminator') {
    const { createHttpTerminator } = await import('http-terminator');
    const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: 10_000 });
    process.once('SIGTERM', () => terminator.terminate().then(() => process.exit(0)));
  }
  return server;
}

const server = framework === 'express' ? await expressServer() : await fastifyServer();
lifecycle.markReady();
let from;
process.on('message', (message) => {
  if (message === 'start') from = process.cpuUsage();
  else if (message === 'stop') {
    const used = process.cpuUsage(from);
    process.send({ cpuUs: used.user + used.system }, () => process.exit(0));
  }
});
process.send({ port: server.address().port });
