// The admission queue in front of the limit: CoDel-style bound on waiting, LIFO while overloaded.
import type { Priority } from './types.js';

/** A waiting request: the shedder supplies what to do when it is admitted or dropped. */
export interface QueueEntry {
  readonly priority: Exclude<Priority, 'critical'>;
  /** Clock time it was queued at. */
  readonly queuedAt: number;
  /** @internal list links */
  prev: QueueEntry | undefined;
  /** @internal list links */
  next: QueueEntry | undefined;
  /** @internal false once taken out of the queue */
  queued: boolean;
}

/** Resolved queue settings. */
export interface QueueSettings {
  readonly targetMs: number;
  readonly intervalMs: number;
  readonly maxLength: number;
}

/** Defaults of the queue, shared with option validation and the README. */
export const QUEUE_DEFAULTS: QueueSettings = { targetMs: 5, intervalMs: 100, maxLength: 1000 };

// Weight of the latest gap between two entries served in its moving average.
const GAP_WEIGHT = 0.25;

/** A doubly linked list in queue order (oldest first): O(1) at both ends and for removal. */
class EntryList<T extends QueueEntry> {
  head: T | undefined;
  tail: T | undefined;
  size = 0;

  push(entry: T): void {
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.size++;
  }

  remove(entry: T): void {
    // The links only ever join entries of this list, so they are Ts.
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next as T | undefined;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev as T | undefined;
    entry.prev = undefined;
    entry.next = undefined;
    this.size--;
  }
}

/**
 * Requests waiting for a slot under the concurrency limit, after "Fail at Scale" (Maurer, 2015),
 * CoDel adapted to request queues:
 * - while the queue keeps emptying, it is FIFO and a request may wait up to `intervalMs` (bursts
 *   are absorbed, nothing is shed at moderate load);
 * - once the oldest request has been waiting longer than `targetMs` for a whole `intervalMs`
 *   (CoDel's test for a standing queue: a queue that keeps turning over quickly, even if never
 *   empty, is no overload, and neither is a backlog left by one pause that drains in time) it is overloaded,
 *   serves the newest request first (the one most likely to still have a client waiting) and sheds
 *   whatever waited longer than `targetMs`;
 * - it leaves that state after staying empty for half an interval, so one lucky empty moment
 *   in the middle of an overload does not flip it back to FIFO;
 * - before that, a backlog that cannot be served within `intervalMs` at the pace the queue has
 *   been served at (a retry storm's onset: every client queued at once) is served newest first
 *   already: FIFO would serve each of them late, and drop the rest at `intervalMs` anyway; newest
 *   first serves the clients still arriving at once, and only the order changes, not the bound.
 * `default` requests are always served before `sheddable` ones. Generic over what waits: it hands
 * back the caller's own entries, so the caller never casts what it takes out.
 */
