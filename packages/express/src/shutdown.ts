// Express adapter of @lbkit/shutdown: gracefulShutdown() takes the server app.listen() returns; nothing Express-specific is needed.
import { answerUncalledFactory } from '@lbkit/core/internal';
import {
  clusterPrimary as coreClusterPrimary,
  gracefulShutdown as coreGracefulShutdown,
} from '@lbkit/shutdown';

export type {
  CleanupHook,
  ClusterPrimaryOptions,
  GracefulShutdownOptions,
  Shutdown,
  ShutdownPhaseEvent,
  ShutdownResult,
} from '@lbkit/shutdown';

/**
 * `gracefulShutdown(app.listen(3000), { lifecycle, drainDelayMs })`: drains the server on SIGTERM/SIGINT
 * (see @lbkit/shutdown). It takes the server, never a request: it is not middleware.
 */
export function gracefulShutdown(
  ...args: Parameters<typeof coreGracefulShutdown>
): ReturnType<typeof coreGracefulShutdown> {
  if (answerUncalledFactory('EXPRESS', 'gracefulShutdown', args)) return undefined as never;
  return coreGracefulShutdown(...args);
}

/**
 * `clusterPrimary({ workers })` in the primary process: forks and supervises node:cluster workers
 * (see @lbkit/shutdown). It is not middleware.
 */
export function clusterPrimary(
  ...args: Parameters<typeof coreClusterPrimary>
): ReturnType<typeof coreClusterPrimary> {
  if (answerUncalledFactory('EXPRESS', 'clusterPrimary', args)) return undefined as never;
  return coreClusterPrimary(...args);
}
