// The adaptive concurrency limit: a pure gradient controller driven by latency samples and a clock.
import { performance } from 'node:perf_hooks';
import type { AdaptiveLimitOptions, Clock } from './types.js';

/** What the shedder needs from a limit, adaptive or fixed. */
export interface ConcurrencyLimit {
  /** Requests allowed in flight right now. */
  readonly limit: number;
  /** False while an adaptive limit is still collecting its first window (nothing is limited then). */
  readonly warm: boolean;
  /** Service-time baseline in milliseconds, when the limit keeps one. */
  readonly baselineMs: number | undefined;
  /** A request was admitted; `inFlight` counts it. */
  onStart(inFlight: number): void;
  /**
   * A request finished. `serviceMs` runs from its start to the end of its response; `waitMs` is how
   * long the event loop had been busy with other work in the turn in which it started, before it
   * got to it (the queueing delay lbkit can see; time waiting in the admission queue is excluded,
   * because that wait is caused by the limit itself). `now`, when given, is the clock time of the
   * sample (saves a clock read per request).
   */
  onSample(serviceMs: number, waitMs: number, now?: number): void;
  /** One sampling interval's standing event-loop delay. */
  onEventLoopDelay(delayMs: number): void;
}

/** Resolved settings of {@link AdaptiveConcurrencyLimit}. */
export type AdaptiveLimitSettings = Required<AdaptiveLimitOptions>;

/** Defaults of the adaptive limit, shared with option validation and the README. */
export const ADAPTIVE_DEFAULTS: AdaptiveLimitSettings = {
  initial: 20,
  min: 1,
  max: 1000,
  tolerance: 1.5,
  toleranceMs: 5,
  growBelow: 1.25,
  windowMs: 100,
  minSamples: 10,
  saturatedDelayMs: 10,
  latencySignal: 'when-busy',
};

// Samples kept per window: the latest ones win, which is what a median of "now" wants.
const WINDOW_CAPACITY = 1024;
// A window with too few samples is abandoned after this many window lengths.
const STALE_WINDOWS = 10;
// How fast the baseline follows the window median: down at once-ish, up slowly, and not at all
// while the limit binds above its minimum (otherwise the queueing the limit admits would ratchet
// the baseline, and with it the limit, up for as long as the overload lasts).
const BASELINE_DOWN = 0.5;
const BASELINE_UP = 0.05;
// Bounds of one multiplicative decrease.
const MIN_BACKOFF = 0.5;
const MAX_BACKOFF = 0.9;

/**
 * An adaptive limit on requests in flight, in the spirit of Netflix's Gradient2 and Vegas limits
 * and Envoy's adaptive concurrency filter.
 *
 * Every `windowMs` (once `minSamples` requests finished) it looks at three medians of the window:
 * - queueing delay (`waitMs`): the instance is saturated when it exceeds `toleranceMs`;
 * - service time against its long-term baseline: saturated when it exceeds the baseline by more
 *   than both `toleranceMs` and (`tolerance` − 1) × baseline (a dependency or the CPU is queueing),
 *   counted only while the loop shows queueing unless `latencySignal` is `'always'`;
 * - the standing event-loop delay: saturated above `saturatedDelayMs`.
 * Saturated, the limit is cut multiplicatively (by the gradient tolerated ÷ measured, within
 * 0.5–0.9). Comfortably below all thresholds (half the tolerated excess, `growBelow`), and only if
 * the window used at least half the limit, it grows: doubling in slow start (until the first cut),
 * then by √limit. In between it holds, so a steady load settles instead of oscillating. Until the
 * first full window it limits nothing, so a cold process never sheds for lack of samples.
 *
 * The class is pure: time comes from the injected clock and every input is a method call.
 */
export class AdaptiveConcurrencyLimit implements ConcurrencyLimit {
  readonly #settings: AdaptiveLimitSettings;
  readonly #clock: Clock;
  #limit: number;
  #warm = false;
  #slowStart = true;
  #baseline: number | undefined;
  readonly #service = new Float64Array(WINDOW_CAPACITY);
  readonly #wait = new Float64Array(WINDOW_CAPACITY);
  #count = 0;
  #windowStart: number;
  #peakInFlight = 0;
  #minDelay = Number.POSITIVE_INFINITY;

  constructor(settings: AdaptiveLimitOptions = {}, clock: Clock = () => performance.now()) {
    this.#settings = { ...ADAPTIVE_DEFAULTS, ...stripUndefined(settings) };
    this.#clock = clock;
    this.#limit = this.#settings.initial;
    this.#windowStart = clock();
  }

  /** The limit in force: `max` until the first window completed, then the adapted value (a whole number). */
  get limit(): number {
    return this.#warm ? Math.floor(this.#limit) : this.#settings.max;
  }

  /** True once the first window has been measured. */
  get warm(): boolean {
    return this.#warm;
  }

  /** Long-term service-time baseline in milliseconds (undefined before the first window). */
  get baselineMs(): number | undefined {
    return this.#baseline;
  }

  /** True until the first cut: the limit doubles per window instead of adding √limit. */
  get slowStart(): boolean {
    return this.#slowStart;
  }

