// The Fastify 5 consumer (copied to src/app.ts): plugins from @lbkit/fastify, sessions through
// @fastify/session and @lbkit/session-redis on node-redis.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { Lifecycle } from '@lbkit/core';
import { clientIpPlugin, healthPlugin, shutdownPlugin } from '@lbkit/fastify';
import { redisCheck } from '@lbkit/health';
import { RedisSessionStore } from '@lbkit/session-redis';
import Fastify from 'fastify';
import { createClient } from 'redis';

declare module 'fastify' {
  interface Session {
    value?: string;
  }
}

const redis = createClient({ url: process.env.REDIS_URL });
redis.on('error', () => {});
await redis.connect();

const lifecycle = new Lifecycle();
const app = Fastify();
await app.register(healthPlugin, { lifecycle, checks: [redisCheck(redis)] });
await app.register(clientIpPlugin, { trust: (process.env.TRUST ?? '').split(',') });
await app.register(fastifyCookie);
await app.register(fastifySession, {
  store: new RedisSessionStore({ client: redis }),
  secret: process.env.SESSION_SECRET ?? '',
  saveUninitialized: false,
  cookie: { secure: false },
});
await app.register(shutdownPlugin, { lifecycle, drainDelayMs: 300 });
app.addHook('onClose', async () => {
  await redis.quit();
});

app.get('/whoami', async (request) => ({ ip: request.clientIp }));
app.get<{ Querystring: { value: string } }>('/session/write', async (request) => {
  request.session.value = request.query.value;
  return {};
});
app.get('/session/read', async (request) => ({ value: request.session.value ?? null }));
app.get<{ Querystring: { ms: string } }>('/slow', async (request) => {
  await new Promise((resolve) => setTimeout(resolve, Number(request.query.ms)));
  return 'done';
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
lifecycle.markReady();
const address = app.server.address();
console.log(JSON.stringify({ listening: typeof address === 'object' && address ? address.port : 0 }));
