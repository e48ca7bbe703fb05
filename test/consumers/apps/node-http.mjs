// The ESM consumer: node:http with the core packages, as a user of `import` writes it.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createClientIpResolver } from '@lbkit/client-ip';
import { Lifecycle } from '@lbkit/core';
import { createHealth, redisCheck } from '@lbkit/health';
import { RedisSessionStore } from '@lbkit/session-redis';
import { gracefulShutdown } from '@lbkit/shutdown';
import { createClient } from 'redis';

const redis = createClient({ url: process.env.REDIS_URL });
redis.on('error', () => {});
await redis.connect();

const lifecycle = new Lifecycle();
const health = createHealth({ lifecycle, checks: [redisCheck(redis)] });
const resolver = createClientIpResolver({ trust: process.env.TRUST.split(',') });
const store = new RedisSessionStore({ client: redis, ttl: 60 });

const server = createServer(async (req, res) => {
  if (health.handle(req, res)) return;
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/whoami') return res.end(JSON.stringify({ ip: resolver.ip(req) }));
  if (url.pathname === '/session/write') {
    const id = randomBytes(24).toString('base64url');
    await store.set(id, { cookie: { originalMaxAge: 60_000 }, value: url.searchParams.get('value') });
    res.setHeader('set-cookie', `sid=${id}; Path=/; HttpOnly`);
    return res.end('{}');
  }
  if (url.pathname === '/session/read') {
    const id = /(?:^|; )sid=([\w-]{32})/.exec(req.headers.cookie ?? '')?.[1];
    const session = id ? await store.get(id) : null;
    return res.end(JSON.stringify({ value: session?.value ?? null }));
  }
  if (url.pathname === '/slow') {
    setTimeout(() => res.end('done'), Number(url.searchParams.get('ms')));
    return;
  }
  res.writeHead(404).end();
});

gracefulShutdown(server, {
  lifecycle,
  drainDelayMs: 300,
  hooks: [
    { name: 'redis', run: () => redis.quit() },
    { name: 'health', run: () => health.close() },
  ],
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  lifecycle.markReady();
  console.log(JSON.stringify({ listening: server.address().port }));
});
