// One freshly started app (Express or Fastify) whose /products route is cold at first: a lazy pool and a per-key cache.
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { healthcheck } from '@lbkit/express';
import { healthPlugin } from '@lbkit/fastify';
import express from 'express';
import Fastify from 'fastify';

const [framework, variant] = process.argv.slice(2);
const KEYS = Number(process.env.KEYS ?? 100);
const POOL_SIZE = 8;
const CONNECT_MS = Number(process.env.CONNECT_MS ?? 80);
const MISS_MS = Number(process.env.MISS_MS ?? 40);

/**
 * A pool that opens its connections on demand (CONNECT_MS each, as a TLS + auth handshake to a
 * database would), up to POOL_SIZE; a query holds one connection for 1 ms.
 */
function lazyPool() {
  const idle = [];
  const waiting = [];
  let opened = 0;
  const acquire = async () => {
    if (idle.length > 0) return idle.pop();
    if (opened < POOL_SIZE) {
      opened++;
      await sleep(CONNECT_MS);
      return {};
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (connection) => {
    const next = waiting.shift();
    if (next) next(connection);
    else idle.push(connection);
  };
  return {
    async query(signal) {
      const connection = await acquire();
      try {
        await sleep(1, undefined, { signal });
      } finally {
        release(connection);
      }
    },
    /** Opens every connection at once (the warm-up task). */
    async prime(signal) {
      await Promise.all(Array.from({ length: POOL_SIZE }, () => this.query(signal)));
    },
  };
}

const pool = lazyPool();
const cache = new Map();
/** A product: a cache miss costs a backend call (MISS_MS) and a pool query. */
async function product(key) {
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = (async () => {
      await pool.query();
      await sleep(MISS_MS);
      return JSON.stringify({ key, name: `product ${key}`, price: (Number(key) * 7) % 100 });
    })();
    cache.set(key, entry);
  }
  return entry;
}

const lifecycle = new Lifecycle();
const warmUp =
  variant === 'warm-up'
    ? {
        tasks: { primePool: (signal) => pool.prime(signal) },
        routes: Array.from({ length: KEYS }, (_, key) => `/products?key=${key}`),
        budgetMs: 10_000,
      }
    : undefined;

let server;
if (framework === 'express') {
  const app = express();
  app.disable('x-powered-by');
  const probes = healthcheck({ lifecycle, ...(warmUp ? { warmUp } : {}) });
  app.use(probes);
  app.get('/products', async (req, res) => {
    res.type('json').send(await product(String(req.query.key)));
  });
  server = app.listen(0, '127.0.0.1', () => lifecycle.markReady('listening'));
  void probes.health.warmUp(server);
} else {
  const app = Fastify();
  await app.register(healthPlugin, { lifecycle, ...(warmUp ? { warmUp } : {}) });
  app.get('/products', async (request, reply) => {
    reply.type('application/json');
    return product(String(request.query.key));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  lifecycle.markReady('listening');
  server = app.server;
}
if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
process.send?.({ port: server.address().port });
process.on('disconnect', () => process.exit(0));
