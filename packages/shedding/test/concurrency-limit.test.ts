// The adaptive limit against a simulated server: converges, backs off, recovers, holds steady.
import { AdaptiveConcurrencyLimit, type AdaptiveLimitOptions, FixedConcurrencyLimit } from '@lbkit/shedding';
import { describe, expect, it } from 'vitest';

/**
 * A simulated server. `io`: requests wait on a dependency that serves `capacity` at a time; beyond
 * that, service time grows linearly (queueing inside the handler). `cpu`: synchronous handlers of
 * `base` ms; the limit is how many run per event-loop turn, so the k-th of a turn waits k × base.
 */
interface Model {
  kind: 'io' | 'cpu';
  base: number;
  capacity: number;
  /** Requests the clients would keep in flight if allowed. */
  demand: number;
}

/** Drives `limit` for `ms` of simulated time in 10 ms steps; returns the limit after each step. */
function run(limit: AdaptiveConcurrencyLimit, clock: { now: number }, model: Model, ms: number): number[] {
  const trace: number[] = [];
  for (let t = 0; t < ms; t += 10) {
    const inFlight = Math.min(limit.limit, model.demand);
    if (model.kind === 'io') {
      const service = model.base * Math.max(1, inFlight / model.capacity);
      // Little's law: completions in 10 ms with `inFlight` requests each taking `service`.
      const completions = Math.max(1, Math.round((inFlight * 10) / service));
      for (let i = 0; i < completions; i++) {
        limit.onStart(inFlight);
        limit.onSample(service, 0);
      }
    } else {
      // Turns of `inFlight` requests, back to back, for 10 ms.
      for (let done = 0; done < 10; done += inFlight * model.base) {
        for (let k = 0; k < inFlight; k++) {
          limit.onStart(k + 1);
          limit.onSample(model.base, k * model.base);
        }
      }
    }
    clock.now += 10;
    limit.update();
    trace.push(limit.limit);
  }
  return trace;
}

/** Light traffic for the first window (a process comes up before the balancer sends it much). */
function warmUp(limit: AdaptiveConcurrencyLimit, clock: { now: number }, model: Model): void {
  run(limit, clock, { ...model, demand: 5 }, 200);
}

function setup(options: AdaptiveLimitOptions = {}): {
  limit: AdaptiveConcurrencyLimit;
  clock: { now: number };
} {
  const clock = { now: 0 };
  return { limit: new AdaptiveConcurrencyLimit(options, () => clock.now), clock };
}

function directionChanges(trace: number[]): number {
  let changes = 0;
  let last = 0;
  for (let i = 1; i < trace.length; i++) {
    const d = Math.sign(trace[i]! - trace[i - 1]!);
    if (d !== 0 && last !== 0 && d !== last) changes++;
    if (d !== 0) last = d;
  }
  return changes;
}

/** A latency gradient for one downstream dependency that slows as the instance sends it more. */
const DEPENDENCY: AdaptiveLimitOptions = { latencySignal: 'always' };

