// Session store operation latency, errors and availability, from the store's events and state.
import type { MetricSet } from './metric-set.js';
import type { SessionOperationEvent, SessionStoreSource } from './types.js';

/** Default buckets of the operation histogram, in seconds: a Redis round trip up to the default command timeout. */
export const SESSION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/**
 * `lbkit_session_store_operation_duration_seconds{operation,outcome}`,
 * `lbkit_session_store_errors_total{code}` and `lbkit_session_store_available`. An error the store
 * both reports (`error` event) and throws (a failed operation) is counted once.
 */
export function sessionMetrics(set: MetricSet, store: SessionStoreSource, buckets: readonly number[]): void {
  const { Counter, Gauge, Histogram } = set.client;
  const registers = [set.registry];
  const duration = new Histogram({
    name: set.name('session_store_operation_duration_seconds'),
    help: 'Duration of session store operations (get, set, touch, destroy), by outcome.',
    labelNames: ['operation', 'outcome'],
    buckets: [...buckets],
    registers,
  });
  const errors = new Counter({
    name: set.name('session_store_errors_total'),
    help: 'Errors of the session store (outages, timeouts, corrupt data, conflicts, refused ids), by code.',
    labelNames: ['code'],
    registers,
  });
  new Gauge({
    name: set.name('session_store_available'),
    help: '1 while the session store reaches Redis, 0 from a failure until Redis answers again.',
    registers,
    collect() {
      this.set(store.available ? 1 : 0);
    },
  });
  set.onRemove(
    watchSessionStore(
      store,
      (operation, outcome, seconds) => duration.observe({ operation, outcome }, seconds),
      (code) => errors.inc({ code }),
    ),
  );
}

/**
 * Calls `onOperation` for each store operation and `onError` once per error (an error the store
 * both reports and throws is one); returns the function that stops listening.
 */
export function watchSessionStore(
  store: SessionStoreSource,
  onOperation: (operation: string, outcome: 'ok' | 'error', seconds: number) => void,
  onError: (code: string) => void,
): () => void {
  const counted = new WeakSet<object>();
  const count = (error: unknown): void => {
    if (typeof error === 'object' && error !== null) {
      if (counted.has(error)) return;
      counted.add(error);
    }
    onError(codeOf(error));
  };
  const operation = (event: SessionOperationEvent): void => {
    onOperation(event.operation, event.error === undefined ? 'ok' : 'error', event.durationMs / 1000);
    if (event.error !== undefined) count(event.error);
  };
  store.on('operation', operation);
  store.on('error', count);
  return () => {
    store.off('operation', operation);
    store.off('error', count);
  };
}

/** A stable code for a label: the error's `code` when it is a short token, else `unknown`. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'unknown';
}
