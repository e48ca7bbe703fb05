// How checks run: timeouts with AbortSignal, parallelism, cache and single-flight, background polling, results.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { type CheckFunction, createHealth, type Health, type HealthOptions } from '@lbkit/health';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchHealth } from './http-client.js';
import { type Served, serve } from './serve.js';

const opened: Health[] = [];
let served: Served | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
  await Promise.all(opened.splice(0).map((health) => health.close()));
});

function ready(options: HealthOptions): Health {
  const lifecycle = new Lifecycle();
  lifecycle.markReady();
  const health = createHealth({ ...options, lifecycle });
  opened.push(health);
  return health;
}

function counted(result: Awaited<ReturnType<CheckFunction>> = true, delayMs = 0) {
  const calls = { count: 0 };
  const check: CheckFunction = async () => {
    calls.count++;
    if (delayMs) await sleep(delayMs);
    return result;
  };
  return { calls, check };
}

describe('timeouts', () => {
  it('fails a check that never resolves at its timeout, aborts its signal, and still answers in time', async () => {
    let signal: AbortSignal | undefined;
    const health = ready({
      trustedNetworks: ['loopback'],
      checks: [
        {
          name: 'hung',
          timeoutMs: 200,
          check: (s) => {
            signal = s;
            return new Promise(() => {});
          },
        },
      ],
    });
    served = await serve(health);
    const started = performance.now();
    const response = await fetchHealth(`${served.url}/health/ready`);
    const elapsed = performance.now() - started;
    expect(response.status).toBe(503);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(300);
    expect(
      (response.json as { checks: Record<string, Array<{ output: string }>> }).checks.hung![0]!.output,
    ).toBe('timed out after 200 ms');
    expect(signal?.aborted).toBe(true);
    expect((signal!.reason as DOMException).name).toBe('TimeoutError');
  });

  it('runs checks in parallel: each of two checks waits for the other to have started', async () => {
    let started = 0;
    let release = (): void => {};
    const bothStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Run one after the other, the first would wait for the second forever and fail at its timeout.
    const rendezvous: CheckFunction = async () => {
      started++;
      if (started === 2) release();
      await bothStarted;
      return true;
    };
    const health = ready({ timeoutMs: 5000, checks: { a: rendezvous, b: rendezvous } });
    expect(await health.report('readiness', { detailed: false })).toEqual({ status: 'pass' });
    expect(started).toBe(2);
  });

  it('does not pile up calls to a hung dependency: no new run starts until the timed-out one settles', async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    const health = ready({
      cacheMs: 0,
      checks: [
        {
          name: 'stuck',
          timeoutMs: 50,
          check: () => {
            calls++;
            return new Promise<boolean>((resolve) => {
              release = () => resolve(true);
            });
          },
        },
      ],
    });
    expect((await health.report('readiness')).checks?.stuck?.[0]?.output).toBe('timed out after 50 ms');
    const again = await health.report('readiness');
    expect(again.checks?.stuck?.[0]?.output).toMatch(/previous run is still unsettled/);
    expect(calls).toBe(1);
    release?.();
    await sleep(0);
    const [check] = (await health.report('readiness')).checks?.stuck ?? [];
    expect(calls).toBe(2);
    expect(check?.output).toBe('timed out after 50 ms');
  });
});

describe('cache and single-flight', () => {
  it('runs each check at most once for 1,000 concurrent probes', async () => {
    const a = counted(true, 30);
    const b = counted({ status: 'warn' }, 10);
    const health = ready({ cacheMs: 5000, checks: { a: a.check, b: b.check } });
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => health.report('readiness', { detailed: false })),
    );
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set(['warn']));
    expect([a.calls.count, b.calls.count]).toEqual([1, 1]);
  });

  it('shares one run between concurrent probes even with caching off', async () => {
    const a = counted(true, 50);
    const health = ready({ cacheMs: 0, checks: { a: a.check } });
    await Promise.all(Array.from({ length: 50 }, () => health.report('readiness', { detailed: false })));
    expect(a.calls.count).toBe(1);
    await health.report('readiness', { detailed: false });
    expect(a.calls.count).toBe(2);
  });

  it('reuses a result for cacheMs, then runs the check again', async () => {
    const a = counted();
    const health = ready({ checks: [{ name: 'a', check: a.check, cacheMs: 150 }] });
    await health.report('readiness');
    await health.report('readiness');
    expect(a.calls.count).toBe(1);
    await sleep(200);
    await health.report('readiness');
    expect(a.calls.count).toBe(2);
  });

  it('answers synchronously while every result is cached', async () => {
    const health = ready({ cacheMs: 5000, checks: { a: counted().check } });
    served = await serve(health);
    const req = { url: '/health/ready', method: 'GET', headers: {}, socket: {} } as never;
    expect(health.answer('readiness', req)).toBeInstanceOf(Promise);
    await health.answer('readiness', req);
    const cached = health.answer('readiness', req);
    expect(cached).not.toBeInstanceOf(Promise);
    expect(cached).toMatchObject({ statusCode: 200, status: 'pass' });
  });
});

