// The OpenTelemetry instruments, read back through the SDK's in-memory exporter: names, units, attributes, bounds.
import { EventEmitter, once } from 'node:events';
import { createServer, IncomingMessage, request, type Server, ServerResponse } from 'node:http';
import { createSecureServer, connect as http2Connect } from 'node:http2';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import { type AddressInfo, Socket } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { createHealth } from '@lbkit/health';
import { createOtelMetrics, HTTP_DURATION_BUCKETS, type LbkitOtelMetrics } from '@lbkit/metrics';
import { LoadShedder } from '@lbkit/shedding';
import { metrics as otelApi } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { refusal } from '../../../test/helpers/refusal.js';
import { testCertificate } from '../../../test/helpers/tls.js';
import { points, pointValue, type TestMeter, testMeter } from './otel-reader.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function meter(): TestMeter {
  const m = testMeter();
  cleanup.push(() => m.close());
  return m;
}

/** A node:http server that tracks every request with `route` and answers 200 (or holds it). */
async function server(otel: LbkitOtelMetrics, route: (req: IncomingMessage) => string | undefined) {
  const held: ServerResponse[] = [];
  const s: Server = createServer((req, res) => {
    otel.track(req, res, () => route(req));
    if (req.url === '/hold') held.push(res);
    else if (req.url === '/fail') res.writeHead(503).end();
    else res.end('ok');
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  cleanup.push(() => {
    s.closeAllConnections();
    s.close();
  });
  const port = (s.address() as AddressInfo).port;
  const send = (method: string, path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  return { held, send, port };
}

describe('createOtelMetrics: HTTP semantic conventions', () => {
  it('records http.server.request.duration in seconds with the advised buckets and the request attributes', async () => {
    const m = meter();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle: new Lifecycle() });
    const { send } = await server(otel, () => '/items/:id');
    expect(await send('GET', '/items/1')).toBe(200);
    expect(await send('GET', '/items/2')).toBe(200);
    expect(await send('POST', '/fail')).toBe(503);
    const metrics = await m.collect();
    const duration = metrics.get('http.server.request.duration')!;
    expect(duration.descriptor.unit).toBe('s');
    const get = pointValue(metrics, 'http.server.request.duration', { 'http.request.method': 'GET' }) as {
      count: number;
      sum: number;
      buckets: { boundaries: number[] };
    };
    expect(get.count).toBe(2);
    expect(get.sum).toBeGreaterThan(0);
    expect(get.sum).toBeLessThan(5);
    expect(get.buckets.boundaries).toEqual([...HTTP_DURATION_BUCKETS]);
    expect(HTTP_DURATION_BUCKETS).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
    const [getPoint] = points(metrics, 'http.server.request.duration', { 'http.request.method': 'GET' });
    expect(getPoint?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/items/:id',
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    });
    const [failed] = points(metrics, 'http.server.request.duration', { 'http.request.method': 'POST' });
    expect(failed?.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
  });

  it('reports a method outside the known set as _OTHER', async () => {
    const m = meter();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle: new Lifecycle() });
    const { send } = await server(otel, () => undefined);
    await send('PROPFIND', '/dav');
    await send('GET', '/');
    const metrics = await m.collect();
    const methods = points(metrics, 'http.server.request.duration').map(
      (p) => p.attributes['http.request.method'],
    );
    expect(methods.sort()).toEqual(['GET', '_OTHER']);
    // No route matched: http.route is left out, not filled with the path.
    for (const p of points(metrics, 'http.server.request.duration'))
      expect(p.attributes).not.toHaveProperty('http.route');
  });

  it('counts http.server.active_requests up while a request is in flight and down when it ends', async () => {
    const m = meter();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle: new Lifecycle() });
    const { held, send } = await server(otel, () => undefined);
    const pending = send('GET', '/hold');
    while (held.length < 1) await new Promise((r) => setTimeout(r, 5));
    let metrics = await m.collect();
    expect(metrics.get('http.server.active_requests')?.descriptor.unit).toBe('{request}');
    expect(
      pointValue(metrics, 'http.server.active_requests', {
        'http.request.method': 'GET',
        'url.scheme': 'http',
      }),
    ).toBe(1);
    held[0]!.end('done');
    await pending;
    metrics = await m.collect();
    expect(pointValue(metrics, 'http.server.active_requests', { 'http.request.method': 'GET' })).toBe(0);
  });

  it('reports url.scheme https over TLS, HTTP/2 as protocol version 2, and a request cut short as aborted', async () => {
    const m = meter();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle: new Lifecycle() });
    const { key, cert } = testCertificate();
    const https = createHttpsServer({ key, cert }, (req, res) => {
      otel.track(req, res, () => '/tls');
      if (req.url === '/cut') req.socket.destroy();
      else res.end('ok');
    });
    const h2 = createSecureServer({ key, cert }, (req, res) => {
      otel.track(req as never, res as never, () => '/h2');
      res.end('ok');
    });
    for (const s of [https, h2]) {
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
    }
    cleanup.push(() => {
      https.closeAllConnections();
      https.close();
      h2.close();
    });
    const agent = { rejectUnauthorized: false, agent: false } as const;
    const httpsPort = (https.address() as AddressInfo).port;
    const get = (path: string) =>
      new Promise<void>((resolve) => {
        const req = httpsGet({ host: '127.0.0.1', port: httpsPort, path, ...agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', () => resolve());
      });
    await get('/ok');
    await get('/cut');
    const session = http2Connect(`https://127.0.0.1:${(h2.address() as AddressInfo).port}`, {
      rejectUnauthorized: false,
    });
    cleanup.push(() => session.close());
    await new Promise<void>((resolve) => {
      const stream = session.request({ ':path': '/' });
      stream.resume();
      stream.on('end', resolve);
      stream.end();
    });
    const metrics = await m.collect();
    const [ok] = points(metrics, 'http.server.request.duration', {
      'http.route': '/tls',
      'http.response.status_code': 200,
    });
    expect(ok?.attributes).toMatchObject({ 'url.scheme': 'https', 'network.protocol.version': '1.1' });
    expect(ok?.attributes).not.toHaveProperty('error.type');
    const [cut] = points(metrics, 'http.server.request.duration', { 'error.type': 'aborted' });
    expect(cut?.attributes).toMatchObject({ 'url.scheme': 'https', 'http.route': '/tls' });
    expect(cut?.attributes).not.toHaveProperty('http.response.status_code');
    const [two] = points(metrics, 'http.server.request.duration', { 'http.route': '/h2' });
    expect(two?.attributes).toMatchObject({
      'url.scheme': 'https',
      'network.protocol.version': '2',
      'http.response.status_code': 200,
    });
    expect(two?.attributes).not.toHaveProperty('error.type');
  });

  it('keeps http.route bounded: templates past maxRoutes read _OTHER, known ones stay', async () => {
    const m = meter();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle: new Lifecycle(), maxRoutes: 2 });
    const { send } = await server(otel, (req) => `/r${req.url}`);
    for (const path of ['/a', '/b', '/c', '/d', '/a']) await send('GET', path);
    const metrics = await m.collect();
    const byRoute = Object.fromEntries(
      points(metrics, 'http.server.request.duration').map((p) => [
        p.attributes['http.route'],
        (p.value as { count: number }).count,
      ]),
    );
    expect(byRoute).toEqual({ '/r/a': 2, '/r/b': 1, _OTHER: 2 });
  });

  it('measures a request tracked twice once, and none after close()', async () => {
    const m = meter();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle: new Lifecycle() });
    const s = createServer((req, res) => {
      otel.track(req, res);
      otel.track(req, res);
      res.end();
    });
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    cleanup.push(() => s.close());
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
    await (await fetch(url)).text();
    otel.close();
    await (await fetch(url)).text();
    const metrics = await m.collect();
    expect((pointValue(metrics, 'http.server.request.duration') as { count: number }).count).toBe(1);
  });
});