  onStart(inFlight: number): void {
    if (inFlight > this.#peakInFlight) this.#peakInFlight = inFlight;
  }

  onSample(serviceMs: number, waitMs: number, now?: number): void {
    const slot = this.#count % WINDOW_CAPACITY;
    this.#service[slot] = serviceMs;
    this.#wait[slot] = waitMs;
    this.#count++;
    this.update(now);
  }

  onEventLoopDelay(delayMs: number): void {
    if (delayMs < this.#minDelay) this.#minDelay = delayMs;
    this.update();
  }

  /** Closes the window if it is due and adapts the limit; returns true when a window was evaluated. */
  update(now: number = this.#clock()): boolean {
    const { windowMs, minSamples, saturatedDelayMs } = this.#settings;
    const elapsed = now - this.#windowStart;
    if (elapsed < windowMs) return false;
    const enough = this.#count >= minSamples;
    const delaySaturated = this.#minDelay !== Number.POSITIVE_INFINITY && this.#minDelay > saturatedDelayMs;
    if (!enough && !(delaySaturated && this.#warm)) {
      // Too few samples to judge: keep collecting, but do not let a window grow stale forever.
      if (elapsed >= windowMs * STALE_WINDOWS) this.#resetWindow(now);
      return false;
    }
    const service = enough ? median(this.#service, this.#count) : undefined;
    const wait = enough ? median(this.#wait, this.#count) : 0;
    if (!this.#warm) {
      this.#warm = true;
      this.#baseline = service;
      // Start from what the warm-up window really needed, so warming up never sheds by itself.
      this.#limit = this.#clamp(Math.max(this.#settings.initial, 2 * this.#peakInFlight));
      this.#resetWindow(now);
      return true;
    }
    // The loop shows queueing: requests wait for it, or it stands delayed. Only then does a slower
    // median service time mean this instance is the bottleneck (with 'when-busy'); otherwise it is
    // I/O or a change in the mix of routes, and cutting the limit would shed for nothing.
    const busy =
      wait > this.#settings.toleranceMs / 2 ||
      (this.#minDelay !== Number.POSITIVE_INFINITY && this.#minDelay > saturatedDelayMs / 2);
    this.#adapt(service, wait, delaySaturated, busy || this.#settings.latencySignal === 'always');
    this.#resetWindow(now);
    return true;
  }

  #adapt(service: number | undefined, wait: number, delaySaturated: boolean, latencyCounts: boolean): void {
    const { tolerance, growBelow, toleranceMs } = this.#settings;
    const bound = this.#peakInFlight >= this.limit;
    if (service !== undefined && this.#baseline === undefined) this.#baseline = service;
    const baseline = this.#baseline ?? 0;
    const excess = service === undefined || !latencyCounts ? 0 : service - baseline;
    // Tolerated: a ratio of the baseline for slow requests, an absolute floor for fast ones (a few
    // milliseconds of standing queue keep a CPU-bound loop busy; cutting below that only trades
    // throughput away).
    const allowed = Math.max(toleranceMs, (tolerance - 1) * baseline);
    const growthRoom = Math.max(toleranceMs / 2, (growBelow - 1) * baseline);
    if (excess > allowed || wait > toleranceMs || delaySaturated) {
      this.#slowStart = false;
      const gradient = Math.min(
        excess > allowed ? (baseline + allowed) / (baseline + excess) : 1,
        wait > toleranceMs ? toleranceMs / wait : 1,
        delaySaturated ? MAX_BACKOFF : 1,
      );
      this.#limit = this.#clamp(this.#limit * Math.min(MAX_BACKOFF, Math.max(MIN_BACKOFF, gradient)));
    } else if (excess < growthRoom && wait < toleranceMs / 2 && this.#peakInFlight * 2 >= this.limit) {
      this.#limit = this.#clamp(this.#slowStart ? this.#limit * 2 : this.#limit + Math.sqrt(this.#limit));
    }
    if (service !== undefined) {
      // At the minimum limit, slowness can no longer be blamed on concurrency: the workload itself
      // got slower (a deploy, a slower dependency), so the baseline follows it, as Envoy's periodic
      // minimum-RTT measurement would.
      const rate =
        service < baseline ? BASELINE_DOWN : bound && this.limit > this.#settings.min ? 0 : BASELINE_UP;
      this.#baseline = baseline + (service - baseline) * rate;
    }
  }

  #clamp(value: number): number {
    return Math.min(this.#settings.max, Math.max(this.#settings.min, value));
  }

  #resetWindow(now: number): void {
    this.#windowStart = now;
    this.#count = 0;
    this.#peakInFlight = 0;
    this.#minDelay = Number.POSITIVE_INFINITY;
  }
}

function median(samples: Float64Array, count: number): number {
  const n = Math.min(count, samples.length);
  const sorted = samples.slice(0, n).sort();
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** A limit that never moves: the `concurrencyLimit: N` option. */
export class FixedConcurrencyLimit implements ConcurrencyLimit {
  readonly limit: number;
  readonly warm = true;
  readonly baselineMs = undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  onStart(_inFlight: number): void {}
  onSample(_serviceMs: number, _waitMs: number, _now?: number): void {}
  onEventLoopDelay(_delayMs: number): void {}
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
