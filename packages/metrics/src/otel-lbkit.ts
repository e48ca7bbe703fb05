// lbkit.* OpenTelemetry instruments: lifecycle, shedding, health, sessions and drain, from the sources the Prometheus metrics read.
import type { Lifecycle } from '@lbkit/core';
import { STATUSES } from './health-metrics.js';
import { STATES } from './lifecycle-metrics.js';
import { watchSessionStore } from './session-metrics.js';
import { shedCounts, snapshotPerCollection } from './shedding-metrics.js';
import type {
  HealthSource,
  OtelMeter,
  OtelObservable,
  OtelObservableResult,
  SessionStoreSource,
  ShedderSource,
  ShutdownPhaseEventLike,
  ShutdownSource,
} from './types.js';

/** Removes what one source added (callbacks, listeners). */
type Cleanup = () => void;

/** Adds `callback` to `observable` and returns its removal. */
function observe(observable: OtelObservable, callback: (result: OtelObservableResult) => void): Cleanup {
  observable.addCallback(callback);
  return () => observable.removeCallback(callback);
}

/** `lbkit.lifecycle.state`, `lbkit.requests.in_flight`, `lbkit.connections.open`, `lbkit.requests.oldest_age`. */
export function otelLifecycle(meter: OtelMeter, lifecycle: Lifecycle): Cleanup[] {
  const { inFlight } = lifecycle;
  return [
    observe(
      meter.createObservableGauge('lbkit.lifecycle.state', {
        description: 'Lifecycle state of the instance: 1 for the current state, 0 for the others.',
      }),
      (result) => {
        for (const state of STATES)
          result.observe(lifecycle.state === state ? 1 : 0, { 'lbkit.lifecycle.state': state });
      },
    ),
    observe(
      meter.createObservableUpDownCounter('lbkit.requests.in_flight', {
        description: 'Requests whose response has not finished (every route, probes included).',
        unit: '{request}',
      }),
      (result) => result.observe(inFlight.requests),
    ),
    observe(
      meter.createObservableUpDownCounter('lbkit.connections.open', {
        description: 'Open client connections on the tracked servers, as the shutdown drain counts them.',
        unit: '{connection}',
      }),
      (result) => result.observe(inFlight.connections),
    ),
    observe(
      meter.createObservableGauge('lbkit.requests.oldest_age', {
        description: 'Age of the oldest request in flight; 0 when none is.',
        unit: 's',
      }),
      (result) => result.observe(inFlight.oldestRequestMs() / 1000),
    ),
  ];
}

/** `lbkit.shedding.limit`, `lbkit.shedding.queue.length`, `lbkit.shedding.admitted`, `lbkit.shedding.shed`. */
export function otelShedding(meter: OtelMeter, shedder: ShedderSource): Cleanup[] {
  const snapshot = snapshotPerCollection(shedder);
  return [
    observe(
      meter.createObservableGauge('lbkit.shedding.limit', {
        description: 'Concurrency limit in force (adaptive or fixed).',
        unit: '{request}',
      }),
      (result) => result.observe(snapshot().limit),
    ),
    observe(
      meter.createObservableUpDownCounter('lbkit.shedding.queue.length', {
        description: 'Requests waiting in the admission queue.',
        unit: '{request}',
      }),
      (result) => result.observe(snapshot().queued),
    ),
    observe(
      meter.createObservableCounter('lbkit.shedding.admitted', {
        description: 'Requests admitted under the concurrency limit (exempt routes are not counted).',
        unit: '{request}',
      }),
      (result) => result.observe(snapshot().admitted),
    ),
    observe(
      meter.createObservableCounter('lbkit.shedding.shed', {
        description: 'Requests answered 503 by the load shedder, by reason and priority.',
        unit: '{request}',
      }),
      (result) => {
        for (const [priority, reason, total] of shedCounts(snapshot())) {
          result.observe(total, { 'lbkit.shedding.reason': reason, 'lbkit.shedding.priority': priority });
        }
      },
    ),
  ];
}

/** `lbkit.health.check.status` and `lbkit.health.check.duration`, from each check's latest run. */
export function otelHealth(meter: OtelMeter, health: HealthSource): Cleanup[] {
  return [
    observe(
      meter.createObservableGauge('lbkit.health.check.status', {
        description: 'Status of the latest run of each health check: 1 for its status, 0 for the others.',
      }),
      (result) => {
        for (const check of health.latestResults()) {
          for (const status of STATUSES) {
            result.observe(check.status === status ? 1 : 0, {
              'lbkit.health.check': check.name,
              'lbkit.health.status': status,
              'lbkit.health.critical': check.critical,
            });
          }
        }
      },
    ),
    observe(
      meter.createObservableGauge('lbkit.health.check.duration', {
        description: 'How long the latest run of each health check took (its timeout when it timed out).',
        unit: 's',
      }),
      (result) => {
        for (const check of health.latestResults()) {
          result.observe(check.durationMs / 1000, { 'lbkit.health.check': check.name });
        }
      },
    ),
  ];
}

/** `lbkit.session.operation.duration`, `lbkit.session.errors` and `lbkit.session.store.available`. */
export function otelSessions(
  meter: OtelMeter,
  store: SessionStoreSource,
  buckets: readonly number[],
): Cleanup[] {
  const duration = meter.createHistogram('lbkit.session.operation.duration', {
    description: 'Duration of session store operations (get, set, touch, destroy), by outcome.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...buckets] },
  });
  const errors = meter.createCounter('lbkit.session.errors', {
    description: 'Errors of the session store, by code.',
    unit: '{error}',
  });
  return [
    watchSessionStore(
      store,
      (operation, outcome, seconds) =>
        duration.record(seconds, { 'lbkit.session.operation': operation, 'lbkit.session.outcome': outcome }),
      (code) => errors.add(1, { 'error.type': code }),
    ),
    observe(
      meter.createObservableGauge('lbkit.session.store.available', {
        description: '1 while the session store reaches Redis, 0 from a failure until Redis answers again.',
      }),
      (result) => result.observe(store.available ? 1 : 0),
    ),
  ];
}

/** `lbkit.shutdown.phase.duration` (the latest of each phase) and `lbkit.shutdown.forced` closes. */
export function otelShutdown(meter: OtelMeter, shutdown: ShutdownSource): Cleanup[] {
  const phases = new Map<string, number>();
  const forced = meter.createCounter('lbkit.shutdown.forced', {
    description: 'Requests and connections cut because the drain timeout elapsed.',
  });
  const onPhase = (event: ShutdownPhaseEventLike): void => {
    if (event.phase === 'hook') return;
    phases.set(event.phase, event.durationMs / 1000);
    if (event.forced) {
      forced.add(event.forced.requests, { 'lbkit.shutdown.forced.kind': 'request' });
      forced.add(event.forced.connections, { 'lbkit.shutdown.forced.kind': 'connection' });
    }
  };
  shutdown.on('phase', onPhase);
  return [
    () => shutdown.off('phase', onPhase),
    observe(
      meter.createObservableGauge('lbkit.shutdown.phase.duration', {
        description: 'How long the shutdown took to reach each phase from the previous one.',
        unit: 's',
      }),
      (result) => {
        for (const [phase, seconds] of phases) result.observe(seconds, { 'lbkit.shutdown.phase': phase });
      },
    ),
  ];
}
