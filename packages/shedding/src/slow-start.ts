// Slow start of the admission limit: for a window after the lifecycle becomes ready, the limit ramps from a floor to full.

import { slowStartFactor } from '@lbkit/balancer-feedback';
import type { Lifecycle } from '@lbkit/core';

/** Resolved slow-start settings (`slowStartMs` 0: none). */
export interface SlowStartSettings {
  readonly windowMs: number;
  readonly floor: number;
  readonly aggression: number;
}

/** Defaults of the slow-start options, the same as @lbkit/balancer-feedback's. */
export const SLOW_START_DEFAULTS: SlowStartSettings = { windowMs: 0, floor: 0.1, aggression: 1 };

/**
 * Caps the concurrency limit while the instance is new: for `windowMs` after the lifecycle became
 * `ready`, the limit in force is `limit × factor` (at least 1), with the factor of
 * @lbkit/balancer-feedback's slow start (`floor` to 1, linear or Envoy's aggression curve), so a
 * cold process takes a growing share of the work its balancer sends instead of all of it at once.
 * An adaptive limit not yet warm counts as its `initial` value. Outside `ready`, or after the
 * window, nothing is capped; `lifecycle.since` and `now` are `performance.now()` times.
 */
export class SlowStart {
  readonly #lifecycle: Lifecycle;
  readonly #settings: SlowStartSettings;

  constructor(lifecycle: Lifecycle, settings: SlowStartSettings) {
    this.#lifecycle = lifecycle;
    this.#settings = settings;
  }

  /** The limit in force at `now` for a limit of `limit` (`coldLimit` while an adaptive one is not warm). */
  cap(limit: number, coldLimit: number, now: number): number {
    const lifecycle = this.#lifecycle;
    const { windowMs, floor, aggression } = this.#settings;
    const elapsed = now - lifecycle.since;
    if (elapsed >= windowMs || lifecycle.state !== 'ready') return limit;
    const factor = slowStartFactor(elapsed, windowMs, floor, aggression);
    return Math.max(1, Math.min(limit, Math.floor(coldLimit * factor)));
  }
}
