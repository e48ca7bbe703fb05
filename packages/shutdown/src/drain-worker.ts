// Draining one node:cluster worker: the shutdown message, a bounded wait for its exit, SIGKILL past the bound.
import type { Worker } from 'node:cluster';
import { withTimeout } from '@lbkit/core/internal';
import { SHUTDOWN_MESSAGE } from './process-manager.js';

/**
 * Asks a cluster worker to drain, with the `shutdown` IPC message that `gracefulShutdown()` honours
 * (SIGTERM when the IPC channel is gone), and waits for `exited`. A worker still there after
 * `timeoutMs` is killed with SIGKILL. Resolves true when it exited within the bound, false when it
 * had to be killed (after it exited). Sending the message, not a signal, keeps a terminal's Ctrl-C,
 * which reaches the whole process group, from counting as a second signal in the workers.
 */
export async function drainWorker(
  worker: Worker,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
  else worker.process.kill('SIGTERM');
  // Referenced: the primary waits for its workers on purpose, with nothing else keeping it alive.
  const inTime = await withTimeout(
    exited.then(() => true),
    timeoutMs,
    false,
    { ref: true },
  );
  if (!inTime) {
    worker.process.kill('SIGKILL');
    await exited;
  }
  return inTime;
}
