// Work that is not an HTTP request (a queue job, a cron task) holding the drain, each hold with its own bound.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { OptionReader } from './options.js';

/** Options of {@link DrainHolds.hold}. */
export interface DrainHoldOptions {
  /**
   * The hold lets go by itself this many milliseconds after it was taken, released or not, so a
   * stuck job cannot hold the drain past its own bound. Default: none (only the drain's timeout
   * bounds it).
   */
  readonly timeoutMs?: number;
}

/** One hold, as {@link DrainHolds.list} and the events describe it. */
export interface DrainHold {
  /** What holds the drain, as given to `hold()` (for example `invoice-job 42`). */
  readonly name: string;
  /** `performance.now()` when the hold was taken, in milliseconds. */
  readonly since: number;
  /** Its own bound, when it has one. */
  readonly timeoutMs: number | undefined;
}

/** Events of {@link DrainHolds}. */
export interface DrainHoldEvents {
  /** A hold was taken. */
  hold: [DrainHold];
  /** A hold was released by its owner. */
  release: [DrainHold];
  /** A hold reached its `timeoutMs` before it was released; it no longer holds the drain. */
  expire: [DrainHold];
  /** The last hold ended: nothing holds the drain any more. */
  idle: [];
}

/** Ends one hold; calling it again does nothing. */
export type ReleaseDrainHold = () => void;

const OWNER = 'lifecycle.hold()';
const HINT = "For example lifecycle.hold('invoice-job', { timeoutMs: 30_000 }).";
const HOLD_OPTIONS = ['timeoutMs'] as const satisfies ReadonlyArray<keyof DrainHoldOptions>;

/**
 * The drain's holds, like lightship's beacons: each `hold()` keeps the drain from ending until its
 * release function is called or its own `timeoutMs` passes. Read by the shutdown drain
 * (`count === 0`, `released()`); taken by whatever work the instance does outside HTTP requests.
 */
export class DrainHolds extends EventEmitter<DrainHoldEvents> {
  readonly #live = new Set<DrainHold>();
  #endsAt: number | undefined;

  /**
   * `performance.now()` by which the drain ends at the latest, once the shutdown has said so with
   * {@link DrainHolds.endBy}; undefined before. Health's `Retry-After` on a draining readiness reads it.
   */
  get endsAt(): number | undefined {
    return this.#endsAt;
  }

  /** Records when the drain ends at the latest (`performance.now()` milliseconds); the shutdown calls it when it begins. */
  endBy(at: number): void {
    if (Number.isFinite(at)) this.#endsAt = at;
  }

  /** How many holds are live. */
  get count(): number {
    return this.#live.size;
  }

  /** The live holds, oldest first (for the log line that says what the drain waits for). */
  list(): readonly DrainHold[] {
    return [...this.#live];
  }

  /**
   * Holds the drain until the returned function is called (or `timeoutMs` passes). Throws
   * `LBKIT_CORE_OPTION_INVALID` for a name that is not 1 to 256 printable characters or a bad
   * `timeoutMs`, `LBKIT_CORE_OPTION_UNKNOWN` for an unknown option.
   */
  hold(name: string, options?: DrainHoldOptions): ReleaseDrainHold {
    const named = new OptionReader<{ name?: string }>('CORE', OWNER, { name }, ['name']);
    if (named.string('name', undefined) === undefined) {
      throw named.invalid('a name is required', HINT);
    }
    const reader = new OptionReader<DrainHoldOptions>('CORE', OWNER, options, HOLD_OPTIONS);
    const timeoutMs = reader.milliseconds('timeoutMs', undefined, 1, HINT);
    const hold: DrainHold = Object.freeze({ name, since: performance.now(), timeoutMs });
    this.#live.add(hold);
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => this.#end(hold, 'expire'), timeoutMs);
      timer.unref();
    }
    this.emit('hold', hold);
    return () => {
      clearTimeout(timer);
      this.#end(hold, 'release');
    };
  }

  /** Resolves once no hold is live (at once when none is). */
  released(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', resolve));
  }

  #end(hold: DrainHold, how: 'release' | 'expire'): void {
    if (!this.#live.delete(hold)) return;
    this.emit(how, hold);
    if (this.#live.size === 0) this.emit('idle');
  }
}
