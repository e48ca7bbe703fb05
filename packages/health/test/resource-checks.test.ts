// heapCheck, rssCheck and eventLoopDelayCheck: what they measure and when they warn or fail.
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import type { CheckResult, HealthCheck } from '@lbkit/health';
import { eventLoopDelayCheck, heapCheck, rssCheck } from '@lbkit/health';
import { describe, expect, it } from 'vitest';

async function run(check: HealthCheck): Promise<CheckResult> {
  return (await check.check(new AbortController().signal)) as CheckResult;
}

function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // burning CPU on purpose: this is the event-loop delay under test
  }
}

describe('heapCheck', () => {
  it('reports heap used as a percentage of the heap limit, non-critical by default', async () => {
    const check = heapCheck();
    expect([check.name, check.critical, check.componentType]).toEqual(['heap:utilization', false, 'system']);
    const result = await run(check);
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    expect(result.status).toBe('pass');
    expect(result.observedUnit).toBe('percent');
    expect(result.observedValue as number).toBeGreaterThan(0);
    expect(Math.abs((result.observedValue as number) - (used / limit) * 100)).toBeLessThan(5);
  });

  it('warns above warnRatio and fails above maxRatio', async () => {
    expect((await run(heapCheck({ warnRatio: 0, maxRatio: 1 }))).status).toBe('warn');
    expect((await run(heapCheck({ maxRatio: 0 }))).status).toBe('fail');
  });
});

describe('rssCheck', () => {
  it('reports the resident set size in bytes', async () => {
    const check = rssCheck();
    expect(check.name).toBe('memory:rss');
    const result = await run(check);
    expect(result.observedUnit).toBe('bytes');
    expect(Math.abs((result.observedValue as number) - process.memoryUsage.rss())).toBeLessThan(
      64 * 1024 * 1024,
    );
  });

  it('warns above warnBytes and fails above maxBytes', async () => {
    expect((await run(rssCheck({ warnBytes: 1 }))).status).toBe('warn');
    expect((await run(rssCheck({ maxBytes: 1 }))).status).toBe('fail');
    expect((await run(rssCheck({ maxBytes: Number.MAX_SAFE_INTEGER }))).status).toBe('pass');
  });
});

describe('eventLoopDelayCheck', () => {
  it('passes on an idle loop and fails after the loop was blocked beyond maxMs', async () => {
    const check = eventLoopDelayCheck({ maxMs: 200, resolutionMs: 10 });
    try {
      await sleep(100);
      const idle = await run(check);
      expect(idle.status).toBe('pass');
      expect(idle.observedUnit).toBe('ms');
      await sleep(20);
      blockFor(600);
      await sleep(30);
      const blocked = await run(check);
      expect(blocked.status).toBe('fail');
      expect(blocked.observedValue as number).toBeGreaterThan(200);
      // Each run measures the window since the previous one.
      await sleep(100);
      expect((await run(check)).status).toBe('pass');
    } finally {
      await check.close?.();
    }
  });

  it('warns between warnMs and maxMs', async () => {
    const check = eventLoopDelayCheck({ warnMs: 50, maxMs: 10_000, resolutionMs: 10 });
    try {
      await sleep(20);
      blockFor(300);
      await sleep(30);
      expect((await run(check)).status).toBe('warn');
    } finally {
      await check.close?.();
    }
  });

  it('fails once closed', async () => {
    const check = eventLoopDelayCheck();
    await check.close?.();
    expect(await run(check)).toMatchObject({ status: 'fail', output: 'event-loop monitor closed' });
  });
});