function fakeRequest(url: string): [IncomingMessage, ServerResponse] {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.method = 'GET';
  return [req, new ServerResponse(req)];
}

describe('createOtelMetrics: lbkit.* instruments', () => {
  it('reports the lifecycle state and the in-flight tracker', async () => {
    const m = meter();
    const lifecycle = new Lifecycle();
    createOtelMetrics({ meter: m.meter, lifecycle });
    lifecycle.markReady();
    const metrics = await m.collect();
    expect(pointValue(metrics, 'lbkit.lifecycle.state', { 'lbkit.lifecycle.state': 'ready' })).toBe(1);
    expect(pointValue(metrics, 'lbkit.lifecycle.state', { 'lbkit.lifecycle.state': 'starting' })).toBe(0);
    expect(points(metrics, 'lbkit.lifecycle.state')).toHaveLength(4);
    expect(pointValue(metrics, 'lbkit.requests.in_flight')).toBe(0);
    expect(metrics.get('lbkit.requests.in_flight')?.descriptor.unit).toBe('{request}');
    expect(metrics.get('lbkit.connections.open')?.descriptor.unit).toBe('{connection}');
    expect(metrics.get('lbkit.requests.oldest_age')?.descriptor.unit).toBe('s');
  });

  it('reports the shedding limit, queue, admitted and shed requests by reason and priority', async () => {
    const m = meter();
    const lifecycle = new Lifecycle();
    const shedder = new LoadShedder({
      lifecycle,
      concurrencyLimit: 1,
      queue: false,
      classify: (req) => (req.url === '/batch' ? 'sheddable' : 'default'),
    });
    cleanup.push(() => shedder.close());
    createOtelMetrics({ meter: m.meter, lifecycle, shedder });
    const [req1, res1] = fakeRequest('/a');
    shedder.admit(req1, res1, () => {});
    const [req2, res2] = fakeRequest('/batch');
    shedder.admit(req2, res2, () => {});
    const metrics = await m.collect();
    expect(pointValue(metrics, 'lbkit.shedding.limit')).toBe(1);
    expect(pointValue(metrics, 'lbkit.shedding.queue.length')).toBe(0);
    expect(pointValue(metrics, 'lbkit.shedding.admitted')).toBe(1);
    expect(
      pointValue(metrics, 'lbkit.shedding.shed', {
        'lbkit.shedding.reason': 'overloaded',
        'lbkit.shedding.priority': 'sheddable',
      }),
    ).toBe(1);
    for (const name of ['lbkit.shedding.limit', 'lbkit.shedding.admitted', 'lbkit.shedding.shed']) {
      expect(metrics.get(name)?.descriptor.unit).toBe('{request}');
    }
    res1.emit('close');
  });

  it('reports each health check status and duration from its latest run', async () => {
    const m = meter();
    const lifecycle = new Lifecycle();
    const health = createHealth({
      lifecycle,
      checks: [
        { name: 'db:ping', check: () => new Promise((r) => setTimeout(r, 20)) },
        { name: 'cache:ping', critical: false, check: () => false },
      ],
    });
    cleanup.push(() => health.close());
    createOtelMetrics({ meter: m.meter, lifecycle, health });
    lifecycle.markReady();
    await health.report('readiness');
    const metrics = await m.collect();
    expect(
      pointValue(metrics, 'lbkit.health.check.status', {
        'lbkit.health.check': 'db:ping',
        'lbkit.health.status': 'pass',
        'lbkit.health.critical': true,
      }),
    ).toBe(1);
    expect(
      pointValue(metrics, 'lbkit.health.check.status', {
        'lbkit.health.check': 'cache:ping',
        'lbkit.health.status': 'fail',
      }),
    ).toBe(1);
    expect(metrics.get('lbkit.health.check.duration')?.descriptor.unit).toBe('s');
    expect(
      pointValue(metrics, 'lbkit.health.check.duration', { 'lbkit.health.check': 'db:ping' }),
    ).toBeGreaterThanOrEqual(0.015);
  });

  it('records session store operations, errors once by code, and availability', async () => {
    const m = meter();
    // A store by the shape read (RedisSessionStore's events; the Prometheus test drives the real one).
    const store = Object.assign(new EventEmitter(), { available: true });
    const otel = createOtelMetrics({ meter: m.meter, lifecycle: new Lifecycle(), sessionStore: store });
    const conflict = Object.assign(new Error('conflict'), { code: 'LBKIT_SESSION_WRITE_CONFLICT' });
    store.emit('operation', { operation: 'get', durationMs: 2, error: undefined });
    store.emit('operation', { operation: 'set', durationMs: 3, error: conflict });
    store.emit('error', conflict);
    store.available = false;
    const metrics = await m.collect();
    const get = pointValue(metrics, 'lbkit.session.operation.duration', {
      'lbkit.session.operation': 'get',
      'lbkit.session.outcome': 'ok',
    }) as { count: number; sum: number };
    expect(get).toMatchObject({ count: 1, sum: 0.002 });
    expect(metrics.get('lbkit.session.operation.duration')?.descriptor.unit).toBe('s');
    expect(
      pointValue(metrics, 'lbkit.session.errors', { 'error.type': 'LBKIT_SESSION_WRITE_CONFLICT' }),
    ).toBe(1);
    expect(pointValue(metrics, 'lbkit.session.store.available')).toBe(0);
    otel.close();
    expect(store.listenerCount('operation')).toBe(0);
  });

  it('stops observing on close(): the callbacks are not called again', async () => {
    const m = meter();
    const lifecycle = new Lifecycle();
    const otel = createOtelMetrics({ meter: m.meter, lifecycle });
    expect(
      pointValue(await m.collect(), 'lbkit.lifecycle.state', { 'lbkit.lifecycle.state': 'starting' }),
    ).toBe(1);
    otel.close();
    otel.close();
    lifecycle.markReady();
    // The exporter keeps a cumulative gauge's last value; a callback still read would say ready.
    const ready = pointValue(await m.collect(), 'lbkit.lifecycle.state', {
      'lbkit.lifecycle.state': 'ready',
    });
    expect(ready === undefined || ready === 0).toBe(true);
  });
});

