// The warmUp option: tasks and self-requests run before ready, within a budget; over it or failing, ready with warn.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { createHealth, type Health } from '@lbkit/health';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHealth } from './http-client.js';

const servers: Server[] = [];
const healths: Health[] = [];

afterEach(async () => {
  for (const health of healths.splice(0)) await health.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An app with the health routes, `/hello` (counting its hits and their user-agent) and `/broken` (500). */
async function app(health: Health) {
  const hits: { url: string; userAgent: string | undefined }[] = [];
  const server = createServer((req, res) => {
    if (health.handle(req, res)) return;
    if (req.url?.startsWith('/hello')) {
      hits.push({ url: req.url, userAgent: req.headers['user-agent'] });
      res.end('hello');
      return;
    }
    res.statusCode = req.url === '/broken' ? 500 : 404;
    res.end();
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, hits };
}

function make(options: Parameters<typeof createHealth>[0]): Health {
  const health = createHealth(options);
  healths.push(health);
  return health;
}

/** The process warnings with an LBKIT_HEALTH_WARMUP_ code emitted while `run` runs (they arrive on the next tick). */
async function warningsDuring(run: () => Promise<unknown>): Promise<{ code: string; detail: string }[]> {
  await new Promise((resolve) => setImmediate(resolve));
  const seen: { code: string; detail: string }[] = [];
  const listener = (warning: Error & { code?: string; detail?: string }) => {
    if (warning.code?.startsWith('LBKIT_HEALTH_WARMUP_'))
      seen.push({ code: warning.code, detail: warning.detail ?? '' });
  };
  process.on('warning', listener);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('warmUp: before ready', () => {
  it('defers markReady() until the tasks have run, and startup and readiness answer 503 meanwhile', async () => {
    const lifecycle = new Lifecycle();
    const gate = deferred();
    let ran = false;
    const health = make({
      lifecycle,
      warmUp: {
        tasks: [
          async function primePool() {
            await gate.promise;
            ran = true;
          },
        ],
      },
    });
    const { url } = await app(health);
    const warming = health.warmUp();
    lifecycle.markReady('listening');
    expect(lifecycle.state).toBe('starting');
    expect(lifecycle.readyHolds).toEqual(['warm-up']);
    for (const path of ['/health/ready', '/health/startup', '/health']) {
      const answer = await fetchHealth(url + path);
      expect(answer.status).toBe(503);
      expect(answer.json).toEqual({ status: 'fail' });
    }
    const detailed = await health.report('readiness');
    expect(detailed.output).toBe('instance is warming up');
    expect(detailed.checks?.['lifecycle:warmUp']?.[0]?.status).toBe('fail');
    expect((await fetchHealth(`${url}/health/live`)).status).toBe(200);

    gate.resolve();
    const outcome = await warming;
    expect(ran).toBe(true);
    expect(outcome).toMatchObject({ status: 'pass', overBudget: false, failures: [], unfinished: [] });
    expect(lifecycle.state).toBe('ready');
    for (const path of ['/health/ready', '/health/startup', '/health']) {
      const answer = await fetchHealth(url + path);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ status: 'pass' });
    }
    expect((await health.report('readiness')).checks?.['lifecycle:warmUp']?.[0]).toMatchObject({
      status: 'pass',
      observedUnit: 'ms',
    });
  });

  it('keeps readiness failing while warm-up runs even when the lifecycle was already ready', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const gate = deferred();
    const health = make({ lifecycle, warmUp: { tasks: [() => gate.promise] } });
    const { url } = await app(health);
    const warming = health.warmUp();
    expect((await fetchHealth(`${url}/health/ready`)).status).toBe(503);
    gate.resolve();
    await warming;
    expect((await fetchHealth(`${url}/health/ready`)).status).toBe(200);
  });

  it('requests the given routes of the app itself over loopback, each `repeat` times, once it listens', async () => {
    const lifecycle = new Lifecycle();
    const health = make({
      lifecycle,
      warmUp: { routes: ['/hello', '/hello?key=2'], repeat: 3, headers: { accept: 'application/json' } },
    });
    const { server, hits } = await app(health);
    const outcome = await health.warmUp(server);
    lifecycle.markReady();
    expect(outcome.status).toBe('pass');
    expect(hits.filter((h) => h.url === '/hello')).toHaveLength(3);
    expect(hits.filter((h) => h.url === '/hello?key=2')).toHaveLength(3);
    expect(hits.every((h) => h.userAgent === 'lbkit-warm-up')).toBe(true);
    expect(lifecycle.state).toBe('ready');
  });

  it('waits for a server that does not listen yet, and reaches one on every interface over loopback', async () => {
    const lifecycle = new Lifecycle();
    const health = make({ lifecycle, warmUp: { routes: ['/hello'] } });
    let hits = 0;
    const server = createServer((req, res) => {
      if (req.url === '/hello') hits++;
      res.end();
    });
    servers.push(server);
    const warming = health.warmUp(server);
    server.listen(0, '0.0.0.0');
    expect((await warming).status).toBe('pass');
    expect(hits).toBe(1);
  });

  it('runs once: a second warmUp() shares the first', async () => {
    let runs = 0;
    const health = make({ lifecycle: new Lifecycle(), warmUp: { tasks: [() => void runs++] } });
    const first = health.warmUp();
    expect(health.warmUp()).toBe(first);
    await first;
    expect(runs).toBe(1);
  });

  it('resolves at once with pass when no warm-up is configured, and holds nothing', async () => {
    const lifecycle = new Lifecycle();
    const health = make({ lifecycle });
    expect(lifecycle.readyHolds).toEqual([]);
    expect(await health.warmUp()).toMatchObject({ status: 'pass', durationMs: 0 });
    lifecycle.markReady();
    expect(lifecycle.state).toBe('ready');
  });

  it('rejects routes without a server with LBKIT_HEALTH_WARMUP_TARGET_MISSING', async () => {
    const health = make({ lifecycle: new Lifecycle(), warmUp: { routes: ['/hello'] } });
    await expect(health.warmUp()).rejects.toMatchObject({ code: 'LBKIT_HEALTH_WARMUP_TARGET_MISSING' });
  });

  it('lets the lifecycle go when the health closes during warm-up', async () => {
    const lifecycle = new Lifecycle();
    const health = createHealth({ lifecycle, warmUp: { tasks: [() => new Promise(() => {})] } });
    void health.warmUp();
    lifecycle.markReady();
    expect(lifecycle.state).toBe('starting');
    await health.close();
    expect(lifecycle.state).toBe('ready');
  });
});

describe('warmUp: over budget or failing, ready with warn', () => {
  it('over budget: aborts the tasks, becomes ready with warn and warns LBKIT_HEALTH_WARMUP_OVER_BUDGET', async () => {
    const lifecycle = new Lifecycle();
    let aborted = false;
    const health = make({
      lifecycle,
      trustedNetworks: ['loopback'],
      warmUp: {
        budgetMs: 50,
        tasks: {
          fillCache: (signal: AbortSignal) =>
            new Promise<void>((resolve) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                resolve();
              });
            }),
        },
      },
    });
    const { url } = await app(health);
    lifecycle.markReady();
    let outcome: Awaited<ReturnType<Health['warmUp']>> | undefined;
    const warnings = await warningsDuring(async () => {
      outcome = await health.warmUp();
    });
    expect(outcome).toMatchObject({ status: 'warn', overBudget: true, unfinished: ['fillCache'] });
    expect(aborted).toBe(true);
    expect(lifecycle.state).toBe('ready');
    expect(warnings.map((w) => w.code)).toEqual(['LBKIT_HEALTH_WARMUP_OVER_BUDGET']);
    expect(warnings[0]?.detail).toContain('fillCache');
    for (const path of ['/health/ready', '/health/startup']) {
      const answer = await fetchHealth(url + path, { localAddress: '127.0.0.1' });
      expect(answer.status).toBe(200);
      expect((answer.json as { status: string }).status).toBe('warn');
    }
    const entry = (await health.report('readiness')).checks?.['lifecycle:warmUp']?.[0];
    expect(entry?.status).toBe('warn');
    expect(entry?.output).toContain('over its budget of 50 ms');
  });

  it('a failing task: ready with warn, LBKIT_HEALTH_WARMUP_TASK_FAILED, its error only in the detailed report', async () => {
    const lifecycle = new Lifecycle();
    const health = make({
      lifecycle,
      token: 'a-token-of-sixteen-chars',
      warmUp: {
        tasks: [
          async function connectPool() {
            throw new Error('password authentication failed for user "app"');
          },
        ],
      },
    });
    const { url } = await app(health);
    lifecycle.markReady();
    let outcome: Awaited<ReturnType<Health['warmUp']>> | undefined;
    const warnings = await warningsDuring(async () => {
      outcome = await health.warmUp();
    });
    expect(outcome).toMatchObject({
      status: 'warn',
      overBudget: false,
      failures: [{ name: 'connectPool', error: 'password authentication failed for user "app"' }],
    });
    expect(warnings.map((w) => w.code)).toEqual(['LBKIT_HEALTH_WARMUP_TASK_FAILED']);
    expect(lifecycle.state).toBe('ready');
    const publicAnswer = await fetchHealth(`${url}/health/ready`);
    expect(publicAnswer.status).toBe(200);
    expect(publicAnswer.json).toEqual({ status: 'warn' });
    expect(publicAnswer.text).not.toContain('password');
    const trusted = await fetchHealth(`${url}/health`, {
      headers: { 'x-health-token': 'a-token-of-sixteen-chars' },
    });
    const entry = (trusted.json as { checks: Record<string, { status: string; output: string }[]> }).checks[
      'lifecycle:warmUp'
    ]?.[0];
    expect(entry?.status).toBe('warn');
    expect(entry?.output).toContain('connectPool (password authentication failed');
  });

  it('a route answering 500 is a failure: ready with warn', async () => {
    const lifecycle = new Lifecycle();
    const health = make({ lifecycle, warmUp: { routes: ['/hello', '/broken'] } });
    const { server } = await app(health);
    const outcome = await health.warmUp(server);
    expect(outcome.status).toBe('warn');
    expect(outcome.failures).toEqual([{ name: 'GET /broken', error: 'answered 500' }]);
  });
});

