// Static backstop thresholds with hysteresis: trip above `high`, clear only below `low`.
import type { Backstop, BackstopThresholds, SignalReadings } from './types.js';

/** One resolved threshold. */
export interface Edge {
  readonly high: number;
  readonly low: number;
}

/** Resolved thresholds, keyed like the readings they watch. */
export type BackstopSettings = Partial<Record<keyof BackstopThresholds, Edge>>;

/** A bare number clears below this share of it. */
export const DEFAULT_HYSTERESIS = 0.9;

const READING: Record<keyof BackstopThresholds, keyof SignalReadings> = {
  eventLoopDelayMs: 'eventLoopDelayMs',
  eventLoopUtilization: 'eventLoopUtilization',
  heapUsedBytes: 'heapUsedBytes',
  rssBytes: 'rssBytes',
};

/**
 * Tracks which backstops are tripped. A reading above `high` trips its backstop; it stays tripped
 * until the reading falls below `low`, so a value hovering at the threshold does not make the
 * instance flip between shedding everything and nothing on every sample.
 */
export class Backstops {
  readonly #settings: BackstopSettings;
  readonly #keys: (keyof BackstopThresholds)[];
  #tripped: Backstop[] = [];

  constructor(settings: BackstopSettings) {
    this.#settings = settings;
    this.#keys = Object.keys(settings) as (keyof BackstopThresholds)[];
  }

  /** Backstops tripped after the last update. */
  get tripped(): readonly Backstop[] {
    return this.#tripped;
  }

  /** True when any backstop is tripped. */
  get any(): boolean {
    return this.#tripped.length > 0;
  }

  /** Applies one set of readings, and what the custom pressure source says (no hysteresis: it says yes or no). */
  update(readings: SignalReadings, underPressure = false): void {
    if (this.#keys.length === 0 && !underPressure && this.#tripped.length === 0) return;
    const next: Backstop[] = [];
    for (const key of this.#keys) {
      const edge = this.#settings[key]!;
      const value = readings[READING[key]];
      const was = this.#tripped.includes(key);
      if (value > edge.high || (was && value >= edge.low)) next.push(key);
    }
    if (underPressure) next.push('underPressure');
    this.#tripped = next;
  }
}
