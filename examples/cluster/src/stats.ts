// What a worker reports to the primary over IPC, read from the app's own Prometheus registry and probes.
import type { Lifecycle } from '@lbkit/core';
import type { Health } from '@lbkit/health';
import type { Registry } from 'prom-client';

/** Tag of the stats message, so the primary tells it from gracefulShutdown's `ready`. */
export const STATS_MESSAGE = 'lbkit-demo-stats';

/** One instance's figures, sent every few hundred milliseconds. */
export interface InstanceStats {
  readonly type: typeof STATS_MESSAGE;
  readonly instance: string;
  readonly pid: number;
  /** When the figures were read (epoch ms): rates are computed between two reports, not between two page ticks. */
  readonly at: number;
  /** Lifecycle state. */
  readonly state: string;
  readonly inFlight: number;
  readonly connections: number;
  /** Concurrency limit of the load shedder. */
  readonly limit: number;
  readonly queued: number;
  /** Requests admitted since start (cumulative). */
  readonly admitted: number;
  /** Requests shed since start (cumulative, every reason and priority). */
  readonly shed: number;
  /** Readiness as a balancer would see it: pass, warn or fail. */
  readonly health: string;
  /** Where sessions live. */
  readonly sessions: 'redis' | 'memory';
  /** Session store operations since start (Redis only). */
  readonly sessionOps: number;
  /** Whether the session store reaches Redis (always true in memory). */
  readonly sessionsAvailable: boolean;
}

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

function sum(
  metrics: readonly MetricJson[],
  name: string,
  where: (labels: Record<string, unknown>) => boolean = () => true,
): number {
  const metric = metrics.find((m) => m.name === name);
  if (!metric) return 0;
  let total = 0;
  for (const v of metric.values as Array<{ value: number; labels: Record<string, unknown> }>) {
    if (where(v.labels)) total += v.value;
  }
  return total;
}

/** Reads the figures of one instance from its registry (@lbkit/metrics) and its readiness probe. */
export async function readStats(options: {
  instance: string;
  lifecycle: Lifecycle;
  registry: Registry;
  health: Health;
  sessions: 'redis' | 'memory';
}): Promise<InstanceStats> {
  const { registry, health, lifecycle, sessions } = options;
  const [metrics, readiness] = await Promise.all([
    registry.getMetricsAsJSON(),
    health.report('readiness', { detailed: false }),
  ]);
  return {
    type: STATS_MESSAGE,
    instance: options.instance,
    pid: process.pid,
    at: Date.now(),
    state: lifecycle.state,
    inFlight: sum(metrics, 'lbkit_requests_in_flight'),
    connections: sum(metrics, 'lbkit_connections_open'),
    limit: sum(metrics, 'lbkit_concurrency_limit'),
    queued: sum(metrics, 'lbkit_shedding_queue_length'),
    admitted: sum(metrics, 'lbkit_shedding_admitted_total'),
    shed: sum(metrics, 'lbkit_shedding_shed_total'),
    health: readiness.status,
    sessions,
    sessionOps: sum(metrics, 'lbkit_session_store_operation_duration_seconds', (l) => l.le === '+Inf'),
    sessionsAvailable: sessions === 'memory' || sum(metrics, 'lbkit_session_store_available') === 1,
  };
}

/** True for a stats message from a worker. */
export function isStats(message: unknown): message is InstanceStats {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === STATS_MESSAGE
  );
}
