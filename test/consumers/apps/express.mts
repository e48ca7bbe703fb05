// The Express consumer (copied to src/app.ts; type-checked against @types/express 4 or 5): adapters
// from @lbkit/express, sessions through express-session and @lbkit/session-redis on node-redis.
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { clientIp, gracefulShutdown, healthcheck } from '@lbkit/express';
import { redisCheck } from '@lbkit/health';
import { RedisSessionStore } from '@lbkit/session-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';

declare module 'express-session' {
  interface SessionData {
    value: string;
  }
}

const redis = createClient({ url: process.env.REDIS_URL });
redis.on('error', () => {});
await redis.connect();

const lifecycle = new Lifecycle();
const app = express();
const probes = healthcheck({ lifecycle, checks: [redisCheck(redis)] });
app.use(probes);
app.use(clientIp({ trust: (process.env.TRUST ?? '').split(',') }));
app.use(
  session({
    store: new RedisSessionStore({ client: redis }),
    secret: process.env.SESSION_SECRET ?? '',
    resave: false,
    saveUninitialized: false,
  }),
);
app.get('/whoami', (req, res) => {
  res.json({ ip: req.clientIp });
});
app.get('/session/write', (req, res) => {
  req.session.value = String(req.query.value);
  res.json({});
});
app.get('/session/read', (req, res) => {
  res.json({ value: req.session.value ?? null });
});
app.get('/slow', (req, res) => {
  setTimeout(() => res.send('done'), Number(req.query.ms));
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
  lifecycle.markReady();
  console.log(JSON.stringify({ listening: (server.address() as AddressInfo).port }));
});
gracefulShutdown(server, {
  lifecycle,
  drainDelayMs: 300,
  hooks: [
    { name: 'redis', run: () => redis.quit() },
    { name: 'health', run: () => probes.health.close() },
  ],
});