describe('background polling', () => {
  it('runs checks at once and every intervalMs, so probes answer from memory without waiting', async () => {
    const a = counted(true, 20);
    const health = ready({ intervalMs: 100, checks: { a: a.check } });
    await sleep(50);
    expect(a.calls.count).toBe(1);
    const req = { url: '/health/ready', method: 'GET', headers: {}, socket: {} } as never;
    expect(health.answer('readiness', req)).not.toBeInstanceOf(Promise);
    await sleep(330);
    expect(a.calls.count).toBeGreaterThanOrEqual(2);
    expect(a.calls.count).toBeLessThanOrEqual(5);
    const polledBeforeProbes = a.calls.count;
    await Promise.all(Array.from({ length: 20 }, () => health.report('readiness')));
    expect(a.calls.count).toBe(polledBeforeProbes);
  });

  it('stops polling on close()', async () => {
    const a = counted();
    const health = ready({ intervalMs: 30, checks: { a: a.check } });
    await sleep(100);
    await health.close();
    const after = a.calls.count;
    await sleep(120);
    expect(a.calls.count).toBe(after);
  });

  it('keeps no timer that holds the process open', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const { eventLoopDelayCheck } = await import('@lbkit/health');
    ready({
      intervalMs: 50,
      checks: [eventLoopDelayCheck(), { name: 'slow', timeoutMs: 1000, check: () => new Promise(() => {}) }],
    });
    await sleep(80);
    expect(timers()).toBe(before);
  });
});

describe('what a check may return', () => {
  it.each([
    ['true', () => true, 'pass', undefined],
    ['undefined', async () => undefined, 'pass', undefined],
    ['false', async () => false, 'fail', 'check returned false'],
    [
      'a thrown error',
      async () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:5432')),
      'fail',
      'ECONNREFUSED 10.0.0.5:5432',
    ],
    [
      'a synchronous throw',
      () => {
        throw new TypeError('bad');
      },
      'fail',
      'bad',
    ],
    ['a thrown non-error', async () => Promise.reject('plain'), 'fail', 'plain'],
    ['a CheckResult', async () => ({ status: 'warn' as const, output: 'slow' }), 'warn', 'slow'],
    [
      'nonsense',
      async () => 42 as never,
      'fail',
      'check returned neither a boolean nor { status: "pass" | "warn" | "fail" }',
    ],
  ])('%s', async (_name, check, status, output) => {
    const health = ready({ checks: [{ name: 'c', check: check as CheckFunction }] });
    const [entry] = (await health.report('readiness')).checks?.c ?? [];
    expect(entry?.status).toBe(status);
    expect(entry?.output).toBe(output);
  });

  it('keeps observedValue and observedUnit, turns unserialisable values into text and truncates long output', async () => {
    const health = ready({
      checks: [
        { name: 'big', check: async () => ({ status: 'pass', observedValue: 10n, observedUnit: 'items' }) },
        { name: 'long', check: async () => Promise.reject(new Error('x'.repeat(5000))) },
      ],
    });
    const report = await health.report('readiness');
    expect(report.checks?.big?.[0]).toMatchObject({ observedValue: '10', observedUnit: 'items' });
    expect(report.checks?.long?.[0]?.output?.length).toBe(512);
    expect(() => JSON.stringify(report)).not.toThrow();
  });
});
