// The demo application on Express: the routes of shared/CONTRACT.md wired to every lbkit package.

import type { Lifecycle } from '@lbkit/core';
import {
  clientIp,
  healthcheck,
  loadShedding,
  type MetricsHandler,
  metricsHandler,
  orcaLoadReport,
} from '@lbkit/express';
import {
  createHealth,
  eventLoopDelayCheck,
  type Health,
  type HealthCheckInput,
  heapCheck,
  postgresCheck,
  redisCheck,
} from '@lbkit/health';
import { RedisSessionStore } from '@lbkit/session-redis';
import { type LoadSheddingOptions, overloadCheck } from '@lbkit/shedding';
import { burnCpu, type DemoConfig, localCallersOnly, parseMs, wait } from '@lbkit-examples/shared';
import express, { type Express } from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';

declare module 'express-session' {
  interface SessionData {
    views?: number;
    [key: string]: unknown;
  }
}

/** What a demo instance needs: its configuration and the lifecycle of its process. */
export interface DemoAppOptions {
  readonly config: DemoConfig;
  readonly lifecycle: Lifecycle;
  /** Health settings beyond the environment, for tests and embedding. */
  readonly health?: DemoHealthOptions;
  /** Load-shedding options (the lifecycle is filled in), or `false` for none (benchmarks compare). */
  readonly shedding?: Omit<LoadSheddingOptions, 'lifecycle'> | false;
}

/** Extra health checks and who may read the detailed report (default: this host's own loopback address). */
export interface DemoHealthOptions {
  readonly extraChecks?: readonly HealthCheckInput[];
  /** How long check results are reused (default 1000 ms). */
  readonly cacheMs?: number;
  readonly token?: string;
  readonly trustedNetworks?: readonly string[];
}

/** A built demo app and the resources it holds, closed by `close()`. */
export interface DemoApp {
  readonly app: Express;
  /** Its Prometheus metrics (a registry of its own): `metrics.observe({ shutdown })` once the shutdown exists. */
  readonly metrics: MetricsHandler['metrics'];
  /** Its probes (the live demo page reads readiness from here). */
  readonly health: Health;
  close(): Promise<void>;
}

/** Builds the Express demo app. */
export async function createApp({
  config,
  lifecycle,
  health: healthOptions,
  shedding: sheddingOptions,
}: DemoAppOptions): Promise<DemoApp> {
  const app = express();
  app.disable('x-powered-by');
  // Before anything else, so a shed request costs no session lookup or body parsing; /health/* and
  // /metrics are exempt, liveness is never shed.
  const shedding = sheddingOptions === false ? undefined : loadShedding({ ...sheddingOptions, lifecycle });
  if (shedding) app.use(shedding);
  // ORCA load report (endpoint-load-metrics) on every response, for balancers that read it (Envoy).
  app.use(orcaLoadReport({ lifecycle, shedder: shedding?.shedder }));

  // Shared Redis client (sessions and the health check); lazyConnect so a Redis outage never blocks startup.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        lazyConnect: true,
        connectTimeout: 2000,
        maxRetriesPerRequest: 1,
        commandTimeout: 1000,
      })
    : undefined;
  // Sessions shared by every instance; while Redis is down, session routes answer 503 (failMode 'closed').
  const sessionStore = redis ? new RedisSessionStore({ client: redis, commandTimeoutMs: 1000 }) : undefined;
  // Connection errors surface through the readiness check; without a listener ioredis would log each one.
  redis?.on('error', () => {});
  const database = config.databaseUrl
    ? new pg.Pool({ connectionString: config.databaseUrl, max: 4, connectionTimeoutMillis: 2000 })
    : undefined;
  // An idle client losing its connection emits 'error' on the pool, which would otherwise crash the process.
  database?.on('error', () => {});

  const health = createHealth({
    lifecycle,
    checks: [
      ...(redis ? [redisCheck(redis)] : []),
      ...(database ? [postgresCheck(database)] : []),
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
  // Trust and source come from LBKIT_TRUST / LBKIT_IP_SOURCE; misconfiguration throws here, at startup.
  app.use(clientIp({ trust: config.trust, source: config.ipSource }));

  if (!config.redisUrl) console.warn('REDIS_URL is not set: sessions are kept in memory, per instance');
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

  app.post('/session/:key', express.json({ limit: '16kb' }), (req, res, next) => {
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
    close: async () => {
      scrape.metrics.close();
      shedding?.shedder.close();
      await health.close();
      sessionStore?.close();
      redis?.disconnect();
      await database?.end();
    },
  };
}
