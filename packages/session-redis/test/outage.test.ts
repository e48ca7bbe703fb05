// Redis outages during traffic: bounded answers in the configured fail mode, readiness failing, recovery, no acknowledged write lost.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore } from '@lbkit/session-redis';
import { Redis } from 'ioredis';
import { Redis as Valkey } from 'iovalkey';
import { createClient } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, type PrivateRedis, startRedis } from '../../../test/helpers/redis.js';
import { expressOutageApp, fastifyOutageApp, type OutageApp } from './outage-app.js';

const COMMAND_TIMEOUT_MS = 400;
/** Scheduling slack on a 2-core machine shared with other test files. */
const SLACK_MS = 400;

interface Timed {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

class Visitor {
  cookie: string | undefined;
  lastAcknowledged = -1;

  constructor(
    readonly app: OutageApp,
    readonly keepCookie = true,
  ) {}

  async send(method: 'GET' | 'POST', path: string): Promise<Timed> {
    const started = performance.now();
    const response = await fetch(`${this.app.url}${path}`, {
      method,
      headers: this.cookie ? { cookie: `${this.app.cookieName}=${this.cookie}` } : {},
    });
    const body = (await response.json()) as Record<string, unknown>;
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      if (this.keepCookie && pair.startsWith(`${this.app.cookieName}=`)) {
        this.cookie = pair.slice(this.app.cookieName.length + 1);
      }
    }
    return { status: response.status, body, ms: performance.now() - started };
  }

  /** Stores n; remembers it as acknowledged when the answer is 200 with a session. */
  async count(n: number): Promise<Timed> {
    const answer = await this.send('POST', `/count?n=${n}`);
    if (answer.status === 200 && answer.body.session === true) this.lastAcknowledged = n;
    return answer;
  }
}

