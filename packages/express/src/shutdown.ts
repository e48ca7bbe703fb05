// Express adapter of @lbkit/shutdown: gracefulShutdown() takes the server app.listen() returns; nothing Express-specific is needed.

export type {
  CleanupHook,
  ClusterPrimaryOptions,
  GracefulShutdownOptions,
  Shutdown,
  ShutdownPhaseEvent,
  ShutdownResult,
} from '@lbkit/shutdown';
export { clusterPrimary, gracefulShutdown } from '@lbkit/shutdown';
