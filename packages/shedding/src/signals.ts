// Samples the overload signals on an unref()'d timer: standing event-loop delay, utilisation, heap, RSS.
import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { SignalReadings } from './types.js';

/** Resolved sampling settings. */
export interface SignalSettings {
  readonly intervalMs: number;
  readonly eventLoopDelayPercentile: number;
  readonly resolutionMs: number;
}

/** Defaults of the sampler, shared with option validation and the README. */
export const SIGNAL_DEFAULTS: SignalSettings = {
  intervalMs: 100,
  eventLoopDelayPercentile: 10,
  resolutionMs: 10,
};

const NS_PER_MS = 1e6;
// The resident set size is read from /proc (tens of microseconds): once a second is fresh enough,
// unless an RSS threshold watches it (then every interval). The heap is read every interval.
const RSS_EVERY_MS = 1000;

/**
 * Reads the process's overload signals once per interval. The event-loop delay histogram is reset
 * every interval and read at a low percentile: a standing queue keeps even the shortest delays
 * high for a whole interval, while one GC pause or slow callback only moves the tail.
 */
export class OverloadSignals {
  readonly #settings: SignalSettings;
  readonly #onSample: (readings: SignalReadings) => void;
  readonly #rssEveryMs: number;
  #rss = 0;
  #rssAt = Number.NEGATIVE_INFINITY;
  #histogram: IntervalHistogram | undefined;
  #timer: NodeJS.Timeout | undefined;
  #elu: EventLoopUtilization | undefined;
  #lastTick = 0;
  /** The previous interval's readings before the one-block rule, which the rule compares with. */
  #raw = { delay: 0, utilization: 0 };
  #latest: SignalReadings = { eventLoopDelayMs: 0, eventLoopUtilization: 0, heapUsedBytes: 0, rssBytes: 0 };

  /** `watchRss`: an RSS threshold reads it, so it is read every interval instead of once a second. */
  constructor(settings: SignalSettings, onSample: (readings: SignalReadings) => void, watchRss = false) {
    this.#settings = settings;
    this.#onSample = onSample;
    this.#rssEveryMs = watchRss ? 0 : RSS_EVERY_MS;
  }

  /** The readings of the last interval. */
  get latest(): SignalReadings {
    return this.#latest;
  }

  /** Starts sampling (idempotent). */
  start(): void {
    if (this.#timer) return;
    this.#histogram = monitorEventLoopDelay({ resolution: this.#settings.resolutionMs });
    this.#histogram.enable();
    this.#elu = performance.eventLoopUtilization();
    this.#lastTick = performance.now();
    this.#timer = setInterval(() => this.sample(), this.#settings.intervalMs);
    this.#timer.unref();
  }

  /** Takes one reading now; the timer calls this every interval. */
  sample(): SignalReadings {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    const utilization = this.#elu ? performance.eventLoopUtilization(elu, this.#elu).utilization : 0;
    this.#elu = elu;
    if (now - this.#rssAt >= this.#rssEveryMs) {
      this.#rss = process.memoryUsage.rss();
      this.#rssAt = now;
    }
    // Read before #standingDelay resets the histogram.
    const block = this.#oneBlock(now);
    const delay = this.#standingDelay(now);
    const previous = this.#raw;
    this.#raw = { delay, utilization };
    this.#latest = {
      // One long turn of the loop (a synchronous task, a GC pause) filled most of the interval.
      // JavaScript cannot sample in the middle of a turn, so a pause of any length lies within one
      // interval; alone it says nothing about a standing queue. It counts only if the interval
      // before it was as loaded, as it is under sustained overload made of long turns.
      eventLoopDelayMs: block ? Math.min(delay, previous.delay) : delay,
      eventLoopUtilization: block ? Math.min(utilization, previous.utilization) : utilization,
      heapUsedBytes: getHeapStatistics().used_heap_size,
      rssBytes: this.#rss,
    };
    this.#lastTick = now;
    this.#onSample(this.#latest);
    return this.#latest;
  }

  /** True when one turn of the loop took at least half of the time since the last reading. */
  #oneBlock(now: number): boolean {
    if (this.#lastTick === 0) return false;
    const elapsed = now - this.#lastTick;
    const histogram = this.#histogram;
    const longestTurn = Math.max(
      histogram && histogram.count > 0 ? histogram.max / NS_PER_MS : 0,
      // Our own timer's lateness: the loop was held up at least that long in one go.
      elapsed - this.#settings.intervalMs,
    );
    return elapsed > 0 && longestTurn >= elapsed / 2;
  }

  /** Stops the timer and the histogram. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram?.disable();
    this.#histogram = undefined;
  }

  #standingDelay(now: number): number {
    const histogram = this.#histogram;
    // Our own timer's lateness covers an interval in which the loop was blocked throughout.
    const lateness = this.#lastTick === 0 ? 0 : Math.max(0, now - this.#lastTick - this.#settings.intervalMs);
    if (!histogram || histogram.count === 0) return lateness;
    const { eventLoopDelayPercentile: p } = this.#settings;
    // The histogram records the time between its timer's runs (resolution included on Node 20+),
    // so the delay is what exceeds the resolution.
    const between = (p === 0 ? histogram.min : histogram.percentile(p)) / NS_PER_MS;
    histogram.reset();
    return Math.max(0, between - this.#settings.resolutionMs);
  }
}