export class AdmissionQueue<T extends QueueEntry = QueueEntry> {
  readonly #settings: QueueSettings;
  readonly #lists: Record<QueueEntry['priority'], EntryList<T>> = {
    default: new EntryList<T>(),
    sheddable: new EntryList<T>(),
  };
  /** Since when the oldest entry has been waiting longer than `targetMs` (undefined: it has not). */
  #aboveSince: number | undefined;
  #emptySince = Number.NEGATIVE_INFINITY;
  #overloaded = false;
  /** Since when the queue has held entries. */
  #busySince = Number.NEGATIVE_INFINITY;
  /** When an entry was last served. */
  #servedAt = Number.NEGATIVE_INFINITY;
  /** Moving average of the time between two entries served (undefined until one was). */
  #gapMs: number | undefined;

  constructor(settings: QueueSettings) {
    this.#settings = settings;
  }

  /** Requests waiting. */
  get size(): number {
    return this.#lists.default.size + this.#lists.sheddable.size;
  }

  /** Whether the queue is overloaded at `now` (LIFO, waits bounded by `targetMs`). */
  overloaded(now: number): boolean {
    const { intervalMs } = this.#settings;
    if (this.#overloaded) {
      if (this.size === 0 && now - this.#emptySince >= intervalMs / 2) this.#overloaded = false;
    } else {
      this.#observe(now);
      if (this.#aboveSince !== undefined && now - this.#aboveSince >= intervalMs) this.#overloaded = true;
    }
    return this.#overloaded;
  }

  /** Notes whether the oldest entry has waited longer than `targetMs`, and since when. */
  #observe(now: number): void {
    const oldest = this.#oldestQueuedAt();
    if (oldest === undefined || now - oldest <= this.#settings.targetMs) this.#aboveSince = undefined;
    else this.#aboveSince ??= oldest + this.#settings.targetMs;
  }

  #oldestQueuedAt(): number | undefined {
    const a = this.#lists.default.head?.queuedAt;
    const b = this.#lists.sheddable.head?.queuedAt;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** True when serving what waits at the queue's recent pace would take longer than `intervalMs`. */
  backlogged(): boolean {
    return this.#gapMs !== undefined && this.size * this.#gapMs > this.#settings.intervalMs;
  }

  /** Longest wait allowed at `now`. */
  bound(now: number): number {
    return this.overloaded(now) ? this.#settings.targetMs : this.#settings.intervalMs;
  }

  /** The clock time at which the oldest entry exceeds the current bound (undefined when empty). */
  nextDeadline(now: number): number | undefined {
    const bound = this.bound(now);
    const oldest = this.#oldestQueuedAt();
    return oldest === undefined ? undefined : oldest + bound;
  }

  /** Queues `entry`; returns the entry evicted to make room (the oldest of the lowest priority), if any. */
  push(entry: T, now: number): T | undefined {
    let evicted: T | undefined;
    if (this.size >= this.#settings.maxLength) {
      evicted = this.#lists.sheddable.head ?? this.#lists.default.head;
      if (evicted) this.remove(evicted, now);
    }
    if (this.size === 0) this.#busySince = now;
    entry.queued = true;
    this.#lists[entry.priority].push(entry);
    return evicted;
  }

  /** Takes `entry` out (its client went away, or it is being dropped). No-op when not queued. */
  remove(entry: T, now: number): void {
    if (!entry.queued) return;
    entry.queued = false;
    this.#lists[entry.priority].remove(entry);
    this.#noteEmpty(now);
  }

  /**
   * Removes and returns, oldest first, every entry that has waited longer than the current bound,
   * plus every `sheddable` entry while overloaded (sheddable requests are shed first).
   */
  expired(now: number): T[] {
    const out: T[] = [];
    const overloaded = this.overloaded(now);
    const bound = overloaded ? this.#settings.targetMs : this.#settings.intervalMs;
    for (const list of [this.#lists.default, this.#lists.sheddable]) {
      const all = overloaded && list === this.#lists.sheddable;
      while (list.head && (all || now - list.head.queuedAt > bound)) {
        const entry = list.head;
        this.remove(entry, now);
        out.push(entry);
      }
    }
    return out;
  }

  /** Removes and returns the entry to admit next: `default` before `sheddable`; newest first while overloaded. */
  shift(now: number): T | undefined {
    const lifo = this.overloaded(now) || this.backlogged();
    const list = this.#lists.default.size > 0 ? this.#lists.default : this.#lists.sheddable;
    const entry = lifo ? list.tail : list.head;
    if (entry) {
      this.#noteServed(now);
      this.remove(entry, now);
    }
    // A dequeue can leave a younger oldest entry: the queue may no longer be above target.
    if (!this.#overloaded) this.#observe(now);
    return entry;
  }

  #noteServed(now: number): void {
    const gap = now - Math.max(this.#servedAt, this.#busySince);
    this.#gapMs = this.#gapMs === undefined ? gap : this.#gapMs + (gap - this.#gapMs) * GAP_WEIGHT;
    this.#servedAt = now;
  }

  #noteEmpty(now: number): void {
    if (this.size > 0) return;
    this.#aboveSince = undefined;
    this.#emptySince = now;
  }
}
