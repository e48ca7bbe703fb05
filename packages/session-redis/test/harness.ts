// One small app per framework (express-session, @fastify/session) with the same routes, and a cookie-keeping client.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import {
  RedisSessionStore,
  type RedisSessionStoreOptions,
  type SessionRedisClient,
  type StoredSession,
} from '@lbkit/session-redis';
import express from 'express';
import session from 'express-session';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Redis as Valkey } from 'iovalkey';
import { createClient } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { afterAll, beforeAll } from 'vitest';
import { type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';

/** A random session id of the default shape (32 base64url characters). */
export const newId = (): string => randomBytes(24).toString('base64url');

/** A stored session whose cookie expires in `maxAgeMs`, with `data` as its top-level keys. */
export function sessionWith(data: Record<string, unknown>, maxAgeMs = 60_000): StoredSession {
  return {
    cookie: { originalMaxAge: maxAgeMs, expires: new Date(Date.now() + maxAgeMs).toISOString() },
    ...data,
  };
}

/** Options of the session middleware under test. */
export interface AppOptions {
  /** Cookie maxAge in ms; null for a browser-session cookie. Default 60000. */
  readonly maxAgeMs?: number | null;
  readonly rolling?: boolean;
  readonly saveUninitialized?: boolean;
}

/** A listening test app. */
export interface RunningApp {
  readonly url: string;
  readonly cookieName: string;
  /** The session id inside a cookie value of this framework. */
  sessionIdOf(cookieValue: string): string;
  close(): Promise<void>;
}

/** A framework the contract suite runs against. */
export interface Framework {
  readonly name: 'express' | 'fastify';
  start(store: unknown, options?: AppOptions): Promise<RunningApp>;
}

const SECRET = 'lbkit-session-redis-test-secret-0123456789';

type Data = Record<string, unknown>;

function dataOf(sessionObject: object | null | undefined): Data {
  if (!sessionObject) return {};
  return Object.fromEntries(Object.entries(sessionObject).filter(([key]) => key !== 'cookie'));
}

function msOf(value: unknown): number {
  const ms = Number(value ?? 0);
  return Number.isInteger(ms) && ms >= 0 && ms <= 10_000 ? ms : 0;
}

function errorBody(error: unknown): { status: number; body: Data } {
  const e = error as { statusCode?: number; code?: string; keys?: string[] };
  return { status: e.statusCode ?? 500, body: { code: e.code, keys: e.keys } };
}

/**
 * Routes (the same on both frameworks):
 * GET /read, GET /slow?ms — answer { data } without changing the session;
 * POST /write/:key?ms&save — waits ms, sets key to the JSON body's `value`; with save=1 saves
 *   explicitly and answers the store's error as { code, keys } with its status;
 * POST /delete/:key, POST /regenerate (sets fresh=true), POST /destroy?ms (waits, then destroys),
 * POST /remember?ms — sets the cookie's maxAge to ms × 1000 without changing any data.
 */
/** Listens with an express-session app on a free loopback port: its URL, cookie name, id reader and close. */
export async function listenExpress(app: express.Express): Promise<RunningApp> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cookieName: 'connect.sid',
    sessionIdOf: (value) => {
      const decoded = decodeURIComponent(value);
      return decoded.slice(2, decoded.lastIndexOf('.'));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const expressFramework: Framework = {
  name: 'express',
  async start(store, options = {}) {
    const app = express();
    app.use(
      session({
        secret: SECRET,
        store: store as session.Store,
        resave: false,
        saveUninitialized: options.saveUninitialized ?? false,
        rolling: options.rolling ?? false,
        cookie: { maxAge: options.maxAgeMs === undefined ? 60_000 : (options.maxAgeMs ?? undefined) },
      }),
    );
    const s = (req: express.Request): Data => req.session as unknown as Data;
    app.get('/read', (req, res) => {
      res.json({ data: dataOf(req.session) });
    });
    app.get('/slow', async (req, res) => {
      await sleep(msOf(req.query.ms));
      res.json({ data: dataOf(req.session) });
    });
    app.post('/write/:key', express.json(), async (req, res) => {
      await sleep(msOf(req.query.ms));
      s(req)[req.params.key] = (req.body as Data).value;
      if (req.query.save !== '1') {
        res.json({ data: dataOf(req.session) });
        return;
      }
      req.session.save((error) => {
        if (error) {
          const { status, body } = errorBody(error);
          res.status(status).json(body);
        } else res.json({ data: dataOf(req.session) });
      });
    });
    app.post('/remember', (req, res) => {
      req.session.cookie.maxAge = msOf(req.query.ms) * 1000;
      res.json({ data: dataOf(req.session) });
    });
    app.post('/delete/:key', (req, res) => {
      delete s(req)[req.params.key];
      res.json({ data: dataOf(req.session) });
    });
    app.post('/regenerate', (req, res, next) => {
      req.session.regenerate((error) => {
        if (error) return next(error);
        s(req).fresh = true;
        res.json({ data: dataOf(req.session) });
      });
    });
    app.post('/destroy', async (req, res, next) => {
      await sleep(msOf(req.query.ms));
      req.session.destroy((error) => {
        if (error) return next(error);
        res.json({ destroyed: true });
      });
    });
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const { status, body } = errorBody(error);
      if (!res.headersSent) res.status(status).json(body);
    });
    return listenExpress(app);
  },
};

