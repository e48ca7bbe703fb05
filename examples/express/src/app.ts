// The demo application on Express: the routes of shared/CONTRACT.md wired to every lbkit package.

import { type AgentCheck, createAgentCheck } from '@lbkit/balancer-feedback';
import {
  clientIp,
  healthcheck,
  loadShedding,
  type MetricsHandler,
  metricsHandler,
  orcaLoadReport,
} from '@lbkit/express';
import { createHealth, eventLoopDelayCheck, type Health, heapCheck } from '@lbkit/health';
import { overloadCheck } from '@lbkit/shedding';
import {
  burnCpu,
  connectBackends,
  type DemoAppOptions,
  localCallersOnly,
  parseMs,
  prefersHtml,
  routeIndex,
  routeIndexHtml,
  WEB_SOCKET_PATH,
  wait,
} from '@lbkit-examples/shared';
import express, { type Express } from 'express';
import session from 'express-session';
import { Registry } from 'prom-client';

declare module 'express-session' {
  interface SessionData {
    views?: number;
    [key: string]: unknown;
  }
}

export type { DemoAppOptions, DemoHealthOptions } from '@lbkit-examples/shared';

/** A built demo app and the resources it holds, closed by `close()`. */
export interface DemoApp {
  readonly app: Express;
  /** Its Prometheus metrics (a registry of its own): `metrics.observe({ shutdown })` once the shutdown exists. */
  readonly metrics: MetricsHandler['metrics'];
  /** Its probes (the live demo page reads readiness from here). */
  readonly health: Health;
  /** The HAProxy agent-check responder, listening on AGENT_CHECK_PORT when set. */
  readonly agentCheck: AgentCheck | undefined;
  close(): Promise<void>;
}

/**
 * The express module the app is built with: Express 5 (the default) or Express 4, so the contract
 * tests run the same demo on both (`import express4 from 'express4'`, an npm alias of express@4).
 */
export type ExpressModule = typeof express;

/** Builds the Express demo app, on `framework` (default: the `express` package, Express 5). */
export async function createApp(
  { config, lifecycle, health: healthOptions, shedding: sheddingOptions }: DemoAppOptions,
  framework: ExpressModule = express,
): Promise<DemoApp> {
  const app = framework();
  app.disable('x-powered-by');
  // Before anything else, so a shed request costs no session lookup or body parsing; /health/* and
  // /metrics are exempt, liveness is never shed.
  const shedding = sheddingOptions === false ? undefined : loadShedding({ ...sheddingOptions, lifecycle });
  if (shedding) app.use(shedding);
  // ORCA load report (endpoint-load-metrics) on every response, for balancers that read it (Envoy).
  app.use(orcaLoadReport({ lifecycle, shedder: shedding?.shedder, slowStartMs: config.slowStartMs }));
  // Its own TCP listener, answering from the same lifecycle and shedder; it says `drain` while the
  // instance drains and closes with the app, after the drain.
  const agentCheck =
    config.agentCheckPort === undefined
      ? undefined
      : createAgentCheck({
          lifecycle,
          shedder: shedding?.shedder,
          port: config.agentCheckPort,
          host: config.host,
          slowStartMs: config.slowStartMs,
        });
  await agentCheck?.listen();

  const backends = connectBackends(config);
  const { sessionStore } = backends;

  const health = createHealth({
    lifecycle,
    checks: [
      ...backends.checks,
      heapCheck(),
      eventLoopDelayCheck(),
      // Shedding sustained for 10 s turns readiness to warn (HTTP stays 200); liveness never runs checks.
      ...(shedding ? [overloadCheck(shedding.shedder)] : []),
      ...(healthOptions?.extraChecks ?? []),
    ],
    // Details for callers on this host only, judged on the resolved client address (a balancer on
    // this host forwards public traffic from loopback too), or for callers sending the token.
    trustedNetworks: healthOptions?.trustedNetworks ?? [],
    allowDetails: healthOptions?.trustedNetworks ? undefined : localCallersOnly(config),
    token: healthOptions?.token,
    cacheMs: healthOptions?.cacheMs,
    serviceId: config.instanceId,
  });
  // Before sessions and body parsing, so probes skip both (and they are exempt from shedding).
  app.use(healthcheck(health));
  // Also ahead of sessions and body parsing, and exempt from shedding. A registry per app: tests run several in one process.
  const scrape = metricsHandler({
    registry: new Registry(),
    lifecycle,
    shedder: shedding?.shedder,
    health,
    sessionStore,
  });
  app.get('/metrics', scrape);
  // Ahead of sessions: neither route reads one.
  app.get('/', (req, res) => {
    res.vary('Accept');
    if (prefersHtml(req.get('accept'))) res.type('html').send(routeIndexHtml(config.instanceId));
    else res.json(routeIndex(config.instanceId));
  });

  // The upgrade itself is answered on the server's upgrade event (main.ts); a plain GET lands here.
  app.get(WEB_SOCKET_PATH, (_req, res) => {
    res.status(426).set('Upgrade', 'websocket').json({ error: 'GET /ws is a WebSocket upgrade' });
  });

  // Trust and source come from LBKIT_TRUST / LBKIT_IP_SOURCE; misconfiguration throws here, at startup.
  app.use(clientIp({ trust: config.trust, source: config.ipSource }));

  app.use(
    session({
      secret: config.sessionSecret,
      store: sessionStore,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );

  app.get('/whoami', (req, res) => {
    res.json({
      ip: req.clientInfo?.ip,
      proto: req.clientInfo?.proto,
      host: req.clientInfo?.host,
      instance: config.instanceId,
      pid: process.pid,
    });
  });

  // Session routes save before answering: express-session's implicit save runs after the status line
  // is sent, so a failed save (Redis down) would otherwise still answer 200; this way it answers 503.
  app.get('/session', (req, res, next) => {
    req.session.views = (req.session.views ?? 0) + 1;
    req.session.save((error) => {
      if (error) next(error);
      else res.json({ views: req.session.views, instance: config.instanceId });
    });
  });

  app.post('/session/:key', framework.json({ limit: '16kb' }), (req, res, next) => {
    const key = req.params.key;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(key) || key === 'cookie') {
      res.status(400).json({ error: 'key must be 1-64 of A-Z a-z 0-9 _ -' });
      return;
    }
    req.session[key] = req.body;
    const { cookie: _cookie, ...data } = req.session;
    req.session.save((error) => {
      if (error) next(error);
      else res.json(data);
    });
  });

  app.get('/slow', async (req, res) => {
    const ms = parseMs(req.query.ms);
    if (ms === undefined) {
      res.status(400).json({ error: 'ms must be a whole number from 0 to 60000' });
      return;
    }
    await wait(ms);
    res.json({ ms, instance: config.instanceId });
  });

  app.get('/work', (req, res) => {
    const ms = parseMs(req.query.ms);
    if (ms === undefined) {
      res.status(400).json({ error: 'ms must be a whole number from 0 to 60000' });
      return;
    }
    burnCpu(ms);
    res.json({ ms, instance: config.instanceId });
  });

  return {
    app,
    metrics: scrape.metrics,
    health,
    agentCheck,
    close: async () => {
      await agentCheck?.close();
      scrape.metrics.close();
      shedding?.shedder.close();
      await health.close();
      await backends.close();
    },
  };
}
