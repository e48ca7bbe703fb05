// The shedder's statistics: counters by reason and priority, shed ratio, how long shedding lasted, drain time.
import type { Priority, RejectionReason } from './types.js';

// Shedding that pauses for longer than this counts as having stopped.
const SHEDDING_GAP_MS = 1000;
const BUCKET_MS = 1000;

type Bucket = { admitted: number; rejected: number; completed: number };

const emptyReasons = (): Record<RejectionReason, number> => ({
  stopped: 0,
  backstop: 0,
  overloaded: 0,
  'queue-timeout': 0,
  'queue-full': 0,
});

/**
 * Everything the shedder counts, and what is derived from it over the last one to two seconds
 * (two one-second buckets, so a rate never drops to nothing at a bucket boundary). It only
 * counts; it never decides.
 */
export class SheddingStats {
  readonly #clock: () => number;
  admitted = 0;
  abandoned = 0;
  readonly rejected: Record<RejectionReason, number> = emptyReasons();
  /** The same counts split by priority, for metrics labelled by reason and priority. */
  readonly rejectedByPriority: Record<Priority, Record<RejectionReason, number>> = {
    critical: emptyReasons(),
    default: emptyReasons(),
    sheddable: emptyReasons(),
  };
  #sheddingSince: number | undefined;
  #lastShedAt = Number.NEGATIVE_INFINITY;
  #bucketStart: number;
  #bucket: Bucket = { admitted: 0, rejected: 0, completed: 0 };
  #previous: Bucket = { admitted: 0, rejected: 0, completed: 0 };

  constructor(clock: () => number) {
    this.#clock = clock;
    this.#bucketStart = clock();
  }

  /** A request was handed on. */
  onAdmitted(): void {
    this.admitted++;
    this.#bucket.admitted++;
  }

  /** An admitted request's response finished. */
  onCompleted(): void {
    this.#bucket.completed++;
  }

  /** A request was shed. */
  onRejected(reason: RejectionReason, priority: Priority, now: number): void {
    this.rejected[reason]++;
    this.rejectedByPriority[priority][reason]++;
    this.#bucket.rejected++;
    if (this.#sheddingSince === undefined || now - this.#lastShedAt > SHEDDING_GAP_MS)
      this.#sheddingSince = now;
    this.#lastShedAt = now;
  }

  /** How long shedding has gone on without a pause of a second or more, in milliseconds. */
  sheddingForMs(now: number = this.#clock()): number {
    if (this.#sheddingSince === undefined || now - this.#lastShedAt > SHEDDING_GAP_MS) return 0;
    return now - this.#sheddingSince;
  }

  /** Share of non-exempt requests shed over the last one to two seconds, 0–1. */
  shedRatio(now: number = this.#clock()): number {
    this.roll(now);
    const rejected = this.#bucket.rejected + this.#previous.rejected;
    const total = rejected + this.#bucket.admitted + this.#previous.admitted;
    return total === 0 ? 0 : rejected / total;
  }

  /** Time to serve `backlog` requests at the recent completion rate (infinite when nothing completed). */
  drainMs(backlog: number, now: number): number {
    this.roll(now);
    if (backlog === 0) return 0;
    const elapsed = BUCKET_MS + (now - this.#bucketStart);
    const completed = this.#previous.completed + this.#bucket.completed;
    return completed === 0 ? Number.POSITIVE_INFINITY : (backlog * elapsed) / completed;
  }

  /** Starts a new bucket once the current one is a second old. */
  roll(now: number): void {
    const age = now - this.#bucketStart;
    if (age < BUCKET_MS) return;
    this.#previous = age < 2 * BUCKET_MS ? this.#bucket : { admitted: 0, rejected: 0, completed: 0 };
    this.#bucket = { admitted: 0, rejected: 0, completed: 0 };
    this.#bucketStart = now - (age % BUCKET_MS);
  }
}
