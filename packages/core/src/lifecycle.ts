// The instance lifecycle starting → ready → draining → stopped, the one piece of shared state.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { brand } from './brand.js';
import { type DrainHoldOptions, DrainHolds, type ReleaseDrainHold } from './drain-holds.js';
import { LbkitError } from './errors.js';
import { InFlight } from './in-flight.js';
import { OptionReader } from './options.js';
import type { LifecycleEvents, LifecycleState, LifecycleTransition } from './types.js';

const LIFECYCLE = brand<Lifecycle>('lifecycle');

const ORDER: Readonly<Record<LifecycleState, number>> = { starting: 0, ready: 1, draining: 2, stopped: 3 };

/**
 * The lifecycle of one instance, shared by health (reads it), shutdown (drives it) and shedding
 * (reads it and admits through its in-flight tracker). States only move forward; moving to the
 * current state again is a no-op, so two shutdown paths racing do no harm.
 */
export class Lifecycle extends EventEmitter<LifecycleEvents> {
  /** Requests and connections in flight on the servers of this instance. */
  readonly inFlight: InFlight;
  /** Work outside HTTP requests (queue jobs, cron tasks) that the drain waits for; see {@link Lifecycle.hold}. */
  readonly holds = new DrainHolds();
  #state: LifecycleState = 'starting';
  #since: number = performance.now();
  /** Open holds on `ready` (warm-up), by name; see {@link Lifecycle.holdReady}. */
  readonly #readyHolds = new Map<symbol, string>();
  /** The reason of a `markReady()` the holds deferred; undefined when none is waiting. */
  #deferredReady: { reason: string | undefined } | undefined;

  constructor(options: { inFlight?: InFlight } = {}) {
    super();
    LIFECYCLE.mark(this);
    const inFlight = new OptionReader<{ inFlight?: InFlight }>('CORE', 'new Lifecycle()', options, [
      'inFlight',
    ]).get('inFlight');
    if (inFlight !== undefined && !(inFlight instanceof InFlight)) {
      throw new LbkitError('LBKIT_CORE_OPTION_INVALID', 'new Lifecycle(): inFlight must be an InFlight', {
        hint: 'Pass new InFlight() from @lbkit/core, or leave it out.',
      });
    }
    this.inFlight = inFlight ?? new InFlight();
  }

  /** The current state. */
  get state(): LifecycleState {
    return this.#state;
  }

  /** `performance.now()` when the current state began, in milliseconds. */
  get since(): number {
    return this.#since;
  }

  /** True while new work should be accepted (`starting` or `ready`). */
  get accepting(): boolean {
    return this.#state === 'starting' || this.#state === 'ready';
  }

  /** Marks the instance ready for traffic. Throws `LBKIT_CORE_LIFECYCLE_BACKWARDS` once draining has begun. */
  markReady(reason?: string): void {
    if (this.#state === 'starting' && this.#readyHolds.size > 0) this.#deferredReady = { reason };
    else this.#moveTo('ready', reason);
  }

  /**
   * Defers `ready` until the returned function is called, as @lbkit/health's warm-up does: a
   * `markReady()` made while any hold is open is remembered and takes effect when the last one is
   * released. A hold taken once the lifecycle has left `starting` has no effect.
   */
  holdReady(name: string): () => void {
    if (this.#state !== 'starting') return () => {};
    const key = Symbol(name);
    this.#readyHolds.set(key, name);
    return () => {
      if (!this.#readyHolds.delete(key) || this.#readyHolds.size > 0) return;
      const deferred = this.#deferredReady;
      this.#deferredReady = undefined;
      if (deferred && this.#state === 'starting') this.#moveTo('ready', deferred.reason);
    };
  }

  /** Names of the holds that keep a `markReady()` waiting (see {@link Lifecycle.holdReady}). */
  get readyHolds(): readonly string[] {
    return [...this.#readyHolds.values()];
  }

  /** Begins draining: readiness fails from now on. Idempotent. */
  beginDrain(reason?: string): void {
    this.#moveTo('draining', reason);
  }

  /** Marks the instance stopped. Idempotent. */
  markStopped(reason?: string): void {
    this.#moveTo('stopped', reason);
  }

  /**
   * Holds the drain until the returned function is called or `timeoutMs` passes, as lightship's
   * beacons do: `const release = lifecycle.hold('invoice-job', { timeoutMs: 30_000 })`.
   */
  hold(name: string, options?: DrainHoldOptions): ReleaseDrainHold {
    return this.holds.hold(name, options);
  }

  /** Resolves once the lifecycle has reached `state` or a later one. */
  reached(state: LifecycleState): Promise<void> {
    if (ORDER[this.#state] >= ORDER[state]) return Promise.resolve();
    return new Promise((resolve) => {
      const onTransition = (t: LifecycleTransition): void => {
        if (ORDER[t.to] >= ORDER[state]) {
          this.off('transition', onTransition);
          resolve();
        }
      };
      this.on('transition', onTransition);
    });
  }

  #moveTo(to: LifecycleState, reason: string | undefined): void {
    const from = this.#state;
    if (from === to) return;
    if (ORDER[to] < ORDER[from]) {
      throw new LbkitError(
        'LBKIT_CORE_LIFECYCLE_BACKWARDS',
        `cannot move the lifecycle from ${from} back to ${to}`,
        {
          hint: 'A draining or stopped instance does not become ready again; start a new process instead.',
        },
      );
    }
    this.#state = to;
    this.#since = performance.now();
    const transition: LifecycleTransition = { from, to, at: this.#since, reason };
    this.emit(to, transition);
    this.emit('transition', transition);
  }
}

/** True when `value` is a Lifecycle, made by this copy of @lbkit/core or another one. */
export function isLifecycle(value: unknown): value is Lifecycle {
  return LIFECYCLE.is(value);
}

let defaultInstance: Lifecycle | undefined;

/**
 * The process-wide lifecycle used when none is passed explicitly, so that one-line setups
 * (`app.use(healthcheck())` plus `gracefulShutdown(server)`) share state without wiring.
 */
export function defaultLifecycle(): Lifecycle {
  defaultInstance ??= new Lifecycle();
  return defaultInstance;
}
