// One demo app instance for bench/overload, in its own process: `node server.mjs <framework> <config> [fixed limit]`.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Lifecycle } from '@lbkit/core';
import { createApp as createExpressApp } from '@lbkit-examples/express';
import { createApp as createFastifyApp } from '@lbkit-examples/fastify';
import { readConfig } from '@lbkit-examples/shared';

const [framework, variant, fixed] = process.argv.slice(2);
const config = readConfig({ INSTANCE_ID: `bench-${framework}-${variant}` });
const lifecycle = new Lifecycle();
// Sessions are in memory (no REDIS_URL): the demo says so on stderr, which the bench ignores.
console.warn = () => {};

/** Shedding options per configuration: false (none), a fixed limit, or lbkit's defaults. */
// LBKIT_OPTIONS (JSON) overrides lbkit's defaults, for tuning runs.
const tuning = JSON.parse(process.env.LBKIT_OPTIONS ?? '{}');

function shedding() {
  if (variant === 'lbkit') return tuning;
  if (variant === 'lbkit-node') return false;
  if (variant === 'fixed') return { concurrencyLimit: Number(fixed) };
  return false;
}

let server;
if (variant === 'reject-cost') {
  // What one rejection costs each integration: every request is shed (the lifecycle is stopped, so
  // the shedder answers 503 `stopped`) by loadShedding() in a bare Express app, sheddingPlugin in a
  // bare Fastify app, or LoadShedder.admit() in a node:http handler.
  const rejecting = new Lifecycle();
  rejecting.markStopped('bench');
  if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const { sheddingPlugin } = await import('@lbkit/fastify');
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle: rejecting });
    app.get('/*', async () => 'never');
    await app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    server = app.server;
  } else {
    let handler;
    if (framework === 'express') {
      const { default: express } = await import('express');
      const { loadShedding } = await import('@lbkit/express');
      const app = express();
      app.use(loadShedding({ lifecycle: rejecting }));
      handler = app;
    } else {
      const { LoadShedder } = await import('@lbkit/shedding');
      const shedder = new LoadShedder({ lifecycle: rejecting });
      handler = (req, res) => shedder.admit(req, res, () => res.end('never'));
    }
    server = createServer(handler);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    await once(server, 'listening');
  }
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
} else if (framework === 'express') {
  const { app } = await createExpressApp({ config, lifecycle, shedding: shedding() });
  let handler = app;
  if (variant === 'toobusy') {
    // toobusy-js as its README shows it: a middleware in front of everything, default maxLag (70 ms)
    // and interval (500 ms).
    const { default: toobusy } = await import('toobusy-js');
    const { default: express } = await import('express');
    const outer = express();
    outer.use((_req, res, next) => {
      if (toobusy()) res.status(503).send("I'm busy right now, sorry.");
      else next();
    });
    outer.use(app);
    handler = outer;
  }
  if (variant === 'lbkit-node') {
    // The README's node:http recipe around the same Express app: a shed request never enters
    // Express, whose own per-request work is a large part of what a rejection costs.
    const { LoadShedder } = await import('@lbkit/shedding');
    const shedder = new LoadShedder({ ...tuning, lifecycle });
    handler = (req, res) => shedder.admit(req, res, () => app(req, res));
  }
  server = createServer(handler);
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
} else {
  const { app } = await createFastifyApp({ config, lifecycle, shedding: shedding() });
  if (variant === 'under-pressure') {
    // The settings of the plugin's README usage example, as documented.
    const { default: underPressure } = await import('@fastify/under-pressure');
    await app.register(underPressure, {
      maxEventLoopDelay: 1000,
      maxHeapUsedBytes: 100000000,
      maxRssBytes: 100000000,
      maxEventLoopUtilization: 0.98,
    });
  }
  if (variant === 'under-pressure-loop') {
    // The same example's event-loop thresholds only: its 100 MB RSS limit alone sheds everything
    // once this demo's RSS passes 100 MB, which says nothing about its overload control.
    const { default: underPressure } = await import('@fastify/under-pressure');
    await app.register(underPressure, { maxEventLoopDelay: 1000, maxEventLoopUtilization: 0.98 });
  }
  await app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  server = app.server;
}
if (variant !== 'reject-cost') {
  lifecycle.inFlight.attach(server);
  lifecycle.markReady();
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
}