async function ready(app: OutageApp): Promise<number> {
  return (await fetch(`${app.url}/health/ready`)).status;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Keeps every visitor writing increasing numbers until `stop()`; returns every answer. */
function traffic(visitors: Visitor[]): { stop(): Promise<Timed[]> } {
  let running = true;
  const answers: Timed[] = [];
  const loops = visitors.map(async (visitor) => {
    let n = visitor.lastAcknowledged + 1;
    while (running) {
      answers.push(await visitor.count(n++));
      await sleep(10);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

describe.runIf(hasRedis()).each(['ioredis', 'iovalkey', 'node-redis', 'node-redis 4'] as const)(
  'Redis outage during traffic (%s)',
  (driver) => {
    let redis: PrivateRedis;
    let client: Redis | Valkey | ReturnType<typeof createClient> | ReturnType<typeof createClient4>;
    let inspect: Redis;
    const apps: OutageApp[] = [];
    const stores: RedisSessionStore[] = [];

    beforeAll(async () => {
      // appendfsync always: a write Redis acknowledged survives a crash, so "no acknowledged write lost" is checkable.
      redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
      if (driver === 'ioredis' || driver === 'iovalkey') {
        const options = {
          commandTimeout: COMMAND_TIMEOUT_MS,
          maxRetriesPerRequest: 1,
          retryStrategy: () => 100,
          autoResendUnfulfilledCommands: false,
        };
        const created =
          driver === 'ioredis'
            ? new Redis(redis.port, redis.host, options)
            : new Valkey(redis.port, redis.host, options);
        created.on('error', () => {});
        client = created;
      } else {
        // The client as connect-redis 9 users have it: default options but a quick reconnection.
        const options = { socket: { host: redis.host, port: redis.port, reconnectStrategy: () => 100 } };
        const created = driver === 'node-redis' ? createClient(options) : createClient4(options);
        created.on('error', () => {});
        await created.connect();
        client = created;
      }
      inspect = new Redis(redis.port, redis.host, { retryStrategy: () => 100, lazyConnect: true });
      inspect.on('error', () => {});
    });

    afterEach(async () => {
      if (!redis.running) await redis.start();
    });

    afterAll(async () => {
      for (const app of apps) await app.close();
      for (const store of stores) store.close();
      if (client instanceof Redis || client instanceof Valkey) client.disconnect();
      else if (driver === 'node-redis') (client as ReturnType<typeof createClient>).destroy();
      else if (client.isOpen) await (client as ReturnType<typeof createClient4>).disconnect();
      inspect.disconnect();
      await redis.close();
    });

    function store(failMode: 'closed' | 'open'): RedisSessionStore {
      const created = new RedisSessionStore({
        client,
        failMode,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
        probeIntervalMs: 100,
      });
      stores.push(created);
      return created;
    }

    it.each([
      { name: 'express', build: expressOutageApp, how: 'kill' },
      { name: 'fastify', build: fastifyOutageApp, how: 'stop' },
    ] as const)(
      '$name, fail closed: 503 within the timeout, readiness fails, recovers, keeps acknowledged writes (Redis $how)',
      async ({ build, how }) => {
        const app = await build(store('closed'), client);
        apps.push(app);
        const visitors = [0, 1, 2, 3].map(() => new Visitor(app));
        for (const visitor of visitors) expect((await visitor.count(0)).status).toBe(200);
        expect(await ready(app)).toBe(200);

        const before = traffic(visitors);
        await sleep(300);
        if (how === 'kill') await redis.kill();
        else await redis.stop();
        const beforeAnswers = await before.stop();
        expect(beforeAnswers.some((a) => a.status === 200)).toBe(true);
        const acknowledged = visitors.map((v) => v.lastAcknowledged);

        const during = traffic(visitors);
        await sleep(800);
        const outage = await during.stop();
        expect(outage.length).toBeGreaterThan(8);
        for (const answer of outage) {
          expect(answer.status).toBe(503);
          expect(answer.body.code).toMatch(/^LBKIT_SESSION_REDIS_(UNAVAILABLE|TIMEOUT)$/);
          expect(answer.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
        }
        expect(await ready(app)).toBe(503);

        await redis.start();
        await until('readiness', async () => (await ready(app)) === 200);
        await until('sessions', async () => (await visitors[0]!.send('GET', '/read')).status === 200);
        for (const [i, visitor] of visitors.entries()) {
          const read = await visitor.send('GET', '/read');
          expect(read.status).toBe(200);
          expect(read.body.n).toBeGreaterThanOrEqual(acknowledged[i]!);
        }
        expect((await visitors[0]!.count(1000)).status).toBe(200);
      },
    );

    it('express, fail closed: a paused Redis (SIGSTOP) answers 503 after commandTimeoutMs, then recovers', async () => {
      const app = await expressOutageApp(store('closed'), client);
      apps.push(app);
      const visitor = new Visitor(app);
      await visitor.count(1);
      await inspect.connect().catch(() => {});
      const pid = Number(/process_id:(\d+)/.exec(await inspect.info('server'))?.[1]);
      process.kill(pid, 'SIGSTOP');
      try {
        const answers = await Promise.all([visitor.count(2), visitor.send('GET', '/read')]);
        for (const answer of answers) {
          expect(answer.status).toBe(503);
          expect(answer.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
          expect(answer.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
        }
        expect(await ready(app)).toBe(503);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await until('sessions', async () => (await visitor.send('GET', '/read')).status === 200);
      expect((await visitor.count(3)).status).toBe(200);
      expect((await visitor.send('GET', '/read')).body.n).toBe(3);
    });

    it('express, fail open: serves without a session while Redis is down, then the session is back', async () => {
      const sessions = store('open');
      const events: string[] = [];
      sessions.on('disconnect', () => events.push('disconnect'));
      sessions.on('connect', () => events.push('connect'));
      const app = await expressOutageApp(sessions, client);
      apps.push(app);
      const visitor = new Visitor(app, false);
      const first = new Visitor(app);
      await first.count(7);
      visitor.cookie = first.cookie;

      await redis.kill();
      await until('disconnect', async () => events.includes('disconnect'));
      for (let i = 0; i < 5; i++) {
        const answer = await visitor.send('GET', '/read');
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ session: false, n: null });
        expect(answer.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
      }
      expect(await ready(app)).toBe(503);

      await redis.start();
      await until('connect', async () => events.includes('connect'));
      expect(events).toEqual(['disconnect', 'connect']);
      expect((await visitor.send('GET', '/read')).body).toEqual({ session: true, n: 7 });
    });
  },
);
