// What a Sentinel-managed ioredis/iovalkey client needs to go through failovers: failoverDetector, and a way back from the 'end' it can fall into.
import { optionError } from './errors.js';

/** The parts of an ioredis/iovalkey client read here (its constructor options and its closing flag). */
interface SentinelManaged {
  readonly options?: { readonly sentinels?: unknown; readonly failoverDetector?: unknown };
  readonly status: string;
  /** Set by `disconnect()`/`quit()` before the connection closes; false when ioredis closes it itself. */
  readonly manuallyClosing?: boolean;
  connect(): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

function isSentinelManaged(client: unknown): client is SentinelManaged {
  const options = (client as SentinelManaged).options;
  return Array.isArray(options?.sentinels) && options.sentinels.length > 0;
}

/**
 * A Sentinel-managed client without `failoverDetector` keeps its connection to a master that froze
 * (SIGSTOP, a VM pause, a partition) after Sentinel promoted a replica; when the old master resumes
 * it answers as master until Sentinel demotes it (seconds), and everything it acknowledged meanwhile
 * is discarded by its resync (issue #19). With the detector, the client subscribes to the sentinels'
 * `+switch-master` and reconnects to the new master at once.
 */
export function refuseBlindSentinel(client: unknown): void {
  if (!isSentinelManaged(client) || client.options?.failoverDetector === true) return;
  throw optionError(
    'LBKIT_SESSION_CLIENT_UNSAFE',
    'a Sentinel client without failoverDetector would acknowledge session writes that a failover discards',
    'Create it with new Redis({ sentinels, name, failoverDetector: true }): it then follows +switch-master instead of writing to a demoted master.',
  );
}

/**
 * ioredis 5.11 and iovalkey 0.4: when `+switch-master` arrives while the client is reconnecting and
 * asking a sentinel for the master, the failover detector's disconnect aborts that attempt, which
 * ends the client for good (`Connection is closed.`, then status `end`, no more reconnects): every
 * session request would answer 503 until the process restarts. That end is told apart from the
 * user's `disconnect()`/`quit()` by ioredis's own closing flag, and undone with `connect()`.
 * Answers the function that stops watching.
 */
export function reviveAfterDetectorEnd(client: unknown): () => void {
  if (!isSentinelManaged(client)) return () => {};
  let abortedByDetector = false;
  const onError = (error: unknown): void => {
    abortedByDetector =
      error instanceof Error &&
      error.message === 'Connection is closed.' &&
      client.status === 'connecting' &&
      client.manuallyClosing === false;
  };
  const onEnd = (): void => {
    if (!abortedByDetector) return;
    abortedByDetector = false;
    client.connect().catch(() => {});
  };
  client.on('error', onError);
  client.on('end', onEnd);
  return () => {
    client.off('error', onError);
    client.off('end', onEnd);
  };
}
