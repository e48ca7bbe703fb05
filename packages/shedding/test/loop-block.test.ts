// Issue #15: one long block of the event loop (a synchronous task, a GC pause) never trips a backstop; sustained long turns do.
import { setTimeout as sleep } from 'node:timers/promises';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const shedders: LoadShedder[] = [];
afterEach(() => {
  for (const s of shedders.splice(0)) s.close();
});

function shedder(): LoadShedder {
  const s = new LoadShedder({
    lifecycle: new Lifecycle(),
    signals: { intervalMs: 50 },
    thresholds: { eventLoopDelayMs: 50, eventLoopUtilization: 0.9 },
  });
  shedders.push(s);
  return s;
}

/** Watches `s` every few milliseconds for `ms`; true if it was ever under pressure. */
async function everUnderPressure(s: LoadShedder, ms: number): Promise<boolean> {
  let seen = false;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    seen ||= s.isUnderPressure();
    await sleep(2);
  }
  return seen;
}

describe('one long block of the event loop', () => {
  it('does not trip the delay or utilisation backstops, however long it lasts (1.5 s)', async () => {
    const s = shedder();
    await sleep(200);
    block(1500);
    expect(await everUnderPressure(s, 400)).toBe(false);
    expect(s.snapshot().backstops).toEqual([]);
  });

  it('does not trip them when it starts right after a sample', async () => {
    const s = shedder();
    await sleep(200);
    // A fresh interval: the block fills it whole, the histogram sees at most one turn.
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    block(1500);
    expect(await everUnderPressure(s, 400)).toBe(false);
  });

  it('still trips them when long turns follow one another (sustained overload)', async () => {
    const s = shedder();
    await sleep(200);
    let tripped = false;
    for (let i = 0; i < 20 && !tripped; i++) {
      block(150);
      await new Promise((resolve) => setImmediate(resolve));
      tripped = s.isUnderPressure();
    }
    expect(tripped).toBe(true);
  });
});
