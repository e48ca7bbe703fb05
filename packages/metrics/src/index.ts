// Public entry of @lbkit/metrics: re-exports only.
export { aggregateClusterMetrics } from './cluster-aggregate.js';
export { createMetrics, isMetrics } from './metrics.js';
export { HTTP_DURATION_BUCKETS } from './otel-http.js';
export { createOtelMetrics, isOtelMetrics } from './otel-metrics.js';
export { SESSION_BUCKETS } from './session-metrics.js';
export type {
  ClusterMetricsAggregator,
  ClusterMetricsOptions,
  ClusterPeersOptions,
  HealthSource,
  LbkitMetrics,
  LbkitOtelMetrics,
  MetricSources,
  MetricsErrorCode,
  MetricsOptions,
  OtelAttributes,
  OtelInstrumentOptions,
  OtelMeter,
  OtelMetricsOptions,
  OtelObservable,
  OtelObservableResult,
  PromRegistry,
  SessionOperationEvent,
  SessionStoreSource,
  ShedderSource,
  ShutdownPhaseEventLike,
  ShutdownSource,
} from './types.js';
