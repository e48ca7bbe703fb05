// The health contract, run against both demo apps (Express 5 and 4, Fastify) through one server factory each.
import { type IncomingHttpHeaders, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import express4 from 'express4';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoAppOptions, readConfig } from '../../examples/shared/src/index.js';
import { demoServers, expressDemoServer } from '../helpers/demo-servers.js';
import { freshDatabase, hasPostgres } from '../helpers/postgres.js';
import { hasRedis, type PrivateRedis, startRedis } from '../helpers/redis.js';

// A large backlog: 1,000 simultaneous connects would overflow the default 511 and wait for SYN retries.
const BACKLOG = 2048;

const factories = {
  'express 5': (options: DemoAppOptions) => demoServers.express(options, { backlog: BACKLOG }),
  'express 4': (options: DemoAppOptions) => expressDemoServer(express4)(options, { backlog: BACKLOG }),
  fastify: (options: DemoAppOptions) => demoServers.fastify(options, { backlog: BACKLOG }),
};

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection; `from` picks the peer address the server sees. */
function call(
  url: string,
  options: { method?: string; from?: string; headers?: Record<string, string> } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', localAddress: options.from, headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `read` yields `want`; returns the last value seen. */
async function eventually<T>(read: () => Promise<T>, want: T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (last !== want && Date.now() < deadline) {
    await sleep(100);
    last = await read();
  }
  return last;
}

const PUBLIC = '127.0.0.2';
const TOKEN = 'contract-test-token-0123456789abcdef';
const PATHS = ['/health/live', '/health/ready', '/health/startup', '/health'];
const postgresAvailable = await hasPostgres();

describe.runIf(hasRedis())('health contract', () => {
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  describe.each(Object.entries(factories))('%s demo app', (name, factory) => {
    const config = (env: Record<string, string> = {}) =>
      readConfig({ INSTANCE_ID: `contract-${name}`, ...env });

    it('flips readiness to 503 while the private Redis is stopped and back to 200 after restart; liveness stays 200', async () => {
      const lifecycle = new Lifecycle();
      const server = await factory({ config: config({ REDIS_URL: redis.url }), lifecycle });
      try {
        lifecycle.markReady();
        const readiness = async () => (await call(`${server.url}/health/ready`)).status;
        const liveness: number[] = [];
        const probeLiveness = async () => {
          liveness.push((await call(`${server.url}/health/live`)).status);
        };

        expect(await eventually(readiness, 200)).toBe(200);
        await probeLiveness();
        await redis.stop();
        expect(
          await eventually(async () => {
            await probeLiveness();
            return readiness();
          }, 503),
        ).toBe(503);
        const detailed = JSON.parse((await call(`${server.url}/health`)).body) as {
          checks: Record<string, Array<{ status: string }>>;
        };
        expect(detailed.checks['redis:responseTime']?.[0]?.status).toBe('fail');
        await redis.start();
        expect(
          await eventually(async () => {
            await probeLiveness();
            return readiness();
          }, 200),
        ).toBe(200);
        expect(new Set(liveness)).toEqual(new Set([200]));
      } finally {
        if (!redis.running) await redis.start();
        await server.close();
      }
    });

    it('fails a check that never resolves at its timeout, answering within timeout + 100 ms', async () => {
      const lifecycle = new Lifecycle();
      const server = await factory({
        config: config(),
        lifecycle,
        health: { extraChecks: [{ name: 'hung', timeoutMs: 300, check: () => new Promise(() => {}) }] },
      });
      try {
        lifecycle.markReady();
        const started = performance.now();
        const answer = await call(`${server.url}/health/ready`);
        const elapsed = performance.now() - started;
        expect(answer.status).toBe(503);
        expect(elapsed).toBeGreaterThanOrEqual(295);
        expect(elapsed).toBeLessThan(400);
        const detailed = JSON.parse((await call(`${server.url}/health`)).body) as {
          checks: Record<string, Array<{ output: string }>>;
        };
        expect(detailed.checks.hung?.[0]?.output).toMatch(/timed out/);
      } finally {
        await server.close();
      }
    });

    it('runs each check at most once for 1,000 concurrent readiness requests', async () => {
      const lifecycle = new Lifecycle();
      let executions = 0;
      const server = await factory({
        config: config({ REDIS_URL: redis.url }),
        lifecycle,
        health: {
          cacheMs: 60_000,
          extraChecks: [
            {
              name: 'counted',
              check: async () => {
                executions++;
                await sleep(20);
                return true;
              },
            },
          ],
        },
      });
      const observer = new Redis(redis.url);
      const pings = async () =>
        Number(/cmdstat_ping:calls=(\d+)/.exec(await observer.info('commandstats'))?.[1] ?? 0);
      try {
        lifecycle.markReady();
        const pingsBefore = await pings();
        // Trusted peer: every answer is detailed, so each one shows when its results were taken.
        const answers = await Promise.all(
          Array.from({ length: 1000 }, () => call(`${server.url}/health/ready`, { from: '127.0.0.1' })),
        );
        expect(answers.every((answer) => answer.status === 200)).toBe(true);
        expect(executions).toBe(1);
        expect((await pings()) - pingsBefore).toBe(1);
        const times = new Map<string, Set<string>>();
        for (const answer of answers) {
          const report = JSON.parse(answer.body) as { checks: Record<string, Array<{ time: string }>> };
          for (const [key, [entry]] of Object.entries(report.checks)) {
            if (key === 'lifecycle:state') continue;
            if (!times.has(key)) times.set(key, new Set());
            times.get(key)!.add(entry!.time);
          }
        }
        // Every check the demo has (other packages add theirs, e.g. shedding:overload), each taken exactly once.
        expect([...times.keys()]).toEqual(
          expect.arrayContaining(['counted', 'eventLoop:delay', 'heap:utilization', 'redis:responseTime']),
        );
        for (const [key, seen] of times)
          expect({ key, executions: seen.size }).toEqual({ key, executions: 1 });
      } finally {
        observer.disconnect();
        await server.close();
      }
    });

    it('gives public callers no checks and no dependency error, and trusted callers the details', async () => {
      const lifecycle = new Lifecycle();
      const secret = 'FATAL: password authentication failed for user "billing" (10.9.8.7:5432)';
      const server = await factory({
        config: config({ REDIS_URL: redis.url }),
        lifecycle,
        health: {
          token: TOKEN,
          extraChecks: [
            {
              name: 'billing-db:responseTime',
              check: async () => {
                throw new Error(secret);
              },
            },
          ],
        },
      });
      try {
        lifecycle.markReady();
        for (const path of PATHS) {
          const answer = await call(`${server.url}${path}`, { from: PUBLIC });
          expect(Object.keys(JSON.parse(answer.body))).toEqual(['status']);
          expect(answer.body).not.toContain('password');
          expect(answer.body).not.toContain('10.9.8.7');
        }
        for (const from of ['127.0.0.1', PUBLIC]) {
          const answer = await call(`${server.url}/health`, {
            from,
            headers: from === PUBLIC ? { 'x-health-token': TOKEN } : {},
          });
          expect(answer.status).toBe(503);
          const report = JSON.parse(answer.body) as {
            checks: Record<string, Array<Record<string, unknown>>>;
          };
          expect(report.checks['billing-db:responseTime']?.[0]).toMatchObject({
            status: 'fail',
            output: secret,
          });
          expect(report.checks['redis:responseTime']?.[0]).toMatchObject({
            componentType: 'datastore',
            status: 'pass',
          });
          expect(report.checks['redis:responseTime']?.[0]?.observedUnit).toBe('ms');
        }
      } finally {
        await server.close();
      }
    });

    it('hides details from public traffic a balancer on this host forwards, and shows them to a direct local caller', async () => {
      const lifecycle = new Lifecycle();
      const server = await factory({ config: config({ REDIS_URL: redis.url }), lifecycle });
      try {
        lifecycle.markReady();
        // nginx on this host connects from 127.0.0.1 and appends the public client's address.
        const forwarded = await call(`${server.url}/health`, {
          from: '127.0.0.1',
          headers: { 'x-forwarded-for': '203.0.113.9' },
        });
        expect(Object.keys(JSON.parse(forwarded.body))).toEqual(['status']);
        // A public client claiming to be local: the balancer appends its real address after the claim.
        const spoofed = await call(`${server.url}/health`, {
          from: '127.0.0.1',
          headers: { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' },
        });
        expect(Object.keys(JSON.parse(spoofed.body))).toEqual(['status']);
        const direct = await call(`${server.url}/health`, { from: '127.0.0.1' });
        expect(JSON.parse(direct.body)).toHaveProperty('checks');
      } finally {
        await server.close();
      }
    });

    it.runIf(postgresAvailable)(
      'checks PostgreSQL from DATABASE_URL and fails readiness once the database is gone',
      async () => {
        const database = await freshDatabase();
        const lifecycle = new Lifecycle();
        const server = await factory({ config: config({ DATABASE_URL: database.url }), lifecycle });
        const postgresStatus = async () => {
          const report = JSON.parse((await call(`${server.url}/health`)).body) as {
            checks: Record<string, Array<{ status: string }>>;
          };
          return report.checks['postgres:responseTime']?.[0]?.status;
        };
        try {
          lifecycle.markReady();
          expect(await postgresStatus()).toBe('pass');
          expect((await call(`${server.url}/health/ready`)).status).toBe(200);
          await database.drop();
          expect(await eventually(postgresStatus, 'fail')).toBe('fail');
          expect((await call(`${server.url}/health/ready`)).status).toBe(503);
          expect((await call(`${server.url}/health/live`)).status).toBe(200);
        } finally {
          await server.close();
          await database.drop();
        }
      },
    );

    it('answers HEAD with the GET status and headers and no body, in application/health+json', async () => {
      const lifecycle = new Lifecycle();
      const server = await factory({ config: config(), lifecycle });
      try {
        lifecycle.markReady();
        for (const path of PATHS) {
          const get = await call(`${server.url}${path}`, { from: PUBLIC });
          const head = await call(`${server.url}${path}`, { method: 'HEAD', from: PUBLIC });
          expect(get.headers['content-type']).toBe('application/health+json');
          expect(get.headers['cache-control']).toContain('no-store');
          expect(head.status).toBe(get.status);
          expect(head.body).toBe('');
          for (const header of ['content-type', 'content-length', 'cache-control']) {
            expect(head.headers[header]).toBe(get.headers[header]);
          }
        }
      } finally {
        await server.close();
      }
    });

    it('answers readiness 503 while starting and draining, liveness 200 in every state', async () => {
      const lifecycle = new Lifecycle();
      const server = await factory({ config: config(), lifecycle });
      try {
        const statuses = async () => [
          (await call(`${server.url}/health/ready`)).status,
          (await call(`${server.url}/health/live`)).status,
        ];
        expect(await statuses()).toEqual([503, 200]);
        expect((await call(`${server.url}/health/startup`)).status).toBe(503);
        lifecycle.markReady();
        expect(await statuses()).toEqual([200, 200]);
        expect((await call(`${server.url}/health/startup`)).status).toBe(200);
        lifecycle.beginDrain('SIGTERM');
        expect(await statuses()).toEqual([503, 200]);
        const report = JSON.parse((await call(`${server.url}/health/ready`)).body) as { output: string };
        expect(report.output).toBe('instance is draining');
      } finally {
        await server.close();
      }
    });
  });
});
