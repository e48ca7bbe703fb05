// Types of rolling-restart.mjs for the TypeScript e2e test.

/** The built Express demo app. */
export const DEMO_APP: string;

/** Absolute path of a binary on the PATH or in the sbin folders, or undefined. */
export function binary(name: string): string | undefined;

/** Counts of one rolling restart. */
export interface RollingRestartResult {
  readonly balancer: 'haproxy' | 'nginx';
  readonly requests: number;
  /** Non-2xx answers and connection errors seen by the clients. */
  readonly failed: number;
  /** Failures by `op: status or error code`. */
  readonly failures: Record<string, number>;
  /** The first few failures with their messages. */
  readonly samples: readonly string[];
  readonly byOp: Record<string, number>;
  /** Acknowledged session writes (POST /session/:key and GET /session). */
  readonly sessionWrites: number;
  /** Acknowledged writes missing from the sessions at the end. */
  readonly lostWrites: number;
  /** Session increments applied twice: a request the balancer retried after the first attempt had run. */
  readonly duplicateWrites: number;
  /** Exit codes of the three stopped instances (the signal's name for one that re-raised it). */
  readonly exitCodes: readonly (number | string | null)[];
  readonly durationMs: number;
}

/** Restarts three instances of `app` one by one behind a real balancer under keep-alive load. */
export function rollingRestart(options: {
  balancer: 'haproxy' | 'nginx';
  app?: string;
  env?: Record<string, string>;
  users?: number;
  warmupMs?: number;
  log?: (line: string) => void;
}): Promise<RollingRestartResult>;
