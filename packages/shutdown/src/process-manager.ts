// PM2 and node:cluster: detects them, and tells them when this instance is ready to take traffic.
import cluster from 'node:cluster';
import type { Lifecycle } from '@lbkit/core';
import type { ShutdownServer } from './types.js';

/** Sent to the parent once every server listens and the lifecycle is ready (PM2's `wait_ready` protocol). */
export const READY_MESSAGE = 'ready';
/** Received from the parent to shut down (PM2's `shutdown_with_message`, and `clusterPrimary()`). */
export const SHUTDOWN_MESSAGE = 'shutdown';

/** The process manager this process runs under, if it talks over IPC. */
export function detectManager(env: NodeJS.ProcessEnv = process.env): 'pm2' | 'cluster' | undefined {
  if (typeof process.send !== 'function') return undefined;
  // PM2 sets pm_id in both its fork and cluster modes (its cluster mode is node:cluster underneath).
  if (env.pm_id !== undefined) return 'pm2';
  if (cluster.isWorker) return 'cluster';
  return undefined;
}

/** Whether to use the IPC channel, given the `ipc` option. */
export function useIpc(setting: boolean | 'auto'): boolean {
  if (setting === 'auto') return detectManager() !== undefined;
  return setting && typeof process.send === 'function';
}

/**
 * Sends {@link READY_MESSAGE} once, when every server listens and the lifecycle is `ready`
 * (marking it ready on listen first when asked). Returns a function that stops watching.
 */
export function announceReady(
  servers: readonly ShutdownServer[],
  lifecycle: Lifecycle,
  options: { readonly markReadyOnListen: boolean; readonly send: boolean },
): () => void {
  let sent = false;
  const check = (): void => {
    if (sent || !servers.every((server) => server.listening)) return;
    if (options.markReadyOnListen && lifecycle.state === 'starting') lifecycle.markReady('listening');
    // markReady re-enters through the 'ready' listener, which may have sent already.
    if (sent || lifecycle.state !== 'ready') return;
    sent = true;
    if (options.send && process.connected) {
      try {
        process.send?.(READY_MESSAGE);
      } catch {
        // The parent went away; nothing is waiting for the message.
      }
    }
  };
  for (const server of servers) server.on('listening', check);
  lifecycle.on('ready', check);
  check();
  return () => {
    for (const server of servers) server.off('listening', check);
    lifecycle.off('ready', check);
  };
}
