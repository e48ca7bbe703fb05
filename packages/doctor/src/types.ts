// Public types of @lbkit/doctor.
import type { BalancerProfile } from '@lbkit/profiles';

/** Stable error codes of @lbkit/doctor (see the README for meaning and fix). */
export type DoctorErrorCode =
  | 'LBKIT_DOCTOR_OPTION_UNKNOWN'
  | 'LBKIT_DOCTOR_OPTION_INVALID'
  | 'LBKIT_DOCTOR_FACTORY_NOT_CALLED'
  | 'LBKIT_DOCTOR_URL_INVALID';

/** What one finding says: `fail` makes the CLI exit 1; `warn` and `skip` do not. */
export type FindingStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One line of the doctor's report. */
export interface Finding {
  /** Stable id of the check, for example `probe.ready.status` or `keep-alive.idle-timeout`. */
  readonly id: string;
  readonly status: FindingStatus;
  /** What was seen, in one line. */
  readonly message: string;
  /** How to fix it (for `warn` and `fail`), or why the check was skipped. */
  readonly fix?: string;
}

/** Balancers whose numbers the doctor knows: the balancer profiles of @lbkit/profiles. */
export type KnownBalancer = BalancerProfile;

/** Options of {@link runDoctor}; every one is optional. */
export interface DoctorOptions {
  /** Liveness probe path (default `/health/live`). */
  readonly live?: string;
  /** Readiness probe path (default `/health/ready`). */
  readonly ready?: string;
  /** Startup probe path (default `/health/startup`); `false` for none. */
  readonly startup?: string | false;
  /** The detailed health report's path (default `/health`); `false` for none. */
  readonly health?: string | false;
  /** A route answering the resolved client as JSON `{ ip, host }` (default `/whoami`); `false` for none. */
  readonly whoami?: string | false;
  /** The metrics path (default `/metrics`); `false` for none. */
  readonly metrics?: string | false;
  /** The balancer's idle timeout in seconds, compared with the server's keep-alive timeout. */
  readonly idleTimeoutS?: number;
  /**
   * Profile words of @lbkit/profiles, as `LBKIT_BEHIND` takes them (`aws-alb`, `kubernetes,aws-alb`):
   * the balancer's idle timeout (unless `idleTimeoutS` is given) and its health-check interval
   * (unless `probeIntervalS` is given) come from `resolveProfile()`.
   */
  readonly behind?: KnownBalancer | (string & {});
  /** Longest wait, in seconds, for the server to close an idle connection (default 120). */
  readonly maxWaitS?: number;
  /** Per-request timeout in milliseconds (default 5000). */
  readonly requestTimeoutMs?: number;
  /** Pid of the local server process: the doctor sends it SIGTERM and watches the drain. */
  readonly pid?: number;
  /** The balancer's probe interval in seconds: readiness must fail within it after SIGTERM (default 5). */
  readonly probeIntervalS?: number;
  /** Longest wait, in seconds, for the drain to close the listener and exit (default 60). */
  readonly drainTimeoutS?: number;
  /** Progress lines (the idle wait, the drain), for stderr. */
  readonly onProgress?: (line: string) => void;
}
