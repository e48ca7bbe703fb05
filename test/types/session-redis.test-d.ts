// Type tests of @lbkit/session-redis: one store that both express-session and @fastify/session take as `store`.
import fastifySession from '@fastify/session';
import { RedisSessionStore } from '@lbkit/session-redis';
import session, { type Store } from 'express-session';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import type { createClient } from 'redis';
import { expectTypeOf } from 'vitest';

declare const ioredis: Redis;
declare const nodeRedis: ReturnType<typeof createClient>;

const store = new RedisSessionStore({ client: ioredis });
expectTypeOf(store).toExtend<Store>();
session({ secret: 'a secret of thirty-two characters!', store, resave: false, saveUninitialized: false });
session({
  secret: 'a secret of thirty-two characters!',
  store: new RedisSessionStore({ client: nodeRedis }),
});
Fastify().register(fastifySession, { secret: 'a secret of thirty-two characters!', store });
// @ts-expect-error the store needs a Redis client
new RedisSessionStore({});
