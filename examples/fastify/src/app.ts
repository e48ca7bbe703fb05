// The demo application on Fastify: the routes of shared/CONTRACT.md wired to every lbkit package.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { Lifecycle } from '@lbkit/core';
import { burnCpu, type DemoConfig, parseMs, wait } from '@lbkit-examples/shared';
import Fastify, { type FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface Session {
    views?: number;
    [key: string]: unknown;
  }
}

/** What a demo instance needs: its configuration and the lifecycle of its process. */
export interface DemoAppOptions {
  readonly config: DemoConfig;
  readonly lifecycle: Lifecycle;
}

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
export async function createApp({ config }: DemoAppOptions): Promise<DemoApp> {
  const app = Fastify({ logger: false });

  if (!config.redisUrl) console.warn('REDIS_URL is not set: sessions are kept in memory, per instance');
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: config.sessionSecret,
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  });

  app.get('/whoami', async (request) => ({
    ip: request.raw.socket.remoteAddress,
    proto: 'http',
    host: request.headers.host,
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
