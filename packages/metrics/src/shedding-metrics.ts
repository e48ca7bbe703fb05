// Concurrency limit, admission queue, admitted and shed requests, read from the shedder at scrape time.
import { CountDelta, type MetricSet } from './metric-set.js';
import type { ShedderSource } from './types.js';

/** Cumulative shed counts as `[priority, reason, total]`; `unknown` priority when the shedder gives none. */
export function shedCounts(
  s: ReturnType<ShedderSource['snapshot']>,
): Array<readonly [priority: string, reason: string, total: number]> {
  const byPriority = s.rejectedByPriority ?? { unknown: s.rejected };
  return Object.entries(byPriority).flatMap(([priority, reasons]) =>
    Object.entries(reasons).map(([reason, total]) => [priority, reason, total] as const),
  );
}

/**
 * The shedder's snapshot, taken once per collection: the metrics' callbacks run one after the other
 * (prom-client's and OpenTelemetry's alike), the first takes it and the next turn forgets it.
 */
export function snapshotPerCollection(shedder: ShedderSource): () => ReturnType<ShedderSource['snapshot']> {
  let cached: ReturnType<ShedderSource['snapshot']> | undefined;
  const snapshot = (): ReturnType<ShedderSource['snapshot']> => {
    if (!cached) {
      cached = shedder.snapshot();
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
  return snapshot;
}

/**
 * `lbkit_concurrency_limit`, `lbkit_shedding_queue_length`, `lbkit_shedding_admitted_total` and
 * `lbkit_shedding_shed_total{reason,priority}`. One snapshot serves every metric of a scrape:
 * prom-client collects them one after the other, and the first takes it.
 */
export function sheddingMetrics(set: MetricSet, shedder: ShedderSource): void {
  const { Counter, Gauge } = set.client;
  const registers = [set.registry];
  const snapshot = snapshotPerCollection(shedder);
  new Gauge({
    name: set.name('concurrency_limit'),
    help: 'Concurrency limit in force (adaptive or fixed).',
    registers,
    collect() {
      this.set(snapshot().limit);
    },
  });
  new Gauge({
    name: set.name('shedding_queue_length'),
    help: 'Requests waiting in the admission queue.',
    registers,
    collect() {
      this.set(snapshot().queued);
    },
  });
  const admitted = new CountDelta();
  new Counter({
    name: set.name('shedding_admitted_total'),
    help: 'Requests admitted under the concurrency limit (exempt routes are not counted).',
    registers,
    collect() {
      this.inc(admitted.delta('', snapshot().admitted));
    },
  });
  const shed = new CountDelta();
  new Counter({
    name: set.name('shedding_shed_total'),
    help: 'Requests answered 503 by the load shedder, by reason and priority.',
    labelNames: ['reason', 'priority'],
    registers,
    collect() {
      for (const [priority, reason, total] of shedCounts(snapshot())) {
        this.inc({ reason, priority }, shed.delta(`${priority}/${reason}`, total));
      }
    },
  });
}
