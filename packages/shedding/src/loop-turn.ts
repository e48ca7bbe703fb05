// The loop-turn budget: how much admitted handler work the current event-loop turn has run, and when it ends.
import { performance } from 'node:perf_hooks';

// Below this, how long the turn has run needs no correction for time the loop spent idle in it
// (reading that is a native call, per request): it is far below every threshold the limit uses.
const IDLE_CORRECTION_MS = 0.5;
// The loop's cumulative idle time, without the clock read and allocation of eventLoopUtilization().
const timing = performance.nodeTiming;

/**
 * One event-loop turn as the shedder sees it: the work the loop does between two reads of new
 * requests, a poll phase and the check phase after it. A turn starts with the first request (or
 * response) the shedder sees in it and ends in a `setImmediate`, after the poll phase has read
 * everything that arrived; `onEnd` runs then. The slots of requests that finished during the turn
 * (`held`) are released at its end.
 */
export class LoopTurn {
  readonly #onEnd: () => void;
  #start: number | undefined;
  /** Event-loop idle time (ms, cumulative) when the turn started: waiting for I/O is not work. */
  #idleAtStart = 0;
  #end: NodeJS.Immediate | undefined;
  /** Milliseconds spent running admitted requests' handlers during this turn. */
  work = 0;
  /** Slots held by requests that finished during this turn. */
  held = 0;

  constructor(onEnd: () => void) {
    this.#onEnd = onEnd;
  }

  /** True while the end of a turn is scheduled. */
  get endPending(): boolean {
    return this.#end !== undefined;
  }

  /** Starts a turn if none is running. */
  touch(now: number): void {
    if (this.#start !== undefined) return;
    this.#start = now;
    this.#idleAtStart = timing.idleTime;
    this.#end ??= setImmediate(this.#fire);
  }

  /** Milliseconds of work in the current turn so far: whoever starts now has waited that long for the loop. */
  busy(now: number): number {
    if (this.#start === undefined) return 0;
    // A turn begun by a response finishing late in the check phase spans the idle wait before the
    // next poll; that wait is no work and must not count against the next requests.
    const span = now - this.#start;
    return span < IDLE_CORRECTION_MS ? span : span - (timing.idleTime - this.#idleAtStart);
  }

  /** True while the turn has run less than `budgetMs` of admitted work. */
  hasBudget(budgetMs: number): boolean {
    return this.work < budgetMs;
  }

  /** Closes the turn: the next request starts a new one with a fresh budget. */
  finish(): void {
    this.#start = undefined;
    this.work = 0;
  }

  /** Schedules the end of a turn even if no new event starts one (what waits needs its budget). */
  scheduleEnd(): void {
    this.#end ??= setImmediate(this.#fire);
  }

  /** Cancels the scheduled end. */
  dispose(): void {
    if (this.#end) clearImmediate(this.#end);
    this.#end = undefined;
  }

  readonly #fire = (): void => {
    this.#end = undefined;
    this.held = 0;
    this.#onEnd();
  };
}
