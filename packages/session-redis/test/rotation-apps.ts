// Small Express and Fastify apps for the rotation tests: POST /login rotates the id (or, with
// ?plain=1, calls regenerate as apps do today), the other routes read and write while it runs.
import { setTimeout as sleep } from 'node:timers/promises';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { followRotation, followRotationHook, rotateSession } from '@lbkit/session-redis';
import express from 'express';
import session from 'express-session';
import Fastify from 'fastify';
import { type Answer, Browser, listenExpress, listenFastify, type RunningApp } from './harness.js';

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

/** A rotation test app of one framework. */
export interface RotationFramework {
  readonly name: 'express' | 'fastify';
  start(store: unknown): Promise<RunningApp>;
}

/**
 * Routes: POST /login?ms&plain — waits ms, sets user=1 and rotates (plain=1: regenerate, copying
 * the data by hand as apps do today); POST /write/:key?ms — waits ms, sets key to the body's value;
 * GET /read?ms; POST /destroy.
 */
export const expressRotation: RotationFramework = {
  name: 'express',
  async start(store) {
    const app = express();
    app.use(
      session({
        secret: SECRET,
        store: store as session.Store,
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: 60_000 },
      }),
    );
    app.use(followRotation());
    const s = (req: express.Request): Data => req.session as unknown as Data;
    app.post('/login', async (req, res, next) => {
      await sleep(msOf(req.query.ms));
      try {
        if (req.query.plain === '1') {
          const copy = dataOf(req.session);
          await new Promise<void>((resolve, reject) =>
            req.session.regenerate((error) => (error ? reject(error) : resolve())),
          );
          Object.assign(req.session, copy);
        } else await rotateSession(req);
        s(req).user = 1;
        res.json({ data: dataOf(req.session) });
      } catch (error) {
        next(error);
      }
    });
    app.post('/write/:key', express.json(), async (req, res) => {
      await sleep(msOf(req.query.ms));
      s(req)[req.params.key] = (req.body as Data).value;
      res.json({ data: dataOf(req.session) });
    });
    app.get('/read', async (req, res) => {
      await sleep(msOf(req.query.ms));
      res.json({ data: dataOf(req.session) });
    });
    app.post('/destroy', (req, res, next) => {
      req.session.destroy((error) => (error ? next(error) : res.json({ destroyed: true })));
    });
    app.use(
      (
        error: { statusCode?: number; code?: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        if (!res.headersSent) res.status(error.statusCode ?? 500).json({ code: error.code });
      },
    );
    return listenExpress(app);
  },
};

export const fastifyRotation: RotationFramework = {
  name: 'fastify',
  async start(store) {
    const app = Fastify({ logger: false });
    // Before the session plugin, so it runs before the plugin's own onSend.
    app.addHook('onSend', followRotationHook);
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: SECRET,
      store: store as fastifySession.SessionStore,
      saveUninitialized: false,
      cookie: { secure: false, maxAge: 60_000 },
    });
    const s = (request: { session: unknown }): Data => request.session as Data;
    app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) =>
      reply.code(error.statusCode ?? 500).send({ code: error.code }),
    );
    app.post<{ Querystring: { ms?: string; plain?: string } }>('/login', async (request) => {
      await sleep(msOf(request.query.ms));
      if (request.query.plain === '1') {
        const copy = dataOf(request.session);
        await request.session.regenerate();
        Object.assign(request.session, copy);
      } else await rotateSession(request);
      s(request).user = 1;
      return { data: dataOf(request.session) };
    });
    app.post<{ Params: { key: string }; Querystring: { ms?: string }; Body: Data }>(
      '/write/:key',
      async (request) => {
        await sleep(msOf(request.query.ms));
        s(request)[request.params.key] = request.body.value;
        return { data: dataOf(request.session) };
      },
    );
    app.get<{ Querystring: { ms?: string } }>('/read', async (request) => {
      await sleep(msOf(request.query.ms));
      return { data: dataOf(request.session) };
    });
    app.post('/destroy', async (request) => {
      await request.session.destroy();
      return { destroyed: true };
    });
    return listenFastify(app);
  },
};

export const rotationFrameworks: readonly RotationFramework[] = [expressRotation, fastifyRotation];

/**
 * The #923 scenario: a tab with a session fires a login (which rotates) and two API calls at
 * once, all with the old cookie; the calls read before the login and save after it. The browser
 * keeps the cookie of the last response that set one. Then, after the grace, it reads.
 */
export async function loginRace(app: RunningApp, plain: boolean) {
  const tab = new Browser(app);
  await tab.post('/write/cart', [1]);
  const oldId = tab.sessionId;
  let jar = tab.cookie;
  const answered: Answer[] = [];
  const send = (request: Promise<Answer>) =>
    request.then((answer) => {
      answered.push(answer);
      if (answer.setCookie) jar = answer.setCookie;
      return answer;
    });
  await Promise.all([
    send(tab.clone().post(`/login?ms=40${plain ? '&plain=1' : ''}`)),
    send(tab.clone().post('/write/a?ms=150', 'A')),
    send(tab.clone().post('/write/b?ms=150', 'B')),
    send(tab.clone().get('/read?ms=100')),
  ]);
  await sleep(400);
  const after = tab.clone();
  after.cookie = jar;
  const read = await after.get('/read');
  const data = read.body.data as Record<string, unknown>;
  const lost = ['cart', 'user', 'a', 'b'].filter((key) => data[key] === undefined);
  return { oldId, finalId: after.sessionId, data, lost, statuses: answered.map((a) => a.status) };
}
