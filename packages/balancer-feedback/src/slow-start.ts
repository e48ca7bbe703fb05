// Slow start: for a window after the instance becomes ready, the weight it reports ramps from a floor to full.
import { performance } from 'node:perf_hooks';
import { defaultLifecycle } from '@lbkit/core';
import type { OptionReader } from '@lbkit/core/internal';
import type { LoadOptions, SlowStartOptions } from './types.js';

/** Option names of {@link SlowStartOptions}, taken by the agent-check responder and the load report. */
export const SLOW_START_OPTIONS = [
  'slowStartMs',
  'slowStartFloor',
  'slowStartAggression',
] as const satisfies ReadonlyArray<keyof SlowStartOptions>;

/**
 * The share of its weight an instance reports `elapsedMs` into a slow-start window of `windowMs`:
 * `floor + (1 − floor) × (elapsed / window)^(1 / aggression)`, 1 from the end of the window on.
 * Aggression as Envoy's `slow_start_config.aggression`: 1 is linear, above 1 climbs early, below 1 late.
 */
export function slowStartFactor(
  elapsedMs: number,
  windowMs: number,
  floor: number,
  aggression: number,
): number {
  if (!(windowMs > 0) || elapsedMs >= windowMs) return 1;
  const t = Math.max(0, elapsedMs) / windowMs;
  return floor + (1 - floor) * t ** (1 / aggression);
}

/**
 * The slow-start factor reader from the options of `reader`, or undefined when `slowStartMs` is 0
 * (no ramp). Call it after `readLoad(reader)`, which validates the lifecycle. The window starts
 * when the lifecycle became ready (`lifecycle.since`); outside `ready` the factor is 1, the state
 * words already say what the balancer must do. `now` is the clock of `lifecycle.since`, injectable
 * for tests.
 */
export function readSlowStart(
  reader: OptionReader<SlowStartOptions & LoadOptions>,
  now: () => number = () => performance.now(),
): (() => number) | undefined {
  const lifecycle = reader.get('lifecycle') ?? defaultLifecycle();
  const windowMs = reader.milliseconds('slowStartMs', 0);
  const floor = reader.number('slowStartFloor', 0.1, {
    min: 0.01,
    max: 1,
    hint: 'Pass the share of the weight a newly ready instance starts at, for example slowStartFloor: 0.1.',
  });
  const aggression = reader.number('slowStartAggression', 1, {
    min: 0.1,
    max: 10,
    hint: 'Pass 1 for a linear ramp, more to climb early, less to climb late (Envoy’s aggression).',
  });
  if (windowMs === 0) return undefined;
  return function slowStartWeight() {
    if (lifecycle.state !== 'ready') return 1;
    return slowStartFactor(now() - lifecycle.since, windowMs, floor, aggression);
  };
}
