// The signal sampler: standing event-loop delay ignores one slow tick, sees a saturated loop; timers never hold the process.
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder } from '@lbkit/shedding';
import { describe, expect, it } from 'vitest';
import { OverloadSignals } from '../src/signals.js';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('OverloadSignals', () => {
  it('keeps no ref()ed timer, so a shedder never holds the process open', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const shedder = new LoadShedder({ lifecycle: new Lifecycle(), signals: { intervalMs: 10 } });
    await sleep(30);
    expect(timers()).toBe(before);
    shedder.close();
  });

  it('reads heap, RSS and utilisation every interval', async () => {
    const readings: number[] = [];
    const signals = new OverloadSignals(
      { intervalMs: 20, eventLoopDelayPercentile: 10, resolutionMs: 5 },
      (r) => readings.push(r.heapUsedBytes),
    );
    signals.start();
    block(10);
    await sleep(70);
    signals.close();
    expect(readings.length).toBeGreaterThanOrEqual(2);
    expect(signals.latest.heapUsedBytes).toBeGreaterThan(0);
    expect(signals.latest.rssBytes).toBeGreaterThan(signals.latest.heapUsedBytes);
    expect(signals.latest.eventLoopUtilization).toBeGreaterThanOrEqual(0);
    expect(signals.latest.eventLoopUtilization).toBeLessThanOrEqual(1);
  });

  it('does not read one slow tick (a GC pause) as a standing queue', async () => {
    const signals = new OverloadSignals(
      { intervalMs: 200, eventLoopDelayPercentile: 10, resolutionMs: 5 },
      () => {},
    );
    signals.start();
    await sleep(50);
    block(60);
    await sleep(100);
    const reading = signals.sample();
    signals.close();
    expect(reading.eventLoopDelayMs).toBeLessThan(30);
  });

  it('reads a loop that stays busy for the whole interval as a standing delay', async () => {
    const signals = new OverloadSignals(
      { intervalMs: 1000, eventLoopDelayPercentile: 10, resolutionMs: 5 },
      () => {},
    );
    signals.start();
    // Every turn of the loop takes about 30 ms: no timer can run on time.
    for (let i = 0; i < 8; i++) {
      block(30);
      await new Promise((r) => setImmediate(r));
    }
    const reading = signals.sample();
    signals.close();
    expect(reading.eventLoopDelayMs).toBeGreaterThan(10);
    expect(reading.eventLoopUtilization).toBeGreaterThan(0.5);
  });
});