/** Listens with a @fastify/session app on a free loopback port: its URL, cookie name, id reader and close. */
export async function listenFastify(app: FastifyInstance): Promise<RunningApp> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cookieName: 'sessionId',
    sessionIdOf: (value) => {
      const decoded = decodeURIComponent(value);
      return decoded.slice(0, decoded.lastIndexOf('.'));
    },
    close: () => app.close(),
  };
}

export const fastifyFramework: Framework = {
  name: 'fastify',
  async start(store, options = {}) {
    const app = Fastify({ logger: false });
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: SECRET,
      store: store as fastifySession.SessionStore,
      saveUninitialized: options.saveUninitialized ?? false,
      rolling: options.rolling ?? true,
      cookie: {
        secure: false,
        maxAge: options.maxAgeMs === undefined ? 60_000 : (options.maxAgeMs ?? undefined),
      },
    });
    const s = (request: { session: unknown }): Data => request.session as Data;
    app.setErrorHandler((error, _request, reply) => {
      const { status, body } = errorBody(error);
      return reply.code(status).send(body);
    });
    app.get('/read', async (request) => ({ data: dataOf(request.session) }));
    app.get<{ Querystring: { ms?: string } }>('/slow', async (request) => {
      await sleep(msOf(request.query.ms));
      return { data: dataOf(request.session) };
    });
    app.post<{ Params: { key: string }; Querystring: { ms?: string; save?: string }; Body: Data }>(
      '/write/:key',
      async (request, reply) => {
        await sleep(msOf(request.query.ms));
        s(request)[request.params.key] = request.body.value;
        if (request.query.save === '1') {
          try {
            await request.session.save();
          } catch (error) {
            const { status, body } = errorBody(error);
            return reply.code(status).send(body);
          }
        }
        return { data: dataOf(request.session) };
      },
    );
    app.post<{ Querystring: { ms?: string } }>('/remember', async (request) => {
      request.session.options({ maxAge: msOf(request.query.ms) * 1000 });
      return { data: dataOf(request.session) };
    });
    app.post<{ Params: { key: string } }>('/delete/:key', async (request) => {
      delete s(request)[request.params.key];
      return { data: dataOf(request.session) };
    });
    app.post('/regenerate', async (request) => {
      await request.session.regenerate();
      s(request).fresh = true;
      return { data: dataOf(request.session) };
    });
    app.post<{ Querystring: { ms?: string } }>('/destroy', async (request) => {
      await sleep(msOf(request.query.ms));
      await request.session.destroy();
      return { destroyed: true };
    });
    return listenFastify(app);
  },
};

/** Both frameworks, for `describe.each`. */
export const frameworks: readonly Framework[] = [expressFramework, fastifyFramework];

/** Answer of a {@link Browser} request. */
export interface Answer {
  readonly status: number;
  readonly body: Data;
  /** The session cookie this response set, if it set one. */
  readonly setCookie: string | undefined;
}

/** A client keeping one session cookie, like a browser tab. */
export class Browser {
  cookie: string | undefined;

  constructor(readonly app: RunningApp) {}

  /** The session id the cookie carries. */
  get sessionId(): string {
    if (!this.cookie) throw new Error('no session cookie yet');
    return this.app.sessionIdOf(this.cookie);
  }

  /** Another tab of the same browser: same cookie, own jar from now on. */
  clone(app: RunningApp = this.app): Browser {
    const other = new Browser(app);
    other.cookie = this.cookie;
    return other;
  }

