// The demo application on Fastify: the routes of shared/CONTRACT.md wired to every lbkit package.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import {
  balancerFeedbackPlugin,
  clientIpPlugin,
  healthPlugin,
  metricsPlugin,
  sheddingPlugin,
} from '@lbkit/fastify';
import { eventLoopDelayCheck, heapCheck } from '@lbkit/health';
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
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';

declare module 'fastify' {
  interface Session {
    views?: number;
    [key: string]: unknown;
  }
}

export type { DemoAppOptions, DemoHealthOptions } from '@lbkit-examples/shared';

/** A built demo app; `app.close()` releases everything it holds. */
export interface DemoApp {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

const msQuery = {
  querystring: {
    type: 'object',
    properties: { ms: { type: 'string', pattern: '^[0-9]{1,6}$' } },
    required: ['ms'],
  },
} as const;

/** Builds the Fastify demo app (not listening yet). */
export async function createApp({
  config,
  lifecycle,
  health: healthOptions,
  shedding: sheddingOptions,
}: DemoAppOptions): Promise<DemoApp> {
  const app = Fastify({ logger: false });
  // Registered first, so its onRequest hook sheds before any other hook or body parsing; /health/*
  // and /metrics are exempt, liveness is never shed. It closes its shedder in onClose.
  if (sheddingOptions !== false) await app.register(sheddingPlugin, { ...sheddingOptions, lifecycle });
  // ORCA load report (endpoint-load-metrics) on every response, read from the shedder above (Envoy reads it),
  // and the HAProxy agent-check responder on AGENT_CHECK_PORT: listening from onReady, closed in onClose,
  // which the shutdown plugin runs after the drain, so the agent says `drain` while the instance drains.
  await app.register(balancerFeedbackPlugin, {
    lifecycle,
    loadReport: { slowStartMs: config.slowStartMs },
    agentCheck:
      config.agentCheckPort === undefined
        ? undefined
        : { port: config.agentCheckPort, host: config.host, slowStartMs: config.slowStartMs },
  });

  const backends = connectBackends(config);
  const { sessionStore } = backends;
  app.addHook('onClose', async function closeBackends() {
    await backends.close();
  });

  // The plugin closes its checks in onClose; its routes carry config.lbkit.probe for hooks that must skip probes.
  await app.register(healthPlugin, {
    lifecycle,
    checks: [
      ...backends.checks,
      heapCheck(),
      eventLoopDelayCheck(),
      // Shedding sustained for 10 s turns readiness to warn (HTTP stays 200); liveness never runs checks.
      ...(sheddingOptions !== false ? [overloadCheck(app.loadShedder)] : []),
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

  // GET /metrics (exempt from shedding) observes the shedder and probes registered above; a registry
  // per app, since tests run several in one process. `app.lbkitMetrics.observe({ shutdown })` in main.ts.
  await app.register(metricsPlugin, { registry: new Registry(), lifecycle, sessionStore });

  // Trust and source come from LBKIT_TRUST / LBKIT_IP_SOURCE; misconfiguration throws here, at startup.
  await app.register(clientIpPlugin, { trust: config.trust, source: config.ipSource });

  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: config.sessionSecret,
    store: sessionStore,
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  });

  app.get('/', async (request, reply) => {
    reply.header('vary', 'Accept');
    if (prefersHtml(request.headers.accept))
      return reply.type('text/html; charset=utf-8').send(routeIndexHtml(config.instanceId));
    return routeIndex(config.instanceId);
  });

  // The upgrade itself is answered on the server's upgrade event (main.ts); a plain GET lands here.
  app.get(WEB_SOCKET_PATH, async (_request, reply) =>
    reply.code(426).header('upgrade', 'websocket').send({ error: 'GET /ws is a WebSocket upgrade' }),
  );

  app.get('/whoami', async (request) => ({
    ip: request.clientInfo.ip,
    proto: request.clientInfo.proto,
    host: request.clientInfo.host,
    instance: config.instanceId,
    pid: process.pid,
  }));

  app.get('/session', async (request) => {
    const views = (request.session.get('views') ?? 0) + 1;
    request.session.set('views', views);
    return { views, instance: config.instanceId };
  });

  app.post<{ Params: { key: string } }>(
    '/session/:key',
    {
      bodyLimit: 16 * 1024,
      schema: {
        params: { type: 'object', properties: { key: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } } },
      },
    },
    async (request, reply) => {
      const { key } = request.params;
      if (key === 'cookie') return reply.code(400).send({ error: 'key must not be cookie' });
      request.session.set(key, request.body);
      // @fastify/session keeps the data as the session object's own enumerable keys, beside `cookie`.
      return Object.fromEntries(Object.entries(request.session).filter(([name]) => name !== 'cookie'));
    },
  );

  app.get<{ Querystring: { ms: string } }>('/slow', { schema: msQuery }, async (request, reply) => {
    const ms = parseMs(request.query.ms);
    if (ms === undefined) return reply.code(400).send({ error: 'ms must be a whole number from 0 to 60000' });
    await wait(ms);
    return { ms, instance: config.instanceId };
  });

  app.get<{ Querystring: { ms: string } }>('/work', { schema: msQuery }, async (request, reply) => {
    const ms = parseMs(request.query.ms);
    if (ms === undefined) return reply.code(400).send({ error: 'ms must be a whole number from 0 to 60000' });
    burnCpu(ms);
    return { ms, instance: config.instanceId };
  });

  return { app, close: () => app.close() };
}
