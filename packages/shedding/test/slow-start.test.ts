// Slow start of the admission limit: after the lifecycle becomes ready, the limit in force ramps from a floor to full.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder, type LoadSheddingOptions } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';
import { SlowStart } from '../src/slow-start.js';

const shedders: LoadShedder[] = [];
afterEach(() => {
  for (const s of shedders.splice(0)) s.close();
});

/** A ready lifecycle and a clock at `t` milliseconds after it became ready. */
function readyAt(): { lifecycle: Lifecycle; at: (t: number) => number } {
  const lifecycle = new Lifecycle();
  lifecycle.markReady();
  return { lifecycle, at: (t) => lifecycle.since + t };
}

function shedderAt(options: LoadSheddingOptions, t: { value: number }): { shedder: LoadShedder } {
  const { lifecycle, at } = readyAt();
  const shedder = new LoadShedder({ lifecycle, ...options, clock: () => at(t.value) });
  shedders.push(shedder);
  return { shedder };
}

function request(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.url = '/work';
  req.method = 'GET';
  return { req, res: new ServerResponse(req) };
}

describe('SlowStart', () => {
  it('ramps a limit from the floor to full over the window, with balancer-feedback’s curve', () => {
    const { lifecycle, at } = readyAt();
    const linear = new SlowStart(lifecycle, { windowMs: 1000, floor: 0.1, aggression: 1 });
    expect(linear.cap(20, 20, at(0))).toBe(2);
    // 0.1 + 0.9 × 0.6 = 0.64 of 20
    expect(linear.cap(20, 20, at(600))).toBe(12);
    expect(linear.cap(20, 20, at(999))).toBe(19);
    expect(linear.cap(20, 20, at(1000.5))).toBe(20);
    // Aggression 2 climbs early: (0.36)^(1/2) = 0.6 of the way at 36% of the window.
    const early = new SlowStart(lifecycle, { windowMs: 1000, floor: 0.1, aggression: 2 });
    expect(early.cap(20, 20, at(360))).toBe(12);
    // Never below one request, never above the limit itself.
    expect(linear.cap(3, 3, at(0))).toBe(1);
    expect(linear.cap(5, 100, at(900))).toBe(5);
  });

  it('caps nothing outside ready', () => {
    const { lifecycle, at } = readyAt();
    const slow = new SlowStart(lifecycle, { windowMs: 1000, floor: 0.1, aggression: 1 });
    lifecycle.beginDrain('test');
    expect(slow.cap(20, 20, at(0))).toBe(20);
  });
});

describe('LoadShedder slowStartMs', () => {
  it('admits a growing number of requests at once over the window, then the whole limit', () => {
    const t = { value: 0 };
    const { shedder } = shedderAt({ concurrencyLimit: 10, queue: false, slowStartMs: 1000 }, t);
    const admitted = (): number => {
      let n = 0;
      // Requests that never finish: each holds its slot.
      for (let i = 0; i < 10; i++) {
        const { req, res } = request();
        shedder.admit(req, res, () => n++);
      }
      return n;
    };
    expect(shedder.limit).toBe(1);
    expect(admitted()).toBe(1);
    t.value = 500;
    expect(shedder.snapshot().limit).toBe(5);
    expect(admitted()).toBe(4);
    // (the clock's sum with lifecycle.since may land a hair below the end of the window)
    t.value = 1000.5;
    expect(shedder.limit).toBe(10);
    expect(admitted()).toBe(5);
    expect(shedder.snapshot().rejected.overloaded).toBe(20);
  });

  it('ramps an adaptive limit that is not warm yet up to its initial value', () => {
    const t = { value: 0 };
    const { shedder } = shedderAt({ concurrencyLimit: { initial: 40 }, slowStartMs: 2000 }, t);
    expect(shedder.limit).toBe(4);
    // Just past half the window (40 × 0.55 is 22 exactly, which since + 1000 − since can round below).
    t.value = 1001;
    expect(shedder.limit).toBe(22);
    // After the window: the adaptive limit's own value (max until it is warm).
    t.value = 2000.5;
    expect(shedder.limit).toBe(1000);
  });

  it('changes nothing without slowStartMs', () => {
    const t = { value: 0 };
    const { shedder } = shedderAt({ concurrencyLimit: 10 }, t);
    expect(shedder.limit).toBe(10);
  });

  it('refuses a floor or an aggression out of range with LBKIT_SHEDDING_OPTION_INVALID', () => {
    for (const options of [
      { slowStartMs: 1000, slowStartFloor: 0 },
      { slowStartMs: 1000, slowStartAggression: 20 },
      { slowStartMs: -1 },
    ]) {
      expect(() => new LoadShedder({ lifecycle: new Lifecycle(), ...options })).toThrow(
        expect.objectContaining({ code: 'LBKIT_SHEDDING_OPTION_INVALID' }),
      );
    }
  });
});
