// Public entry of @lbkit/shedding: re-exports only.
export {
  AdaptiveConcurrencyLimit,
  type ConcurrencyLimit,
  FixedConcurrencyLimit,
} from './concurrency-limit.js';
export { isLoadShedder, LoadShedder } from './load-shedder.js';
export { overloadCheck } from './readiness.js';
export type {
  AdaptiveLimitOptions,
  BackstopThresholds,
  Classifier,
  Clock,
  LoadSheddingOptions,
  OverloadCheckOptions,
  OverloadCheckResult,
  OverloadHealthCheck,
  Priority,
  QueueOptions,
  RejectHandler,
  Rejection,
  RejectionReason,
  RetryAfterOptions,
  SheddingErrorCode,
  SheddingSnapshot,
  SignalOptions,
  SignalReadings,
  Threshold,
} from './types.js';
