// A small app for the outage tests: sessions plus readiness (@lbkit/health with a Redis check), on each framework.
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { Lifecycle } from '@lbkit/core';
import { healthcheck } from '@lbkit/express';
import { healthPlugin } from '@lbkit/fastify';
import { createHealth, redisCheck } from '@lbkit/health';
import type { RedisSessionStore } from '@lbkit/session-redis';
import express from 'express';
import session from 'express-session';
import Fastify from 'fastify';

const SECRET = 'lbkit-session-redis-test-secret-0123456789';

/** A listening app: POST /count?n=N stores n, GET /read answers it; both say whether a session existed. */
export interface OutageApp {
  readonly url: string;
  readonly cookieName: string;
  close(): Promise<void>;
}

function health(client: object) {
  const lifecycle = new Lifecycle();
  lifecycle.markReady();
  return createHealth({ lifecycle, checks: [redisCheck(client)], cacheMs: 0, timeoutMs: 500 });
}

export async function expressOutageApp(store: RedisSessionStore, client: object): Promise<OutageApp> {
  const app = express();
  app.use(healthcheck(health(client)));
  app.use(
    session({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 } }),
  );
  app.post('/count', (req, res, next) => {
    // In fail-open mode express-session serves requests without req.session while Redis is down.
    if (!req.session) {
      res.json({ session: false });
      return;
    }
    (req.session as unknown as { n: number }).n = Number(req.query.n);
    // Saving before answering: express-session's implicit save runs after the status line is
    // sent, so a failed save would still have answered 200.
    req.session.save((error) => {
      if (error) next(error);
      else res.json({ session: true });
    });
  });
  app.get('/read', (req, res) => {
    res.json({ session: Boolean(req.session), n: (req.session as unknown as { n?: number })?.n ?? null });
  });
  // The store's errors carry statusCode 503 (and Retry-After); Express's final handler would use them
  // too, this handler only keeps the body JSON for the test.
  app.use(
    (
      error: { statusCode?: number; code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(error.statusCode ?? 500).json({ code: error.code });
    },
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cookieName: 'connect.sid',
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function fastifyOutageApp(store: RedisSessionStore, client: object): Promise<OutageApp> {
  const app = Fastify({ logger: false });
  await app.register(healthPlugin, { health: health(client) });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SECRET,
    store,
    saveUninitialized: false,
    cookie: { secure: false, maxAge: 600_000 },
  });
  // Fastify's default error handler answers with the store error's statusCode (503) as well.
  app.post<{ Querystring: { n: string } }>('/count', async (request) => {
    request.session.set('n' as never, Number(request.query.n) as never);
    return { session: true };
  });
  app.get('/read', async (request) => ({ session: true, n: request.session.get('n' as never) ?? null }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    cookieName: 'sessionId',
    close: () => app.close(),
  };
}
