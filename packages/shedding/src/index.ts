// Public entry of @lbkit/shedding: re-exports only.
export {
  AdaptiveConcurrencyLimit,
  type ConcurrencyLimit,
  FixedConcurrencyLimit,
} from './concurrency-limit.js';
export { type ChannelFactory, isLoadShedder, LoadShedder } from './load-shedder.js';
export { overloadCheck } from './readiness.js';
export { ShedError } from './shed-error.js';
export type {
  AdaptiveLimitOptions,
  Backstop,
  BackstopThresholds,
  Classifier,
  Clock,
  LoadSheddingOptions,
  OverloadCheckOptions,
  OverloadCheckResult,
  OverloadHealthCheck,
  PressureSource,
  Priority,
  ProbeRoutes,
  QueueOptions,
  RejectHandler,
  Rejection,
  RejectionChannel,
  RejectionReason,
  RetryAfterOptions,
  SheddingErrorCode,
  SheddingSnapshot,
  ShedErrorLike,
  SignalOptions,
  SignalReadings,
  Threshold,
} from './types.js';
