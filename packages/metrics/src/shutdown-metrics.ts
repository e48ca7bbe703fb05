// Drain phase durations, cleanup hook durations and forced closes, from the shutdown's phase events.
import type { MetricSet } from './metric-set.js';
import type { ShutdownPhaseEventLike, ShutdownSource } from './types.js';

/**
 * `lbkit_shutdown_phase_duration_seconds{phase}`, `lbkit_shutdown_hook_duration_seconds{hook,outcome}`,
 * `lbkit_shutdown_forced_requests_total` and `lbkit_shutdown_forced_connections_total`. A shutdown
 * happens once per process, near its end: these are read by the last scrapes (and by tests).
 */
export function shutdownMetrics(set: MetricSet, shutdown: ShutdownSource): void {
  const { Counter, Gauge } = set.client;
  const registers = [set.registry];
  const phases = new Gauge({
    name: set.name('shutdown_phase_duration_seconds'),
    help: 'How long the shutdown took to reach each phase from the previous one (draining → delay-elapsed is the drain delay).',
    labelNames: ['phase'],
    registers,
  });
  const hooks = new Gauge({
    name: set.name('shutdown_hook_duration_seconds'),
    help: 'How long each cleanup hook ran, with its outcome (ok, timeout, error).',
    labelNames: ['hook', 'outcome'],
    registers,
  });
  const forcedRequests = new Counter({
    name: set.name('shutdown_forced_requests_total'),
    help: 'Requests cut because the drain timeout elapsed.',
    registers,
  });
  const forcedConnections = new Counter({
    name: set.name('shutdown_forced_connections_total'),
    help: 'Connections (sockets, HTTP/2 sessions, WebSockets) destroyed because the drain timeout elapsed.',
    registers,
  });
  const onPhase = (event: ShutdownPhaseEventLike): void => {
    const seconds = event.durationMs / 1000;
    if (event.phase === 'hook' && event.hook) {
      hooks.set({ hook: event.hook.name, outcome: event.hook.outcome }, seconds);
      return;
    }
    phases.set({ phase: event.phase }, seconds);
    if (event.forced) {
      forcedRequests.inc(event.forced.requests);
      forcedConnections.inc(event.forced.connections);
    }
  };
  shutdown.on('phase', onPhase);
  set.onRemove(() => shutdown.off('phase', onPhase));
}