describe('createOtelMetrics: options', () => {
  it("uses the global meter provider's meter when none is given", async () => {
    const m = meter();
    otelApi.setGlobalMeterProvider(m.provider);
    cleanup.push(() => otelApi.disable());
    createOtelMetrics({ lifecycle: new Lifecycle() });
    expect(points(await m.collect(), 'lbkit.lifecycle.state')).toHaveLength(4);
  });

  it.each([
    ['an unknown option', { metre: {} }, 'LBKIT_METRICS_OPTION_UNKNOWN'],
    ['a meter that is not one', { meter: { createCounter() {} } }, 'LBKIT_METRICS_METER_INVALID'],
    ['maxRoutes of 0', { maxRoutes: 0 }, 'LBKIT_METRICS_OPTION_INVALID'],
    ['a shedder without snapshot()', { shedder: {} }, 'LBKIT_METRICS_OPTION_INVALID'],
    ['buckets out of order', { sessionBuckets: [1, 0.5] }, 'LBKIT_METRICS_BUCKETS_INVALID'],
  ])('refuses %s', (_name, options, code) => {
    expect(refusal(() => createOtelMetrics({ meter: testMeter().meter, ...options } as never)).code).toBe(
      code,
    );
  });

  it('refuses a source observed twice and observe() after close()', () => {
    const otel = createOtelMetrics({ meter: meter().meter, lifecycle: new Lifecycle() });
    const health = { latestResults: () => [] };
    otel.observe({ health });
    expect(refusal(() => otel.observe({ health })).code).toBe('LBKIT_METRICS_SOURCE_ALREADY_OBSERVED');
    otel.close();
    expect(refusal(() => otel.observe({ shedder: { snapshot: () => ({}) } as never })).code).toBe(
      'LBKIT_METRICS_SET_CLOSED',
    );
  });
});
