// LoadShedder on a real node:http server: admission, queueing, priorities, rejections, lifecycle.
import { get as httpGet, IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder, type LoadSheddingOptions } from '@lbkit/shedding';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Handler, type Served, serveShedder } from './helpers/served-shedder.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const agent = new Agent({ connections: 64, keepAliveTimeout: 1000 });
cleanups.push(() => {});

function serve(options: LoadSheddingOptions, handler: Handler): Promise<Served> {
  return serveShedder(options, handler, cleanups);
}

async function get(url: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  const started = performance.now();
  const res = await request(url, {
    dispatcher: agent,
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers,
  });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - started };
}

/** Polls `condition` every 5 ms (the machine may be busy: never rely on one fixed sleep). */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

const ok = (res: ServerResponse, body = 'ok'): void => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(body);
};

describe('LoadShedder on node:http', () => {
  it('admits requests under the limit and feeds the lifecycle in-flight tracking', async () => {
    let seenInFlight = -1;
    const { url, lifecycle } = await serve({}, (_req, res) => {
      seenInFlight = lifecycle.inFlight.requests;
      ok(res);
    });
    const res = await get(`${url}/work`);
    expect(res.status).toBe(200);
    expect(seenInFlight).toBe(1);
    await sleep(10);
    expect(lifecycle.inFlight.requests).toBe(0);
  });

  it('queues requests that find the limit reached and serves them as slots free, shedding none', async () => {
    let running = 0;
    let peak = 0;
    // A long queue bound: waiting behind two 20 ms requests must not time out on a loaded machine.
    const { url, shedder } = await serve(
      { concurrencyLimit: 1, queue: { intervalMs: 2000 } },
      async (_req, res) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(20);
        running--;
        ok(res);
      },
    );
    const results = await Promise.all([1, 2, 3].map(() => get(`${url}/work`)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(peak).toBe(1);
    expect(shedder.snapshot().rejected.overloaded + shedder.snapshot().rejected['queue-timeout']).toBe(0);
  });

  it('sheds with 503, a jittered Retry-After and a small JSON body when it cannot queue', async () => {
    const { url, shedder } = await serve({ concurrencyLimit: 1, queue: false }, async (_req, res) => {
      await sleep(150);
      ok(res);
    });
    const first = get(`${url}/work`);
    await until(() => shedder.inFlight === 1);
    const shed = await get(`${url}/work`);
    expect(shed.status).toBe(503);
    expect(Number(shed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(Number(shed.headers['retry-after']))).toBe(true);
    expect(shed.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(shed.body)).toEqual({ error: 'Service Unavailable', reason: 'overloaded' });
    expect((await first).status).toBe(200);
  });

  it('answers a shed HEAD request without a body', async () => {
    const { url, shedder } = await serve(
      { concurrencyLimit: 1, queue: false, format: 'text' },
      async (_req, res) => {
        await sleep(100);
        ok(res);
      },
    );
    const first = get(`${url}/work`);
    await until(() => shedder.inFlight === 1);
    const shed = await get(`${url}/work`, { method: 'HEAD' });
    expect(shed.status).toBe(503);
    expect(shed.body).toBe('');
    expect(Number(shed.headers['content-length'])).toBeGreaterThan(0);
    await first;
  });

  it('never limits health and metrics routes, and never liveness even when exempt is emptied', async () => {
    for (const exempt of [undefined, [] as string[]]) {
      const { url, shedder } = await serve(
        { concurrencyLimit: 1, queue: false, exempt },
        async (req, res) => {
          if (req.url === '/work') await sleep(150);
          ok(res);
        },
      );
      const busy = get(`${url}/work`);
      await until(() => shedder.inFlight === 1);
      expect((await get(`${url}/health/live`)).status).toBe(200);
      if (exempt === undefined) {
        expect((await get(`${url}/health/ready`)).status).toBe(200);
        expect((await get(`${url}/metrics`)).status).toBe(200);
      } else {
        expect((await get(`${url}/health/ready`)).status).toBe(503);
      }
      expect((await busy).status).toBe(200);
    }
  });

  it('admits critical requests above the limit', async () => {
    const { url, shedder } = await serve(
      {
        concurrencyLimit: 1,
        queue: false,
        classify: (req) => (req.headers['x-priority'] === 'critical' ? 'critical' : 'default'),
      },
      async (_req, res) => {
        await sleep(100);
        ok(res);
      },
    );
    const busy = get(`${url}/work`);
    await until(() => shedder.inFlight === 1);
    const [critical, normal] = await Promise.all([
      get(`${url}/pay`, { headers: { 'x-priority': 'critical' } }),
      get(`${url}/work`),
    ]);
    expect(critical.status).toBe(200);
    expect(normal.status).toBe(503);
    await busy;
  });

  it('drops a queued request whose client went away, without running its handler', async () => {
    const handled: string[] = [];
    const { url, shedder } = await serve({ concurrencyLimit: 1 }, async (req, res) => {
      handled.push(req.url ?? '');
      await sleep(150);
      ok(res);
    });
    const busy = get(`${url}/first`);
    await sleep(20);
    const gone = httpGet(`${url}/gone`);
    gone.on('error', () => {});
    await until(() => shedder.queued === 1);
    gone.destroy();
    await until(() => shedder.queued === 0);
    expect(shedder.snapshot().abandoned).toBe(1);
    await busy;
    await sleep(20);
    expect(handled).toEqual(['/first']);
  });

  it('serves default requests before sheddable ones waiting in the queue', async () => {
    const order: string[] = [];
    const { url, shedder } = await serve(
      {
        concurrencyLimit: 1,
        // Waiting behind two 40 ms requests must not time out, however slow a loaded machine makes them.
        queue: { intervalMs: 2000 },
        classify: (req) => (req.url === '/report' ? 'sheddable' : 'default'),
      },
      async (req, res) => {
        order.push(req.url ?? '');
        await sleep(40);
        ok(res);
      },
    );
    const first = get(`${url}/first`);
    await until(() => shedder.inFlight === 1);
    const report = get(`${url}/report`);
    await until(() => shedder.queued === 1);
    const page = get(`${url}/page`);
    await Promise.all([first, report, page]);
    expect(order).toEqual(['/first', '/page', '/report']);
  });

  it('sheds sheddable requests at once while the queue is overloaded, and queues default ones', async () => {
    const { url, shedder } = await serve(
      {
        concurrencyLimit: 1,
        queue: { targetMs: 5, intervalMs: 40 },
        classify: (req) => (req.url === '/report' ? 'sheddable' : 'default'),
      },
      async (_req, res) => {
        await sleep(300);
        ok(res);
      },
    );
    const first = get(`${url}/first`);
    await until(() => shedder.inFlight === 1);
    // Default requests keep arriving, so the queue never empties: a standing queue.
    const defaults: Array<ReturnType<typeof get>> = [];
    const feeder = setInterval(() => defaults.push(get(`${url}/page`)), 4);
    try {
      await until(() => shedder.snapshot().overloaded);
      const report = await get(`${url}/report`);
      expect(report.status).toBe(503);
      expect(JSON.parse(report.body).reason).toBe('overloaded');
      expect(shedder.snapshot().rejected.overloaded).toBe(1);
    } finally {
      clearInterval(feeder);
    }
    // Default requests were queued, then shed once they waited past the overloaded queue's target.
    const pages = await Promise.all(defaults);
    expect(pages.some((p) => p.status === 503 && JSON.parse(p.body).reason === 'queue-timeout')).toBe(true);
    expect((await first).status).toBe(200);
  });

  it('stops admitting once the lifecycle is stopped, and rejects what was queued', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const { url, shedder } = await serve({ lifecycle, concurrencyLimit: 1 }, async (_req, res) => {
      await sleep(100);
      ok(res);
    });
    const running = get(`${url}/running`);
    await until(() => shedder.inFlight === 1);
    const queued = get(`${url}/queued`);
    await until(() => shedder.queued === 1);
    lifecycle.beginDrain('test');
    lifecycle.markStopped('test');
    const late = await get(`${url}/late`);
    expect(late.status).toBe(503);
    expect(JSON.parse(late.body).reason).toBe('stopped');
    expect(JSON.parse((await queued).body).reason).toBe('stopped');
    expect((await running).status).toBe(200);
  });

  it('keeps admitting while draining, so in-flight and late requests still get served', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const { url } = await serve({ lifecycle }, (_req, res) => ok(res));
    lifecycle.beginDrain('test');
    expect((await get(`${url}/work`)).status).toBe(200);
  });

  it('writes a custom response through onReject', async () => {
    const { url, shedder } = await serve(
      {
        concurrencyLimit: 1,
        queue: false,
        onReject: (rejection, _req, res) => {
          res.writeHead(503, {
            'retry-after': String(rejection.retryAfterSeconds),
            'x-shed': rejection.reason,
          });
          res.end('busy');
        },
      },
      async (_req, res) => {
        await sleep(100);
        ok(res);
      },
    );
    const busy = get(`${url}/work`);
    await until(() => shedder.inFlight === 1);
    const shed = await get(`${url}/work`);
    expect(shed.status).toBe(503);
    expect(shed.headers['x-shed']).toBe('overloaded');
    expect(shed.body).toBe('busy');
    await busy;
  });

  it('sheds everything but critical requests while a static backstop is tripped', async () => {
    const { url, shedder } = await serve(
      {
        signals: { intervalMs: 10 },
        thresholds: { heapUsedBytes: { high: 1, low: 0 } },
        classify: (req) => (req.url === '/pay' ? 'critical' : 'default'),
      },
      (_req, res) => ok(res),
    );
    await sleep(60);
    expect(shedder.snapshot().backstops).toEqual(['heapUsedBytes']);
    const shed = await get(`${url}/work`);
    expect(shed.status).toBe(503);
    expect(JSON.parse(shed.body).reason).toBe('backstop');
    expect((await get(`${url}/pay`)).status).toBe(200);
    expect((await get(`${url}/health/live`)).status).toBe(200);
  });

  it('runs at most `limit` synchronous handlers per event-loop turn, queueing the rest instead of shedding', async () => {
    let turn = 0;
    let probe: NodeJS.Immediate | undefined;
    const tick = (): void => {
      turn++;
      probe = setImmediate(tick);
    };
    tick();
    cleanups.push(() => clearImmediate(probe));
    const perTurn = new Map<number, number>();
    const { url } = await serve({ concurrencyLimit: 2 }, (_req, res) => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      const end = performance.now() + 2;
      while (performance.now() < end);
      ok(res);
    });
    const results = await Promise.all(Array.from({ length: 12 }, () => get(`${url}/work`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(2);
  });

  it('bounds each loop turn by turnBudgetMs even before the limit has samples (a cold start under a burst)', async () => {
    let turn = 0;
    let probe: NodeJS.Immediate | undefined;
    const tick = (): void => {
      turn++;
      probe = setImmediate(tick);
    };
    tick();
    cleanups.push(() => clearImmediate(probe));
    const perTurn = new Map<number, number>();
    const { url, shedder } = await serve({ turnBudgetMs: 10 }, (_req, res) => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      const end = performance.now() + 4;
      while (performance.now() < end);
      ok(res);
    });
    expect(shedder.snapshot().warm).toBe(false);
    const results = await Promise.all(Array.from({ length: 12 }, () => get(`${url}/work`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    // Starts at 0, 4 and 8 ms fit in a 10 ms budget; the fourth waits for the next turn.
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(3);
  });

  it('lets an async handler write its response before the next queued request runs', async () => {
    const events: string[] = [];
    const burn = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const { url, shedder } = await serve({ concurrencyLimit: 10, turnBudgetMs: 50 }, async (req, res) => {
      if (req.url === '/health/live') return ok(res);
      // The first request uses up the turn's budget, so the others are read into the queue and
      // admitted together at the next turn.
      burn(req.url === '/first' ? 80 : 5);
      events.push(`ran ${req.url}`);
      await null;
      ok(res);
      events.push(`answered ${req.url}`);
    });
    // Four warm connections, then four requests written in one go: the server reads them in one poll.
    await Promise.all(Array.from({ length: 4 }, () => get(`${url}/health/live`)));
    await Promise.all([get(`${url}/first`), get(`${url}/a`), get(`${url}/b`), get(`${url}/c`)]);
    expect(shedder.snapshot().admitted).toBe(4);
    const queued = events.filter((e) => !e.endsWith('/first'));
    expect(queued).toHaveLength(6);
    for (let i = 0; i < queued.length; i += 2) {
      expect(queued[i]).toMatch(/^ran /);
      expect(queued[i + 1]).toBe(queued[i]!.replace('ran', 'answered'));
    }
  });

  it('admits what is queued when closed, and passes everything through afterwards', async () => {
    const events: string[] = [];
    const { url, shedder } = await serve({ concurrencyLimit: 1 }, async (req, res) => {
      events.push(`start ${req.url}`);
      await sleep(60);
      events.push(`end ${req.url}`);
      ok(res);
    });
    const first = get(`${url}/a`);
    await until(() => shedder.inFlight === 1);
    const second = get(`${url}/b`);
    await until(() => shedder.queued === 1);
    shedder.close();
    expect(shedder.queued).toBe(0);
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // The queued request started at close, not after the first finished.
    expect(events.slice(0, 2)).toEqual(['start /a', 'start /b']);
    expect((await get(`${url}/c`)).status).toBe(200);
  });

  /**
   * A shedder with one slot on a simulated clock, fed bare request objects: `request(name)` admits
   * one and `log` records what became of each (`start a`, `503 b queue-timeout`).
   */
  function simulated() {
    const clock = { now: 0 };
    const lifecycle = new Lifecycle();
    const shedder = new LoadShedder({
      lifecycle,
      concurrencyLimit: 1,
      queue: { targetMs: 5, intervalMs: 100 },
      clock: () => clock.now,
    });
    cleanups.push(() => shedder.close());
    const log: string[] = [];
    const request = (name: string): ServerResponse => {
      const req = new IncomingMessage(new Socket());
      req.url = `/${name}`;
      const res = new ServerResponse(req);
      shedder.admit(
        req,
        res,
        () => log.push(`start ${name}`),
        (rejection) => log.push(`503 ${name} ${rejection.reason}`),
      );
      return res;
    };
    return { clock, lifecycle, log, request };
  }

  it('answers queued requests that waited too long only after the turn end has admitted the newest', async () => {
    const { clock, log, request } = simulated();
    const a = request('a'); // runs, holding the only slot
    request('b'); // queued at t = 0
    await sleep(5); // a turn end with no slot free: b stays queued
    expect(log).toEqual(['start a']);
    clock.now = 150; // b has waited 150 ms, above the 5 ms target for more than an interval
    log.length = 0;
    // In a poll phase: c arrives (the queue is overloaded, b has expired) and a finishes.
    request('c');
    a.emit('close');
    expect(log).toEqual([]); // b's 503 is not written in the middle of the poll phase
    await sleep(5);
    // The turn end serves the newest request first, then answers what expired.
    expect(log).toEqual(['start c', '503 b queue-timeout']);
  });

  it('answers a request that waited too long with its 503, not a start, when the lifecycle stops before the turn end', async () => {
    const { clock, lifecycle, log, request } = simulated();
    request('a');
    request('b');
    await sleep(5);
    clock.now = 150;
    log.length = 0;
    request('c'); // b expires, its 503 deferred to the turn end
    lifecycle.markStopped('test');
    await sleep(5);
    expect(log).toContain('503 b queue-timeout');
    expect(log).toContain('503 c stopped');
    expect(log.filter((line) => line.startsWith('start'))).toEqual([]);
  });
});
