// Public entry of @lbkit/shutdown: re-exports only.
export { checkShutdownBudget } from './budget.js';
export { connectionBalancer } from './cluster-handoff.js';
export { clusterPrimary } from './cluster-primary.js';
export { clusterWorker } from './cluster-worker.js';
export { drainWorker } from './drain-worker.js';
export { gracefulShutdown, isShutdown } from './graceful-shutdown.js';
export { READY_MESSAGE, SHUTDOWN_MESSAGE } from './process-manager.js';
export type {
  BalancedWorker,
  BudgetFinding,
  CleanupContext,
  CleanupHook,
  ClusterBalance,
  ClusterPrimary,
  ClusterPrimaryEvents,
  ClusterPrimaryOptions,
  ClusterWorker,
  ClusterWorkerInfo,
  ClusterWorkerOptions,
  ConnectionBalancer,
  ConnectionBalancerOptions,
  GracefulShutdownOptions,
  ReloadResult,
  RespawnBackoff,
  Shutdown,
  ShutdownBudget,
  ShutdownBudgetInput,
  ShutdownErrorCode,
  ShutdownEvents,
  ShutdownLogger,
  ShutdownPhase,
  ShutdownPhaseEvent,
  ShutdownResult,
  ShutdownRunOptions,
  ShutdownServer,
  UpgradeCloser,
  WebSocketLike,
  WebSocketServerLike,
} from './types.js';
