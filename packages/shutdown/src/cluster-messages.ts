// The IPC messages between clusterPrimary() and clusterWorker() when the primary hands connections out.

/** Environment variable the primary sets on each worker: its `balance` policy (lower case, as PM2's `pm_id`, so it reads as no error code). */
export const BALANCE_ENV = 'lbkit_cluster_balance';

/** Tag of the primary's message that carries one connection (the socket is the message's handle). */
export const CONNECTION_MESSAGE = 'lbkit-cluster-connection';

/** Tag of a worker's load report. */
export const LOAD_MESSAGE = 'lbkit-cluster-load';

/** How often a worker reports its load; a connection closing also sends one (coalesced per loop turn). */
export const REPORT_INTERVAL_MS = 100;

/** What the primary sends with each socket. */
export interface ConnectionMessage {
  readonly type: typeof CONNECTION_MESSAGE;
}

/** A worker's load, as it reports it. The first report also says that it takes connections from the primary. */
export interface LoadReport {
  readonly type: typeof LOAD_MESSAGE;
  /** Requests being answered now. */
  readonly inFlight: number;
  /** Requests waiting in the app's own queue (`clusterWorker({ queued })`), 0 without one. */
  readonly queued: number;
  /** Event-loop utilisation (0–1) since the previous report. */
  readonly elu: number;
  /** Connections received from the primary since start (cumulative). */
  readonly received: number;
  /** Of those, the ones closed since (cumulative). */
  readonly closed: number;
  /** False once the worker's server has closed (a drain the primary did not start): send it nothing more. */
  readonly accepting: boolean;
}

/** True for the primary's connection message. */
export function isConnectionMessage(message: unknown): message is ConnectionMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === CONNECTION_MESSAGE
  );
}

/** True for a worker's load report with every figure a finite number. */
export function isLoadReport(message: unknown): message is LoadReport {
  if (typeof message !== 'object' || message === null) return false;
  const report = message as Partial<Record<keyof LoadReport, unknown>>;
  return (
    report.type === LOAD_MESSAGE &&
    typeof report.accepting === 'boolean' &&
    [report.inFlight, report.queued, report.elu, report.received, report.closed].every(
      (value) => typeof value === 'number' && Number.isFinite(value),
    )
  );
}
