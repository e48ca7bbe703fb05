// Status and duration of each health check's latest run, read at scrape time (no check runs for a scrape).
import type { MetricSet } from './metric-set.js';
import type { HealthSource } from './types.js';

/** Every status a check reports, each 1 or 0. */
export const STATUSES = ['pass', 'warn', 'fail'] as const;

/** `lbkit_health_check_status{check,status}` and `lbkit_health_check_duration_seconds{check}`. */
export function healthMetrics(set: MetricSet, health: HealthSource): void {
  const { Gauge } = set.client;
  const registers = [set.registry];
  new Gauge({
    name: set.name('health_check_status'),
    help: 'Status of the latest run of each health check: 1 for its status, 0 for the others.',
    labelNames: ['check', 'status', 'critical'],
    registers,
    collect() {
      // Reset first: a check renamed or removed must not keep reporting its last value.
      this.reset();
      for (const result of health.latestResults()) {
        const critical = String(result.critical);
        for (const status of STATUSES) {
          this.set({ check: result.name, status, critical }, result.status === status ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: set.name('health_check_duration_seconds'),
    help: 'How long the latest run of each health check took (its timeout when it timed out).',
    labelNames: ['check'],
    registers,
    collect() {
      this.reset();
      for (const result of health.latestResults()) this.set({ check: result.name }, result.durationMs / 1000);
    },
  });
}
