// Slow start, app-side (issue #16): the reported weight ramps from a floor to full over a window after ready.
import { createAgentCheck, createLoadReport, slowStartFactor } from '@lbkit/balancer-feedback';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { OptionReader } from '@lbkit/core/internal';
import { describe, expect, it } from 'vitest';
import { readSlowStart, SLOW_START_OPTIONS } from '../src/slow-start.js';
import type { LoadOptions, SlowStartOptions } from '../src/types.js';

/** The factor reader for `options`, on a clock the test sets by hand. */
function rampOf(lifecycle: Lifecycle, options: SlowStartOptions) {
  let now = lifecycle.since;
  const reader = new OptionReader<SlowStartOptions & LoadOptions>(
    'FEEDBACK',
    'test',
    { ...options, lifecycle },
    [...SLOW_START_OPTIONS, 'lifecycle'],
  );
  const factor = readSlowStart(reader, () => now);
  return {
    factor,
    at(ms: number): number {
      now = lifecycle.since + ms;
      return factor?.() ?? 1;
    },
  };
}

describe('slowStartFactor', () => {
  it('starts at the floor, is linear at aggression 1 and is full from the end of the window on', () => {
    expect(slowStartFactor(0, 4000, 0.1, 1)).toBe(0.1);
    expect(slowStartFactor(2000, 4000, 0.1, 1)).toBeCloseTo(0.55, 10);
    expect(slowStartFactor(4000, 4000, 0.1, 1)).toBe(1);
    expect(slowStartFactor(60_000, 4000, 0.1, 1)).toBe(1);
  });

  it("follows Envoy's aggression: above 1 climbs early, below 1 climbs late", () => {
    // (1/4)^(1/2) = 1/2 and (1/4)^(1/0.5) = 1/16.
    expect(slowStartFactor(1000, 4000, 0.1, 2)).toBeCloseTo(0.1 + 0.9 * 0.5, 10);
    expect(slowStartFactor(1000, 4000, 0.1, 0.5)).toBeCloseTo(0.1 + 0.9 / 16, 10);
  });

  it('is full at once without a window', () => {
    expect(slowStartFactor(0, 0, 0.1, 1)).toBe(1);
  });
});

describe('readSlowStart', () => {
  it('ramps from the moment the lifecycle becomes ready, on the injected clock', () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const ramp = rampOf(lifecycle, { slowStartMs: 4000, slowStartFloor: 0.2 });
    expect(ramp.at(0)).toBe(0.2);
    expect(ramp.at(2000)).toBeCloseTo(0.6, 10);
    // lifecycle.since + 4000 - lifecycle.since is not exactly 4000 once the clock is large.
    expect(ramp.at(4000)).toBeCloseTo(1, 10);
    expect(ramp.at(4001)).toBe(1);
  });

  it('is 1 outside ready: the state words already tell the balancer', () => {
    const lifecycle = new Lifecycle();
    const ramp = rampOf(lifecycle, { slowStartMs: 4000 });
    expect(ramp.at(0)).toBe(1);
    lifecycle.markReady();
    expect(ramp.at(0)).toBe(0.1);
    lifecycle.beginDrain();
    expect(ramp.at(0)).toBe(1);
  });

  it('is off with slowStartMs 0, the default', () => {
    expect(rampOf(new Lifecycle(), {}).factor).toBeUndefined();
    expect(rampOf(new Lifecycle(), { slowStartMs: 0 }).factor).toBeUndefined();
  });

  it.each([
    [{ slowStartMs: -1 }],
    [{ slowStartMs: 1.5 }],
    [{ slowStartFloor: 0 }],
    [{ slowStartFloor: 1.5 }],
    [{ slowStartAggression: 0 }],
    [{ slowStartAggression: 11 }],
  ])('refuses %o with LBKIT_FEEDBACK_OPTION_INVALID', (options) => {
    let code: string | undefined;
    try {
      rampOf(new Lifecycle(), options as SlowStartOptions);
    } catch (error) {
      if (isLbkitError(error)) code = error.code;
    }
    expect(code).toBe('LBKIT_FEEDBACK_OPTION_INVALID');
  });
});

describe('slow start in the reports', () => {
  // A window far longer than the test, so the factor stays at the floor to the percent.
  const LONG = 600_000;

  it('the agent-check answers the headroom times the ramp, never below minWeightPercent', () => {
    const lifecycle = new Lifecycle();
    const agent = createAgentCheck({ lifecycle, port: 0, slowStartMs: LONG, slowStartFloor: 0.1 });
    expect(agent.reply()).toBe('down #starting');
    lifecycle.markReady();
    expect(agent.reply()).toBe('up ready 10%');
    const low = createAgentCheck({
      lifecycle,
      port: 0,
      slowStartMs: LONG,
      slowStartFloor: 0.01,
      minWeightPercent: 5,
    });
    expect(low.reply()).toBe('up ready 5%');
  });

  it('the ORCA report carries slow_start_weight and divides application_utilization by it', () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const report = createLoadReport({
      lifecycle,
      shedder: { limit: 10, inFlight: 2, queued: 0 },
      processUsage: false,
      slowStartMs: LONG,
      slowStartFloor: 0.5,
    }).report();
    expect(report.namedMetrics?.slow_start_weight).toBeCloseTo(0.5, 3);
    expect(report.applicationUtilization).toBeCloseTo(0.2 / 0.5, 3);
    const unramped = createLoadReport({ lifecycle, processUsage: false }).report();
    expect(unramped.namedMetrics).not.toHaveProperty('slow_start_weight');
  });

  it('refuses a misspelt slow-start option, naming the one meant', () => {
    let message = '';
    try {
      createAgentCheck({ port: 0, slowStart: 1000 } as never);
    } catch (error) {
      if (isLbkitError(error)) message = `${error.code} ${error.message}`;
    }
    expect(message).toContain('LBKIT_FEEDBACK_OPTION_UNKNOWN');
    expect(message).toContain('did you mean "slowStartMs"');
  });
});
