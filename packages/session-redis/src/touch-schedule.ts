// When a session's rolling touch falls due: decided from the meta a read returned, remembered per process.
import { freshnessWindowMs } from './expiry.js';
import type { ReadRecord } from './read-record.js';

/**
 * Sessions remembered at most. The oldest entry makes room: a forgotten session only costs its
 * next due touch a second round trip (a map entry is about 100 bytes, so 1 MB at most).
 */
const REMEMBERED = 10_000;

/**
 * When the touch of the session `record` describes falls due (ms since the epoch): one freshness
 * window after Redis last extended it. A cookie with `maxAge` was extended `ma` before its `exp`;
 * a `ttl` session stores that time in `at` (NaN when it has none yet, so the touch is due).
 * undefined when the session does not roll (a fixed expiry, or none).
 */
export function touchDueAt(record: ReadRecord): number | undefined {
  if (record.ttl !== '') {
    const period = Number(record.ttl);
    if (!(period > 0)) return undefined;
    return (record.at === '' ? Number.NaN : Number(record.at)) + freshnessWindowMs(period);
  }
  if (record.ma === '') return undefined;
  const period = Number(record.ma);
  if (!(period > 0)) return undefined;
  return (record.exp === '' ? Number.NaN : Number(record.exp) - period) + freshnessWindowMs(period);
}

/**
 * Per store: when each recently seen session's touch falls due. A read of a session this process
 * knows is due runs the read-and-touch script, so the touch stays inside the read's round trip;
 * every other read is a plain HGETALL. The entry is a hint only: the read decides again from what
 * Redis returned, so an entry made stale by another instance costs at most one script read.
 */
export class TouchSchedule {
  readonly #dueAt = new Map<string, number>();

  /** True when the session's touch is known to be due at `now`. */
  isDue(id: string, now: number): boolean {
    const dueAt = this.#dueAt.get(id);
    return dueAt !== undefined && dueAt <= now;
  }

  /** Remembers when the touch of session `id` falls due (a non-number: due at once). */
  remember(id: string, dueAt: number): void {
    const map = this.#dueAt;
    if (map.size >= REMEMBERED && !map.has(id)) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.set(id, Number.isNaN(dueAt) ? 0 : dueAt);
  }

  forget(id: string): void {
    this.#dueAt.delete(id);
  }
}
