// Lifecycle state and requests/connections in flight, read at scrape time.
import type { Lifecycle, LifecycleState } from '@lbkit/core';
import type { MetricSet } from './metric-set.js';

/** Every lifecycle state, in order: each is reported, 1 for the current one. */
export const STATES: readonly LifecycleState[] = ['starting', 'ready', 'draining', 'stopped'];

/** `lbkit_lifecycle_state`, `lbkit_requests_in_flight`, `lbkit_connections_open`, `lbkit_oldest_request_age_seconds`. */
export function lifecycleMetrics(set: MetricSet, lifecycle: Lifecycle): void {
  const { Gauge } = set.client;
  const registers = [set.registry];
  new Gauge({
    name: set.name('lifecycle_state'),
    help: 'Lifecycle state of the instance: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers,
    collect() {
      for (const state of STATES) this.set({ state }, lifecycle.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: set.name('requests_in_flight'),
    help: 'Requests whose response has not finished (every route, probes included).',
    registers,
    collect() {
      this.set(lifecycle.inFlight.requests);
    },
  });
  new Gauge({
    name: set.name('connections_open'),
    help: 'Open client connections on the tracked servers (TCP/TLS sockets, upgraded sockets, HTTP/2 sessions), as the shutdown drain counts them.',
    registers,
    collect() {
      this.set(lifecycle.inFlight.connections);
    },
  });
  new Gauge({
    name: set.name('oldest_request_age_seconds'),
    help: 'Age of the oldest request in flight; 0 when none is.',
    registers,
    collect() {
      this.set(lifecycle.inFlight.oldestRequestMs() / 1000);
    },
  });
}