  async request(method: 'GET' | 'POST', path: string, value?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = `${this.app.cookieName}=${this.cookie}`;
    let body: string | undefined;
    if (value !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify({ value });
    }
    const response = await fetch(`${this.app.url}${path}`, { method, headers, body });
    const text = await response.text();
    let setCookie: string | undefined;
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      if (pair!.slice(0, eq) === this.app.cookieName) setCookie = pair!.slice(eq + 1);
    }
    if (setCookie) this.cookie = setCookie;
    return { status: response.status, body: text ? (JSON.parse(text) as Data) : {}, setCookie };
  }

  get(path: string): Promise<Answer> {
    return this.request('GET', path);
  }

  post(path: string, value?: unknown): Promise<Answer> {
    return this.request('POST', path, value);
  }
}

/** A test file's private redis-server, with what the file opened on it (see {@link useRedis}). */
export interface RedisFixture {
  /** The server (set once `beforeAll` ran). */
  readonly redis: PrivateRedis;
  /** A client for looking at keys behind the store's back. */
  readonly inspect: Redis;
  /** A new ioredis client for a store, as the tests configure it; disconnected after the file. */
  client(): Redis;
  /** A new client of the file's driver (see {@link useRedis}) for a store; closed after the file. */
  sessionClient(): SessionRedisClient;
  /** Closes `app` after the file; returns it. */
  track(app: RunningApp): RunningApp;
  /** A store on one client shared by all the file's `store()` calls; closed after the file. */
  store(options?: Omit<RedisSessionStoreOptions, 'client'>): RedisSessionStore;
}

/** The client library a test file runs the store on (`node-redis 4` is the `redis4` alias of redis@4). */
export type Driver = 'ioredis' | 'iovalkey' | 'node-redis' | 'node-redis 4';

/**
 * Starts a private redis-server before the file's tests and, after them, closes the apps and
 * clients the tests opened on it, then the server. Call at the top of a `describe`. `driver`
 * picks what `sessionClient()` returns.
 */
export function useRedis(driver: Driver = 'ioredis'): RedisFixture {
  let redis: PrivateRedis | undefined;
  let inspect: Redis | undefined;
  const clients: Redis[] = [];
  const closers: Array<() => void> = [];
  const apps: RunningApp[] = [];
  const stores: RedisSessionStore[] = [];
  let storeClient: Redis | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.port, redis.host);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const store of stores) store.close();
    for (const client of clients) client.disconnect();
    for (const close of closers) close();
    inspect?.disconnect();
    await redis?.close();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useRedis: the server starts in beforeAll');
    return value;
  };
  const client = (): Redis => {
    const { port, host } = started(redis);
    const created = new Redis(port, host, { commandTimeout: 1000, maxRetriesPerRequest: 1 });
    clients.push(created);
    return created;
  };
  const nodeRedisClient = (version: 4 | 5): SessionRedisClient => {
    const { port, host } = started(redis);
    const options = {
      socket: { host, port, reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500) },
    };
    const created = version === 5 ? createClient(options) : createClient4(options);
    // node-redis throws an unhandled 'error' event; the store learns of outages by itself.
    created.on('error', () => {});
    // Not awaited: node-redis holds the commands sent before the first connection.
    created.connect().catch(() => {});
    closers.push(() => {
      if (version === 5) (created as ReturnType<typeof createClient>).destroy();
      else if (created.isOpen) (created as ReturnType<typeof createClient4>).disconnect().catch(() => {});
    });
    return created as unknown as SessionRedisClient;
  };
  const valkeyClient = (): SessionRedisClient => {
    const { port, host } = started(redis);
    const created = new Valkey(port, host, { commandTimeout: 1000, maxRetriesPerRequest: 1 });
    closers.push(() => created.disconnect());
    return created as unknown as SessionRedisClient;
  };
  const sessionClient = (): SessionRedisClient => {
    if (driver === 'node-redis') return nodeRedisClient(5);
    if (driver === 'node-redis 4') return nodeRedisClient(4);
    if (driver === 'iovalkey') return valkeyClient();
    return client();
  };
  return {
    get redis() {
      return started(redis);
    },
    get inspect() {
      return started(inspect);
    },
    client,
    sessionClient,
    track(app) {
      apps.push(app);
      return app;
    },
    store(options = {}) {
      if (storeClient === undefined) {
        storeClient = client();
        // Each store listens to its client's ready/close/end; a file may put a dozen on this one.
        storeClient.setMaxListeners(50);
      }
      const store = new RedisSessionStore({ client: storeClient, ...options });
      stores.push(store);
      return store;
    },
  };
}
