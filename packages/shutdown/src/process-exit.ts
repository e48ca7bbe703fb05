// How the process ends after a shutdown that asked to exit: a code, or the signal that started it.
import { constants } from 'node:os';
import type { ShutdownResult } from './types.js';

/**
 * Exits with `result.exitCode`, or, when `signal` is given and the shutdown was clean, by that
 * signal: Kubernetes, systemd and supervisors then see "terminated by SIGTERM" (terminus's
 * `useExit0: false`). Our own listeners are gone by now, so the default action of the signal ends
 * the process. When someone else still listens to it, the signal would not end the process: it
 * exits with 128 + the signal number instead, what a shell reports for a death by that signal.
 */
export function exitProcess(result: ShutdownResult, signal: NodeJS.Signals | undefined): void {
  if (signal === undefined || result.exitCode !== 0) {
    process.exit(result.exitCode);
    return;
  }
  if (process.listenerCount(signal) > 0) {
    process.exit(128 + (constants.signals[signal] ?? 0));
    return;
  }
  process.kill(process.pid, signal);
}