describe('AdaptiveConcurrencyLimit', () => {
  it('by default never cuts for slow I/O-bound requests while the event loop is idle (a mix of slow and fast routes)', () => {
    const { limit, clock } = setup();
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const trace: number[] = [];
    for (let t = 0; t < 20_000; t += 10) {
      // Four clients: half the requests wait 0–500 ms on I/O, half answer in about a millisecond.
      for (let i = 0; i < 4; i++) {
        limit.onStart(4);
        limit.onSample(random() < 0.5 ? random() * 500 : 1 + random(), 0);
      }
      limit.onEventLoopDelay(random());
      clock.now += 10;
      limit.update();
      trace.push(limit.limit);
    }
    expect(limit.warm).toBe(true);
    expect(Math.min(...trace)).toBeGreaterThanOrEqual(20);
  });

  it('by default still counts latency once the event loop shows queueing', () => {
    const { limit, clock } = setup();
    // Warm up on fast requests, then the same requests get slower while each waits 4 ms for the loop.
    for (let t = 0; t < 300; t += 10) {
      for (let i = 0; i < 20; i++) {
        limit.onStart(10);
        limit.onSample(2, 0);
      }
      clock.now += 10;
      limit.update();
    }
    const before = limit.limit;
    for (let t = 0; t < 1_000; t += 10) {
      for (let i = 0; i < 20; i++) {
        limit.onStart(before);
        limit.onSample(40, 4);
      }
      clock.now += 10;
      limit.update();
    }
    expect(limit.limit).toBeLessThan(before);
  });

  it('limits nothing before its first window of samples, so a cold start never sheds', () => {
    const { limit, clock } = setup({ max: 500 });
    expect(limit.warm).toBe(false);
    expect(limit.limit).toBe(500);
    for (let i = 0; i < 5; i++) limit.onSample(1000, 0);
    clock.now += 50;
    limit.update();
    expect(limit.limit).toBe(500);
    expect(limit.warm).toBe(false);
  });

  it('converges near the capacity of a saturating dependency (latencySignal: always)', () => {
    const { limit, clock } = setup(DEPENDENCY);
    const model: Model = { kind: 'io', base: 20, capacity: 50, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 20_000);
    // Tolerated: up to 1.5 × base latency, i.e. up to 75 in flight; growth stops above 62.
    expect(limit.limit).toBeGreaterThanOrEqual(50);
    expect(limit.limit).toBeLessThanOrEqual(100);
  });

  it('does not oscillate at a steady load once converged (latencySignal: always)', () => {
    const { limit, clock } = setup(DEPENDENCY);
    const model: Model = { kind: 'io', base: 20, capacity: 50, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 20_000);
    const steady = run(limit, clock, model, 20_000);
    const low = Math.min(...steady);
    const high = Math.max(...steady);
    expect(high / low).toBeLessThan(1.3);
    expect(directionChanges(steady)).toBeLessThanOrEqual(4);
  });

  it('backs off multiplicatively when latency says the dependency is saturated (latencySignal: always)', () => {
    const { limit, clock } = setup(DEPENDENCY);
    const model: Model = { kind: 'io', base: 20, capacity: 50, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 20_000);
    const before = limit.limit;
    // Capacity drops to a fifth (a dependency slows down): the limit must follow within seconds.
    model.capacity = 10;
    const trace = run(limit, clock, model, 3_000);
    expect(trace.at(-1)!).toBeLessThanOrEqual(20);
    expect(trace.at(-1)!).toBeLessThan(before / 2);
    expect(limit.slowStart).toBe(false);
  });

  it('recovers when the capacity comes back (latencySignal: always)', () => {
    const { limit, clock } = setup(DEPENDENCY);
    const model: Model = { kind: 'io', base: 20, capacity: 50, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 10_000);
    model.capacity = 10;
    run(limit, clock, model, 5_000);
    model.capacity = 50;
    run(limit, clock, model, 10_000);
    expect(limit.limit).toBeGreaterThanOrEqual(50);
  });

  it('learns a new baseline when the requests themselves get slower, instead of staying cut (latencySignal: always)', () => {
    const { limit, clock } = setup(DEPENDENCY);
    const model: Model = { kind: 'io', base: 20, capacity: 50, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 10_000);
    // A deploy makes every request three times slower, at any concurrency.
    model.base = 60;
    run(limit, clock, model, 30_000);
    expect(limit.baselineMs!).toBeGreaterThan(40);
    expect(limit.limit).toBeGreaterThanOrEqual(50);
  });

  it('tolerates a few milliseconds of standing queue on fast requests (toleranceMs)', () => {
    const { limit, clock } = setup({ toleranceMs: 5 });
    // 2 ms synchronous handlers: n per turn make the median request wait (n - 1) ms.
    const model: Model = { kind: 'cpu', base: 2, capacity: 1, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 20_000);
    // Cut above a 5 ms median wait (n > 6), grown only below 2.5 ms (n < 4): settles in between,
    // never down at 1 where every request would pay a whole loop turn of overhead.
    expect(limit.limit).toBeGreaterThanOrEqual(3);
    expect(limit.limit).toBeLessThanOrEqual(7);
    const steady = run(limit, clock, model, 10_000);
    expect(Math.max(...steady) - Math.min(...steady)).toBeLessThanOrEqual(2);
  });

  it('does not grow a limit that is not in use', () => {
    const { limit, clock } = setup({ initial: 20 });
    const model: Model = { kind: 'io', base: 10, capacity: 1000, demand: 3 };
    run(limit, clock, model, 10_000);
    expect(limit.limit).toBe(20);
  });

  it('starts from what warm-up really used when that is above the initial limit', () => {
    const { limit, clock } = setup({ initial: 10 });
    run(limit, clock, { kind: 'io', base: 10, capacity: 1000, demand: 40 }, 110);
    expect(limit.warm).toBe(true);
    expect(limit.limit).toBeGreaterThanOrEqual(80);
  });

  it('survives one very slow window (a GC pause) without collapsing', () => {
    const { limit, clock } = setup();
    const model: Model = { kind: 'io', base: 20, capacity: 50, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 10_000);
    const before = limit.limit;
    model.base = 400;
    run(limit, clock, model, 100);
    model.base = 20;
    expect(limit.limit).toBeGreaterThanOrEqual(Math.floor(before / 2));
    run(limit, clock, model, 5_000);
    expect(limit.limit).toBeGreaterThanOrEqual(50);
  });

  it('cuts the limit when the event loop shows a standing delay, whatever latency says', () => {
    const { limit, clock } = setup({ saturatedDelayMs: 10 });
    const model: Model = { kind: 'io', base: 5, capacity: 1000, demand: 10_000 };
    warmUp(limit, clock, model);
    run(limit, clock, model, 2_000);
    const before = limit.limit;
    for (let i = 0; i < 5; i++) {
      limit.onEventLoopDelay(50);
      clock.now += 100;
      for (let k = 0; k < 20; k++) limit.onSample(5, 0);
    }
    expect(limit.limit).toBeLessThan(before * 0.7);
  });

  it('keeps the limit within min and max', () => {
    const { limit, clock } = setup({ min: 5, max: 40 });
    const model: Model = { kind: 'io', base: 10, capacity: 1, demand: 10_000 };
    warmUp(limit, clock, model);
    const trace = run(limit, clock, model, 10_000);
    expect(Math.min(...trace)).toBeGreaterThanOrEqual(5);
    model.capacity = 1e6;
    const grown = run(limit, clock, model, 10_000);
    expect(Math.max(...grown)).toBeLessThanOrEqual(40);
    expect(grown.at(-1)).toBe(40);
  });
});

describe('FixedConcurrencyLimit', () => {
  it('never moves, whatever the samples say', () => {
    const fixed = new FixedConcurrencyLimit(7);
    for (let i = 0; i < 100; i++) fixed.onSample(10_000, 10_000);
    fixed.onEventLoopDelay(1000);
    expect(fixed.limit).toBe(7);
    expect(fixed.warm).toBe(true);
  });
});
