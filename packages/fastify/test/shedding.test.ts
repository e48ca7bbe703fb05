// sheddingPlugin: a real Fastify plugin that sheds in onRequest, before the body is parsed.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { healthPlugin, sheddingPlugin } from '@lbkit/fastify';
import { LoadShedder } from '@lbkit/shedding';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';

const apps: FastifyInstance[] = [];
const shedders: LoadShedder[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const s of shedders.splice(0)) s.close();
});

async function start(app: FastifyInstance): Promise<string> {
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await sleep(5);
  if (!condition()) throw new Error('condition not met in time');
}

describe('Fastify sheddingPlugin', () => {
  it('sheds in onRequest with 503, Retry-After and JSON, before any body parsing', async () => {
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle: new Lifecycle(), concurrencyLimit: 1, queue: false });
    let parsed = 0;
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      parsed++;
      done(null, JSON.parse(body as string));
    });
    app.post('/work', async () => {
      await sleep(150);
      return { ok: true };
    });
    const url = await start(app);
    const post = (): Promise<Response> =>
      fetch(`${url}/work`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
    const busy = post();
    await until(() => app.loadShedder.inFlight === 1);
    const shed = await post();
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(shed.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await shed.json()).toEqual({ error: 'Service Unavailable', reason: 'overloaded' });
    expect((await busy).status).toBe(200);
    expect(parsed).toBe(1);
  });

  it('runs its onRequest hook before the hooks of plugins registered after it', async () => {
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle: new Lifecycle(), concurrencyLimit: 1, queue: false });
    let laterHook = 0;
    app.addHook('onRequest', async () => {
      laterHook++;
    });
    app.get('/slow', async () => {
      await sleep(100);
      return 'ok';
    });
    const url = await start(app);
    const busy = fetch(`${url}/slow`);
    await until(() => app.loadShedder.inFlight === 1);
    expect((await fetch(`${url}/slow`)).status).toBe(503);
    await busy;
    expect(laterHook).toBe(1);
  });

  it('queues behind the limit and calls done() later, so a burst is served in full', async () => {
    const app = Fastify();
    // A long queue interval: the burst waits in the queue however slowly a loaded machine serves it.
    await app.register(sheddingPlugin, {
      lifecycle: new Lifecycle(),
      concurrencyLimit: 1,
      queue: { intervalMs: 30_000 },
    });
    app.get('/work', async () => {
      await sleep(20);
      return 'done';
    });
    const url = await start(app);
    const results = await Promise.all(Array.from({ length: 4 }, () => fetch(`${url}/work`)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('writes a custom response from onReject on the raw response', async () => {
    const app = Fastify();
    await app.register(sheddingPlugin, {
      lifecycle: new Lifecycle(),
      concurrencyLimit: 1,
      queue: false,
      onReject: (rejection, _req, res) => {
        res.writeHead(503, {
          'x-shed': rejection.reason,
          'retry-after': String(rejection.retryAfterSeconds),
        });
        res.end('busy');
      },
    });
    app.get('/slow', async () => {
      await sleep(100);
      return 'ok';
    });
    const url = await start(app);
    const busy = fetch(`${url}/slow`);
    await until(() => app.loadShedder.inFlight === 1);
    const shed = await fetch(`${url}/slow`);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('x-shed')).toBe('overloaded');
    expect(await shed.text()).toBe('busy');
    await busy;
  });

  it('lets health and metrics routes through while shedding', async () => {
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle: new Lifecycle(), concurrencyLimit: 1, queue: false });
    app.get('/slow', async () => {
      await sleep(150);
      return 'slow';
    });
    for (const path of ['/health/live', '/health/ready', '/metrics']) app.get(path, async () => 'ok');
    const url = await start(app);
    const busy = fetch(`${url}/slow`);
    await until(() => app.loadShedder.inFlight === 1);
    for (const path of ['/health/live', '/health/ready', '/metrics'])
      expect((await fetch(`${url}${path}`)).status).toBe(200);
    await busy;
  });

  it('never sheds @lbkit/health probe routes, whatever their paths', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle, concurrencyLimit: 1, queue: false });
    await app.register(healthPlugin, { lifecycle, paths: { liveness: '/alive', readiness: '/ready' } });
    app.get('/slow', async () => {
      await sleep(150);
      return 'slow';
    });
    const url = await start(app);
    const busy = fetch(`${url}/slow`);
    await until(() => app.loadShedder.inFlight === 1);
    expect((await fetch(`${url}/alive`)).status).toBe(200);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect((await fetch(`${url}/slow`)).status).toBe(503);
    await busy;
  });

  it('decorates isUnderPressure() and overloadSignals(), as @fastify/under-pressure does', async () => {
    let pressure = false;
    const app = Fastify();
    await app.register(sheddingPlugin, { lifecycle: new Lifecycle(), underPressure: () => pressure });
    await app.ready();
    apps.push(app);
    expect(app.isUnderPressure()).toBe(false);
    expect(app.overloadSignals().heapUsedBytes).toBeGreaterThanOrEqual(0);
    pressure = true;
    await until(() => app.isUnderPressure());
  });

  it('with concurrencyLimit: false, serves a burst far above any limit and sheds through reply while under pressure', async () => {
    let pressure = false;
    const app = Fastify();
    await app.register(sheddingPlugin, {
      lifecycle: new Lifecycle(),
      concurrencyLimit: false,
      underPressure: () => pressure,
      signals: { intervalMs: 10 },
    });
    let running = 0;
    let most = 0;
    app.get('/work', async () => {
      most = Math.max(most, ++running);
      await sleep(50);
      running--;
      return { ok: true };
    });
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-on-send', 'yes');
    });
    const url = await start(app);
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => fetch(`${url}/work`).then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(most).toBe(40);
    pressure = true;
    await until(() => app.isUnderPressure());
    const shed = await fetch(`${url}/work`);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('x-on-send')).toBe('yes');
    expect(((await shed.json()) as { reason: string }).reason).toBe('backstop');
    expect(app.loadShedder.snapshot().admitted).toBe(40);
  });

  it('rejects through the error handler with rejectWith: error, with the fixed Retry-After and message', async () => {
    const app = Fastify();
    await app.register(sheddingPlugin, {
      lifecycle: new Lifecycle(),
      underPressure: () => true,
      rejectWith: 'error',
      retryAfter: 50,
      message: 'Under pressure!',
    });
    let handled: unknown;
    app.setErrorHandler((error, _request, reply) => {
      handled = (error as { code?: string }).code;
      reply.send(error);
    });
    app.get('/', async () => 'ok');
    const url = await start(app);
    const shed = await fetch(url);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('50');
    expect(await shed.json()).toMatchObject({
      statusCode: 503,
      code: 'LBKIT_SHEDDING_REQUEST_SHED',
      message: 'Under pressure!',
    });
    expect(handled).toBe('LBKIT_SHEDDING_REQUEST_SHED');
  });

  it('answers 500 and keeps serving when an async onReject rejects', async () => {
    const app = Fastify();
    let pressure = true;
    await app.register(sheddingPlugin, {
      lifecycle: new Lifecycle(),
      underPressure: () => pressure,
      signals: { intervalMs: 10 },
      onReject: async () => {
        throw new Error('logger down');
      },
    });
    app.get('/', async () => 'ok');
    const url = await start(app);
    expect((await fetch(url)).status).toBe(500);
    pressure = false;
    await until(() => !app.isUnderPressure());
    expect((await fetch(url)).status).toBe(200);
  });

  it('closes the shedder it built on close, and leaves a shared one to its owner', async () => {
    const shared = new LoadShedder({ lifecycle: new Lifecycle(), concurrencyLimit: 1 });
    shedders.push(shared);
    const app = Fastify();
    await app.register(sheddingPlugin, { shedder: shared });
    await app.ready();
    expect(app.loadShedder).toBe(shared);
    await app.close();
    // Still limiting: a closed shedder would pass everything through and report no limit.
    expect(shared.limit).toBe(1);

    const own = Fastify();
    await own.register(sheddingPlugin, { lifecycle: new Lifecycle(), concurrencyLimit: 1 });
    await own.ready();
    const built = own.loadShedder;
    await own.close();
    // A closed shedder passes everything through: an open one with limit 1 would queue two of these.
    let passed = 0;
    for (let i = 0; i < 3; i++) {
      const req = new IncomingMessage(new Socket());
      req.url = '/x';
      built.admit(req, new ServerResponse(req), () => {
        passed++;
      });
    }
    expect(passed).toBe(3);
    expect(built.queued).toBe(0);
  });
});
