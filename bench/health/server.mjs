// One bench server (Express or Fastify) with a bare JSON route and the lbkit health probes, in its own process.
import { Lifecycle } from '@lbkit/core';
import { healthcheck } from '@lbkit/express';
import { healthPlugin } from '@lbkit/fastify';
import { eventLoopDelayCheck, heapCheck } from '@lbkit/health';
import express from 'express';
import Fastify from 'fastify';

const framework = process.argv[2];
const lifecycle = new Lifecycle();
/** Unlocks the detailed report, for the informational "detailed" row. */
const token = 'bench-token-0123456789abcdef';

// Cached checks as a real app would have them: two in-process ones and a dependency with a 2 ms round trip.
const checks = () => [
  heapCheck(),
  eventLoopDelayCheck(),
  { name: 'dependency:responseTime', check: () => new Promise((resolve) => setTimeout(resolve, 2, true)) },
];

let port;
if (framework === 'express') {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthcheck({ lifecycle, checks: checks(), token }));
  app.get('/bare', (_req, res) => {
    res.json({ status: 'pass' });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = server.address().port;
} else if (framework === 'fastify') {
  const app = Fastify({ logger: false });
  await app.register(healthPlugin, { lifecycle, checks: checks(), token });
  app.get('/bare', async () => ({ status: 'pass' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = app.server.address().port;
} else {
  throw new Error('usage: server.mjs express|fastify');
}
lifecycle.markReady();
process.send?.({ port });