describe('warmUp: options', () => {
  const refused = (warmUp: unknown) => {
    try {
      createHealth({ lifecycle: new Lifecycle(), warmUp: warmUp as never });
    } catch (error) {
      if (isLbkitError(error)) return { code: error.code, message: error.message };
      throw error;
    }
    throw new Error('not refused');
  };

  it('refuses an unknown key with LBKIT_HEALTH_OPTION_UNKNOWN naming the closest one', () => {
    expect(refused({ budget: 1000 })).toMatchObject({
      code: 'LBKIT_HEALTH_OPTION_UNKNOWN',
      message: expect.stringContaining('did you mean "warmUp.budgetMs"'),
    });
  });

  it('refuses a route that is not a path, a task that is not a function and a budget of 0', () => {
    expect(refused({ routes: ['http://example.com/'] }).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
    expect(refused({ routes: '/hello' }).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
    expect(refused({ tasks: ['prime'] }).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
    expect(refused({ budgetMs: 0 }).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
    expect(refused({ repeat: 1.5 }).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
    expect(refused({ headers: { 'bad header': 'x' } }).code).toBe('LBKIT_HEALTH_OPTION_INVALID');
  });
});

describe('warmUp: timers', () => {
  it('keeps no process alive: a process whose warm-up hangs with a long budget exits on its own', async () => {
    const { spawn } = await import('node:child_process');
    const dist = (pkg: string) => new URL(`../../${pkg}/dist/index.js`, import.meta.url).href;
    const script = `
      import { Lifecycle } from '${dist('core')}';
      import { createHealth } from '${dist('health')}';
      const health = createHealth({ lifecycle: new Lifecycle(), warmUp: { budgetMs: 600000, tasks: [() => new Promise(() => {})] } });
      void health.warmUp();
      console.log('started');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code] = await once(child, 'exit');
    clearTimeout(timer);
    expect(out.trim()).toBe('started');
    expect(code).toBe(0);
  });
});
