// The live page's last 60 s: one sample per tick, per slot and for the pool, and each slot's share of the requests.

/** How far back the page's charts go. */
export const HISTORY_MS = 60_000;

/** One slot (an instance, whichever process runs it) at one tick. */
export interface SlotSample {
  readonly slot: number;
  /** Requests admitted by the load shedder per second, summed over the slot's processes. */
  readonly served: number;
  /** Requests shed (503) per second. */
  readonly shed: number;
  /** Latency percentiles (ms) of the page's load answered by this instance since the last tick, or null without answers. */
  readonly p50: number | null;
  readonly p99: number | null;
  /** The load shedder's concurrency limit of the slot's newest live process, or null when none runs. */
  readonly limit: number | null;
  readonly inFlight: number;
  readonly queued: number;
}

/** The whole pool at one tick. */
export interface PoolSample {
  readonly served: number;
  readonly shed: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly inFlight: number;
  /** Instances whose lifecycle is `ready`. */
  readonly ready: number;
}

/** One tick of the page. */
export interface Sample {
  /** Epoch milliseconds. */
  readonly t: number;
  readonly slots: readonly SlotSample[];
  readonly pool: PoolSample;
}

/** A slot's part of the requests served over the window. */
export interface Share {
  readonly slot: number;
  /** Requests served (estimated from the per-second rates). */
  readonly requests: number;
  /** Percent of the pool's requests, 0 when nothing was served. */
  readonly percent: number;
}

/** The `q` quantile (0–1) of `values` by nearest rank, or null when there are none. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[rank]! * 10) / 10;
}

/** The samples of the last {@link HISTORY_MS}. */
export class History {
  readonly #samples: Sample[] = [];

  get samples(): readonly Sample[] {
    return this.#samples;
  }

  /** Adds a sample and forgets those older than the window. */
  push(sample: Sample): void {
    this.#samples.push(sample);
    while (this.#samples.length > 0 && this.#samples[0]!.t < sample.t - HISTORY_MS) this.#samples.shift();
  }

  /** Each slot's share of the requests served over the window (percentages sum to 100 when anything was served). */
  share(slots: number): Share[] {
    const requests = new Array<number>(slots).fill(0);
    for (let i = 1; i < this.#samples.length; i++) {
      const seconds = (this.#samples[i]!.t - this.#samples[i - 1]!.t) / 1000;
      for (const s of this.#samples[i]!.slots) {
        if (s.slot < slots) requests[s.slot]! += s.served * seconds;
      }
    }
    const total = requests.reduce((a, b) => a + b, 0);
    return requests.map((n, slot) => ({
      slot,
      requests: Math.round(n),
      percent: total > 0 ? Math.round((n / total) * 1000) / 10 : 0,
    }));
  }
}
