// Public types of @lbkit/balancer-feedback.
import type { AddressInfo } from 'node:net';
import type { Lifecycle, LifecycleState } from '@lbkit/core';

/** Every `code` of the `LbkitError`s @lbkit/balancer-feedback raises (see the README's error codes table). */
export type FeedbackErrorCode =
  | 'LBKIT_FEEDBACK_OPTION_UNKNOWN'
  | 'LBKIT_FEEDBACK_OPTION_INVALID'
  | 'LBKIT_FEEDBACK_FACTORY_NOT_CALLED'
  | 'LBKIT_FEEDBACK_PORT_INVALID'
  | 'LBKIT_FEEDBACK_WEIGHT_INVALID'
  | 'LBKIT_FEEDBACK_LIMIT_INVALID'
  | 'LBKIT_FEEDBACK_LIMIT_CONFLICT'
  | 'LBKIT_FEEDBACK_SHEDDER_INVALID'
  | 'LBKIT_FEEDBACK_LISTEN_FAILED'
  | 'LBKIT_FEEDBACK_AGENT_CHECK_CLOSED';

/**
 * The parts of a load shedder that feedback reads: `LoadShedder` from @lbkit/shedding fits as it is.
 * Load is `inFlight + queued` against `limit`.
 */
export interface ShedderLoad {
  /** The concurrency limit in force. */
  readonly limit: number;
  /** Requests holding a slot under the limit. */
  readonly inFlight: number;
  /** Requests waiting in the admission queue. */
  readonly queued: number;
}

/** Where the load figures come from. Shared by the agent-check responder and the load report. */
export interface LoadOptions {
  /** The lifecycle whose state is reported and whose in-flight tracker is read. Default `defaultLifecycle()`. */
  readonly lifecycle?: Lifecycle;
  /**
   * The concurrency limit that load is measured against, when no `shedder` is given: a number, or a
   * function read at every report (for a limit that changes). Without a limit or a shedder, the
   * instance reports its state only and full weight.
   */
  readonly concurrencyLimit?: number | (() => number);
  /**
   * A load shedder (`LoadShedder` from @lbkit/shedding): its limit, its slots in flight and its
   * queue are the load. Exclusive with `concurrencyLimit`.
   */
  readonly shedder?: ShedderLoad;
}

/** One reading of the instance's load. */
export interface LoadReading {
  /** The lifecycle state. */
  readonly state: LifecycleState;
  /** Requests in flight: the shedder's slots when a shedder is given, else the lifecycle's tracker. */
  readonly inFlight: number;
  /** Requests waiting in the shedder's queue (0 without a shedder). */
  readonly queued: number;
  /** The concurrency limit, when one is known. */
  readonly limit: number | undefined;
  /** `(inFlight + queued) / limit`, 0 when no limit is known; may exceed 1 when work queues. */
  readonly utilization: number;
}

/**
 * Slow start, app-side: for `slowStartMs` after the instance becomes ready, the weight it reports
 * ramps from `slowStartFloor` to full, `floor + (1 − floor) × (t / window)^(1 / aggression)`, so a
 * new instance (cold caches, JIT, pools) gets a growing share of new requests instead of a full
 * share at once. Taken by `createAgentCheck()` and `createLoadReport()`.
 */
export interface SlowStartOptions {
  /** The ramp's length in milliseconds from the moment the lifecycle becomes ready. Default 0: no ramp. */
  readonly slowStartMs?: number;
  /** The share of its weight the instance reports when it becomes ready (0.01–1). Default 0.1. */
  readonly slowStartFloor?: number;
  /**
   * The ramp's shape, as Envoy's `slow_start_config.aggression` (0.1–10): 1 is linear, above 1
   * climbs early and flattens, below 1 stays low and climbs late. Default 1.
   */
  readonly slowStartAggression?: number;
}

/** Options of `createAgentCheck()`. */
export interface AgentCheckOptions extends LoadOptions, SlowStartOptions {
  /** TCP port HAProxy's `agent-port` points to; 0 picks a free one. */
  readonly port: number;
  /**
   * Address to listen on. Default `127.0.0.1`: set the address HAProxy reaches the instance on (or
   * `0.0.0.0`) when the balancer runs on another host.
   */
  readonly host?: string;
  /**
   * Weight reported while the instance is overloaded, in percent of the weight configured in
   * HAProxy (1–100). Default 1: an overloaded instance gets a trickle, not nothing, so a pool that
   * is overloaded everywhere still serves. `0%` would mean drain, which `draining` reports.
   */
  readonly minWeightPercent?: number;
  /** A connection that has not closed after this many milliseconds is destroyed. Default 2000. */
  readonly socketTimeoutMs?: number;
  /** Connections answered at once; more are refused by the kernel backlog. Default 64. */
  readonly maxConnections?: number;
}

/** The HAProxy agent-check responder made by `createAgentCheck()`. */
export interface AgentCheck {
  /**
   * Starts listening. Resolves with the bound address; rejects with `LBKIT_FEEDBACK_LISTEN_FAILED`
   * when the port cannot be bound. The listener is `unref()`'d: it never keeps the process alive.
   */
  listen(): Promise<AddressInfo>;
  /** The bound address once listening, else undefined. */
  readonly address: AddressInfo | undefined;
  /**
   * The line the agent answers now (without the newline): `up ready 80%`, `drain`,
   * `down #starting`, `maint #stopped`.
   */
  reply(): string;
  /** The load figures behind the reply. */
  read(): LoadReading;
  /** Stops listening and closes open agent connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * An ORCA load report, as the `OrcaLoadReport` message of cncf/xds names its fields. Utilisation
 * values are fractions (0.5 is 50%).
 */
export interface OrcaReport {
  /** Application-defined utilisation: here load against the concurrency limit. */
  readonly applicationUtilization?: number;
  /** Process CPU time over wall time, divided by the CPUs available. */
  readonly cpuUtilization?: number;
  /** Resident set size over the memory available (the cgroup limit, else the host's memory). */
  readonly memUtilization?: number;
  /** Requests per second. */
  readonly rpsFractional?: number;
  /** Errors per second. */
  readonly eps?: number;
  /** Application-specific figures, `named_metrics.<name>` on the wire. */
  readonly namedMetrics?: Readonly<Record<string, number>>;
}

/** Options of `createLoadReport()`. */
export interface LoadReportOptions extends LoadOptions, SlowStartOptions {
  /**
   * Add `cpu_utilization` and `mem_utilization` (process CPU over the CPUs available, RSS over the
   * memory available), sampled at most every `sampleMs`. Default true.
   */
  readonly processUsage?: boolean;
  /** Shortest interval between two CPU samples, in milliseconds. Default 1000. */
  readonly sampleMs?: number;
  /**
   * More named metrics, read at every report. Names: 1–64 characters of `A-Z a-z 0-9 _ - .`;
   * values: finite and ≥ 0 (what Envoy accepts). Invalid entries are left out.
   */
  readonly namedMetrics?: () => Readonly<Record<string, number>>;
}

/** The ORCA load reporter made by `createLoadReport()`. */
export interface LoadReport {
  /** The report as it stands now. */
  report(): OrcaReport;
  /** The `endpoint-load-metrics` header value now, in the TEXT form. */
  headerValue(): string;
  /** Sets the `endpoint-load-metrics` header on a response that has not sent its headers yet. */
  setHeader(res: { setHeader(name: string, value: string): unknown; readonly headersSent: boolean }): void;
}
