// Public entry of @lbkit/metrics: re-exports only.
export { aggregateClusterMetrics } from './cluster-aggregate.js';
export { createMetrics, isMetrics } from './metrics.js';
export { SESSION_BUCKETS } from './session-metrics.js';
export type {
  ClusterMetricsAggregator,
  ClusterMetricsOptions,
  HealthSource,
  LbkitMetrics,
  MetricSources,
  MetricsErrorCode,
  MetricsOptions,
  PromRegistry,
  SessionOperationEvent,
  SessionStoreSource,
  ShedderSource,
  ShutdownPhaseEventLike,
  ShutdownSource,
} from './types.js';
