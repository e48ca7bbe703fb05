// The metrics one source contributes: created in one registry under one prefix, removed together.
import type { PromClient } from './prom-client.js';
import type { PromRegistry } from './types.js';

/** Where a group of metrics is created, and how to take it out again. */
export class MetricSet {
  readonly client: PromClient;
  readonly registry: PromRegistry;
  readonly prefix: string;
  readonly #names: string[] = [];
  readonly #cleanups: Array<() => void> = [];

  constructor(client: PromClient, registry: PromRegistry, prefix: string) {
    this.client = client;
    this.registry = registry;
    this.prefix = prefix;
  }

  /** The full name of `name`, remembered so that `remove()` unregisters it. */
  name(name: string): string {
    const full = `${this.prefix}${name}`;
    this.#names.push(full);
    return full;
  }

  /** Runs `cleanup` on `remove()` (detaching listeners). */
  onRemove(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  /** Unregisters every metric of the set and runs the cleanups. */
  remove(): void {
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    for (const name of this.#names.splice(0)) this.registry.removeSingleMetric(name);
  }
}

/** Turns a cumulative count read at scrape time into counter increments (counters only go up). */
export class CountDelta {
  readonly #seen = new Map<string, number>();

  /** How much `key` grew since the last call; 0 the first time a smaller value is seen (a reset). */
  delta(key: string, total: number): number {
    const previous = this.#seen.get(key) ?? 0;
    this.#seen.set(key, total);
    return total > previous ? total - previous : 0;
  }
}
