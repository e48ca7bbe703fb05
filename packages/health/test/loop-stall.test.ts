// Regression (demo live page, Overload behind HAProxy): our own CPU work blocking the event loop past a check's
// timeout must not fail a healthy Redis (and readiness on every instance at once); a really hung Redis still fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lifecycle } from '@lbkit/core';
import { createHealth, type Health, redisCheck } from '@lbkit/health';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '../../../test/helpers/ports.js';
import { hasRedis, redisServerBinary } from '../../../test/helpers/redis.js';
import { fetchHealth } from './http-client.js';
import { type Served, serve } from './serve.js';

const TIMEOUT_MS = 200;

/** Blocks the event loop for `ms`, the way a synchronous handler (the demo's /work) does. */
function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: nothing else of this process runs meanwhile
  }
}

/** A redis-server of this file's own, so it can be paused with SIGSTOP (a hung dependency). */
async function startPausableRedis(): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-redis-stall-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(redisServerBinary!, [...args, '--dir', dir, '--protected-mode', 'no'], {
    stdio: 'ignore',
  });
  await waitForPort(port);
  return { port, child, dir };
}

describe.runIf(hasRedis())('a check while our own event loop is blocked', () => {
  let redis: Awaited<ReturnType<typeof startPausableRedis>>;
  let client: Redis;
  let health: Health;
  let served: Served | undefined;

  beforeAll(async () => {
    redis = await startPausableRedis();
    client = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    await client.ping();
  });

  afterAll(async () => {
    redis.child.kill('SIGCONT');
    client.disconnect();
    redis.child.kill('SIGKILL');
    rmSync(redis.dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    redis.child.kill('SIGCONT');
    await served?.close();
    served = undefined;
    await health?.close();
  });

  const healthWithRedis = (): Health => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    return createHealth({
      lifecycle,
      cacheMs: 0,
      trustedNetworks: ['loopback'],
      checks: [redisCheck(client, { timeoutMs: TIMEOUT_MS })],
    });
  };

  /**
   * Answers `/health/ready` the way an instance does when CPU-bound requests (the demo's /work) were
   * read in the same turn as the probe: they run synchronously right after the probe's handler has
   * started the check, blocking the loop for `stallMs`.
   */
  async function probeFollowedByCpuWork(stallMs: number) {
    const server = createServer((req, res) => {
      if (!health.handle(req, res)) res.writeHead(404).end();
      blockLoop(stallMs);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      return await fetchHealth(`http://127.0.0.1:${port}/health/ready`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  // Just past the timeout (the slices count the stall as lag), and far past it (the wall-clock bound is
  // reached: the turn of the loop before failing reads the reply that arrived meanwhile).
  for (const stallMs of [TIMEOUT_MS + 100, TIMEOUT_MS * 4]) {
    it(`answers readiness 200 for a healthy Redis checked while CPU work blocked the loop for ${stallMs} ms (timeout ${TIMEOUT_MS} ms)`, async () => {
      health = healthWithRedis();
      const response = await probeFollowedByCpuWork(stallMs);
      expect(response.status).toBe(200);
      const checks = (response.json as { checks: Record<string, Array<{ status: string }>> }).checks;
      expect(checks['redis:responseTime']?.[0]?.status).toBe('pass');
    });
  }

  it('passes a healthy Redis in a report whose check ran while the loop was blocked', async () => {
    health = healthWithRedis();
    const report = health.report('readiness', { detailed: true });
    blockLoop(TIMEOUT_MS + 100);
    const result = await report;
    expect(result.checks?.['redis:responseTime']?.[0]?.status).toBe('pass');
    expect(result.status).toBe('pass');
  });

  it('still fails a really hung Redis (SIGSTOP) at its timeout, and passes again once it resumes', async () => {
    health = healthWithRedis();
    redis.child.kill('SIGSTOP');
    const report = await health.report('readiness', { detailed: true });
    expect(report.status).toBe('fail');
    expect(report.checks?.['redis:responseTime']?.[0]?.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
    redis.child.kill('SIGCONT');
    // The timed-out PING settles once Redis answers it; then a run starts again and passes.
    let status = report.status;
    for (let i = 0; i < 100 && status !== 'pass'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await health.report('readiness')).status;
    }
    expect(status).toBe('pass');
  });

  it('still fails a really hung Redis (SIGSTOP) when the loop is blocked during its check', async () => {
    health = healthWithRedis();
    redis.child.kill('SIGSTOP');
    const report = health.report('readiness', { detailed: true });
    blockLoop(TIMEOUT_MS * 3);
    const result = await report;
    expect(result.status).toBe('fail');
    expect(result.checks?.['redis:responseTime']?.[0]?.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
  });

  it('shows no detail of the stalled or hung check to a public caller', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    health = createHealth({ lifecycle, cacheMs: 0, checks: [redisCheck(client, { timeoutMs: TIMEOUT_MS })] });
    served = await serve(health);
    redis.child.kill('SIGSTOP');
    const response = await fetchHealth(`${served.url}/health/ready`);
    expect(response.status).toBe(503);
    expect(response.json).toEqual({ status: 'fail' });
  });
});
