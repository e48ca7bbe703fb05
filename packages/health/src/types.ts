// Public types of @lbkit/health: checks, options, reports and the Health object.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Lifecycle } from '@lbkit/core';

/**
 * Every `code` of the `LbkitError`s @lbkit/health raises (see the README's error codes table).
 * All are raised at startup, by `createHealth()` or a built-in check factory, except
 * `LBKIT_HEALTH_PROBE_UNKNOWN`, which `Health.report()` rejects with for a probe it does not have,
 * `LBKIT_HEALTH_WARMUP_TARGET_MISSING`, which `Health.warmUp()` throws when routes have no server, and
 * the two warm-up warnings (`LBKIT_HEALTH_WARMUP_OVER_BUDGET`, `LBKIT_HEALTH_WARMUP_TASK_FAILED`),
 * emitted as process warnings with their code, never thrown.
 */
export type HealthErrorCode =
  | 'LBKIT_HEALTH_OPTION_UNKNOWN'
  | 'LBKIT_HEALTH_OPTION_INVALID'
  | 'LBKIT_HEALTH_FACTORY_NOT_CALLED'
  | 'LBKIT_HEALTH_PATH_INVALID'
  | 'LBKIT_HEALTH_NETWORK_INVALID'
  | 'LBKIT_HEALTH_TOKEN_WEAK'
  | 'LBKIT_HEALTH_CHECK_INVALID'
  | 'LBKIT_HEALTH_CHECK_NAME_INVALID'
  | 'LBKIT_HEALTH_CHECK_DUPLICATE'
  | 'LBKIT_HEALTH_CLIENT_UNRECOGNIZED'
  | 'LBKIT_HEALTH_PROBE_UNKNOWN'
  | 'LBKIT_HEALTH_WARMUP_TARGET_MISSING'
  | 'LBKIT_HEALTH_WARMUP_OVER_BUDGET'
  | 'LBKIT_HEALTH_WARMUP_TASK_FAILED';

/** Status of a check or of a whole probe, as draft-inadarei-api-health-check-06 names them. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/**
 * The three probes a balancer or orchestrator asks:
 * - `startup`: has the instance finished starting (lifecycle left `starting`, startup checks pass);
 * - `readiness`: should it receive traffic now (lifecycle `ready`, no critical check failing);
 * - `liveness`: is the process responsive at all (never depends on dependencies or draining).
 */
export type Probe = 'startup' | 'readiness' | 'liveness';

/**
 * A probe as the routes, `report()` and `answer()` name it: one of the three standard probes, or the
 * path of a named probe from the `probes` option (`/health/db`).
 */
export type ProbeName = Probe | `/${string}`;

/**
 * What a check may resolve to when it wants to say more than pass/fail. `observedValue`,
 * `observedUnit` and `output` appear only in the detailed form of a report; `output` is meant for
 * error text and is never shown to public callers.
 */
export interface CheckResult {
  /** `pass`, `warn` (degraded: HTTP stays 200) or `fail`. */
  readonly status: HealthStatus;
  /** What was measured, for example a response time or a ratio. Must be JSON-serialisable. */
  readonly observedValue?: unknown;
  /** Unit of `observedValue`, for example `ms`, `percent`, `bytes`. */
  readonly observedUnit?: string;
  /** Human-readable detail, usually the error for `warn`/`fail`. Truncated to 512 characters. */
  readonly output?: string;
}

/**
 * A user check. Resolving to `true`, `undefined` or a {@link CheckResult} with `pass` passes;
 * resolving to `false` or throwing fails (the error message becomes `output` in the detailed form).
 * `signal` aborts when the check's timeout elapses or the health object closes: pass it to the
 * driver when it accepts one, so a hung call is abandoned instead of piling up. Synchronous
 * functions are accepted too.
 */
export type CheckFunction = (
  signal: AbortSignal,
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` lets `async () => { await ping(); }` be a check.
) => Promise<CheckResult | boolean | void> | CheckResult | boolean | undefined;

/** Settings shared by every check, built-in or not. */
export interface CheckOptions {
  /**
   * Key of the check in the report: `component` or `component:measurement`, 1–64 characters of
   * `A-Z a-z 0-9 . _ -` on each side of the colon. Built-in checks have defaults such as
   * `redis:responseTime`.
   */
  readonly name?: string;
  /**
   * When true (the default for dependency and user checks) a failure fails readiness (HTTP 503);
   * when false a failure only degrades the status to `warn` (HTTP 200). Resource checks (heap,
   * RSS, event-loop delay) default to false.
   */
  readonly critical?: boolean;
  /** A run still unsettled after this many milliseconds fails with a timeout. Default: the health object's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** How long a result is reused before the check runs again. Default: the health object's `cacheMs`. */
  readonly cacheMs?: number;
  /** When true the check also gates the startup probe (it always takes part in readiness). Default false. */
  readonly startup?: boolean;
  /** `componentType` in the report: `datastore`, `system`, `component` or any string. */
  readonly componentType?: string;
}

/** A check in object form: a {@link CheckFunction} plus its settings. Built-in check factories return these. */
export interface HealthCheck extends CheckOptions {
  /** Key of the check in the report (see {@link CheckOptions.name}). */
  readonly name: string;
  /** The check itself. */
  readonly check: CheckFunction;
  /** Releases what the check holds (for example the event-loop monitor); called by `Health.close()`. */
  readonly close?: () => void | Promise<void>;
}

/** What `checks` accepts: a check object, or a named function (its `name` becomes the key). */
export type HealthCheckInput = HealthCheck | CheckFunction;

/** Paths the probes answer on; `false` disables a route. */
export interface HealthPaths {
  /** Liveness probe. Default `/health/live`. */
  readonly liveness?: string | false;
  /** Readiness probe. Default `/health/ready`. */
  readonly readiness?: string | false;
  /** Startup probe. Default `/health/startup`. */
  readonly startup?: string | false;
  /** The full readiness report (same status as readiness). Default `/health`. */
  readonly health?: string | false;
}

/** Options of {@link Health} (`createHealth`, Express `healthcheck()`, Fastify `healthPlugin`). */
export interface HealthOptions {
  /** The lifecycle the probes read. Default: `defaultLifecycle()` from @lbkit/core. */
  readonly lifecycle?: Lifecycle;
  /**
   * Checks run for readiness (and for startup when flagged `startup`). An array of check objects or
   * named functions, or a record whose keys become the names.
   */
  readonly checks?: readonly HealthCheckInput[] | Readonly<Record<string, HealthCheckInput>>;
  /** Default per-check timeout in milliseconds. Default 1000. Keep it below the balancer's probe timeout. */
  readonly timeoutMs?: number;
  /** Default time a check result is reused, in milliseconds. Default 1000; 0 disables caching (runs stay single-flight). */
  readonly cacheMs?: number;
  /**
   * When set, every check runs in the background every `intervalMs` milliseconds (first run at once)
   * and probes answer from the latest results without waiting. Default: off.
   */
  readonly intervalMs?: number;
  /** Where the probes answer. */
  readonly paths?: HealthPaths;
  /**
   * Peers (socket address, not forwarded headers) that get the detailed report: CIDRs (`10.0.0.0/8`,
   * `fd00::/8`), single addresses, or the names `loopback` and `private`. Default: none.
   */
  readonly trustedNetworks?: readonly string[];
  /** A secret (at least 16 characters) that unlocks the detailed report when sent in `tokenHeader`. Compared in constant time. */
  readonly token?: string;
  /** Header carrying `token`. Default `x-health-token`. */
  readonly tokenHeader?: string;
  /** Custom rule for the detailed report, consulted after `trustedNetworks` and `token` (for example with @lbkit/client-ip). */
  readonly allowDetails?: (req: IncomingMessage) => boolean;
  /** `serviceId` in the detailed report. */
  readonly serviceId?: string;
  /** `description` in the detailed report. */
  readonly description?: string;
  /** `version` in the detailed report. */
  readonly version?: string;
  /** `releaseId` in the detailed report. */
  readonly releaseId?: string;
  /**
   * Named probe routes beside the standard ones, each with its own checks (terminus's
   * `healthChecks: { '/db': fn }`): path → a check function or an array of checks. A named probe
   * fails, like readiness, while the instance is not `ready`; its checks take no part in readiness.
   */
  readonly probes?: Readonly<Record<string, CheckFunction | readonly HealthCheckInput[]>>;
  /** HTTP status per overall status. Default `{ pass: 200, warn: 200, fail: 503 }`. */
  readonly statusCodes?: HealthStatusCodes;
  /**
   * Shapes the body of every answer, for balancers and dashboards that expect something else. It
   * receives the report the caller may see (terse `{ status }` for public callers); a string or Buffer
   * is sent as it is (`text/plain`), anything else as JSON (`application/json`). A hook that throws
   * answers the standard body. Default: none (the terse or detailed application/health+json report).
   */
  readonly body?: (context: HealthBodyContext) => unknown;
  /**
   * Called once per change of state of a check, not on every probe: when it starts failing (or
   * warning), and when it passes again. Errors thrown by the hook are ignored.
   */
  readonly onCheckChange?: (change: CheckChange) => void;
  /**
   * Called before each failing answer while the instance is `draining` or `stopped` (terminus's
   * `onSendFailureDuringShutdown`). Not awaited; errors thrown (or rejected) by it are ignored.
   */
  readonly onFailureDuringShutdown?: (event: ShutdownFailureEvent) => void;
  /**
   * Work done before the instance takes traffic (prime pools, request the app's own routes): from
   * `createHealth()` on, the lifecycle's `markReady()` is deferred (`lifecycle.holdReady`) and the
   * startup and readiness probes fail until `Health.warmUp()` has finished or its budget is spent.
   * Default: none.
   */
  readonly warmUp?: WarmUpOptions;
}

/**
 * One warm-up task. `signal` aborts when the budget is spent or the health object closes; the
 * value is ignored, a throw (or rejection) is reported as a `warn` and never fails the instance.
 */
export type WarmUpTask = (signal: AbortSignal) => unknown;

/** The `warmUp` option of {@link HealthOptions}. */
export interface WarmUpOptions {
  /** Functions run in parallel once `warmUp()` is called; a record's keys name them, else the function's name. */
  readonly tasks?: readonly WarmUpTask[] | Readonly<Record<string, WarmUpTask>>;
  /**
   * Paths (with a query if needed) the instance requests of itself over loopback once its server
   * listens, for example `['/hello', '/products?page=1']`: every route in parallel, each `repeat`
   * times one after the other. An answer of 500 or more, or no answer, is reported as a `warn`.
   */
  readonly routes?: readonly string[];
  /** Requests per route. Default 1. */
  readonly repeat?: number;
  /** Headers sent with every self-request (an API key, `accept`). `user-agent` is `lbkit-warm-up` unless given. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Time allowed for the whole warm-up, from `warmUp()`; over it the instance becomes ready with a `warn`. Default 10000. */
  readonly budgetMs?: number;
}

/**
 * Where `Health.warmUp()` sends the self-requests of `routes`: the app's node:http or node:https
 * server (waited for until it listens; `0.0.0.0` and `::` are reached on loopback), or its origin
 * as a URL (`http://127.0.0.1:3000`).
 */
export type WarmUpTarget = import('node:net').Server | string | URL;

/** How a warm-up ended, as `Health.warmUp()` resolves. */
export interface WarmUpOutcome {
  /** `pass`, or `warn` when over budget or a task or route failed; readiness carries it. */
  readonly status: 'pass' | 'warn';
  /** Milliseconds from `warmUp()` to the end (the budget when over it). */
  readonly durationMs: number;
  /** Whether the budget ran out first. */
  readonly overBudget: boolean;
  /** Tasks and routes (`GET /hello`) that failed, with their error: for logs, never shown to public callers. */
  readonly failures: readonly { readonly name: string; readonly error: string }[];
  /** Tasks and routes still running when the budget ran out (their signal was aborted). */
  readonly unfinished: readonly string[];
}

/** The `statusCodes` option: `pass` and `warn` from 200 to 399, `fail` from 400 to 599. */
export interface HealthStatusCodes {
  /** Default 200. */
  readonly pass?: number;
  /** Default 200. */
  readonly warn?: number;
  /** Default 503. */
  readonly fail?: number;
}

/** What the `body` hook receives. */
export interface HealthBodyContext {
  /** The probe answered. */
  readonly probe: ProbeName;
  /** The report the caller may see: `{ status }` only unless `detailed`. */
  readonly report: HealthReport;
  /** Whether the caller may see the detailed report. */
  readonly detailed: boolean;
  /** The request (for example to answer what a dashboard asks for). */
  readonly req: IncomingMessage;
}

/** What the `onCheckChange` hook receives. */
export interface CheckChange {
  /** Key of the check in the report. */
  readonly name: string;
  /** Its new status. */
  readonly status: HealthStatus;
  /** Its status before, or undefined for its first run. */
  readonly previous: HealthStatus | undefined;
  /** Whether a failure fails the probe. */
  readonly critical: boolean;
  /** The error or explanation, for `warn` and `fail`. */
  readonly output: string | undefined;
  /** How long the run took in milliseconds. */
  readonly durationMs: number;
}

/** What the `onFailureDuringShutdown` hook receives. */
export interface ShutdownFailureEvent {
  /** The probe that answers failure. */
  readonly probe: ProbeName;
  /** `draining` or `stopped`. */
  readonly state: 'draining' | 'stopped';
  /** The request being answered. */
  readonly req: IncomingMessage;
}

/** One entry of a report's `checks` arrays. */
export interface CheckReport {
  /** `datastore`, `system`, `component`, … */
  readonly componentType?: string;
  /** What was measured. */
  readonly observedValue?: unknown;
  /** Unit of `observedValue`. */
  readonly observedUnit?: string;
  /** Status of this check. A failing non-critical check shows `fail` here while the probe says `warn`. */
  readonly status: HealthStatus;
  /** ISO 8601 time the result was taken (older than the response when it came from the cache). */
  readonly time: string;
  /** Error or explanation, for `warn` and `fail`. */
  readonly output?: string;
}

/**
 * A probe's answer, shaped as draft-inadarei-api-health-check-06 says. The terse (public) form has
 * `status` only.
 */
export interface HealthReport {
  /** Overall status: `fail` answers HTTP 503, `pass` and `warn` answer 200. */
  readonly status: HealthStatus;
  /** From the options. */
  readonly version?: string;
  /** From the options. */
  readonly releaseId?: string;
  /** From the options. */
  readonly serviceId?: string;
  /** From the options. */
  readonly description?: string;
  /** Why the probe fails when the lifecycle is the reason (`starting`, `draining`, …). */
  readonly output?: string;
  /** Results keyed `component:measurement`, each an array of one result per node (lbkit reports one). */
  readonly checks?: Readonly<Record<string, readonly CheckReport[]>>;
}

/** A probe's HTTP answer, ready to write: shared and frozen for the terse form. */
export interface HealthResponse {
  /** 200 for `pass`/`warn`, 503 for `fail`, or what `statusCodes` says. */
  readonly statusCode: number;
  /** Overall status. */
  readonly status: HealthStatus;
  /**
   * `content-type: application/health+json`, `cache-control` and `content-length`; `retry-after`
   * on a failing readiness (the time left while draining, the cache period while checks fail).
   */
  readonly headers: Readonly<OutgoingHttpHeaders>;
  /** The JSON body (send nothing for HEAD, keep the headers). */
  readonly body: Buffer;
}

/** The probes of one instance, created by `createHealth(options)`. */
export interface Health {
  /** The lifecycle the probes read. */
  readonly lifecycle: Lifecycle;
  /** Path → probe for every enabled route, named probes included (the framework adapters register these). */
  readonly routes: ReadonlyMap<string, ProbeName>;
  /** Runs (or reads from the cache) what `probe` needs and returns the report. `detailed` defaults to true. */
  report(probe: ProbeName, options?: { detailed?: boolean }): Promise<HealthReport>;
  /** Whether `req` may see the detailed form (trusted network, token or `allowDetails`). */
  allowsDetails(req: IncomingMessage): boolean;
  /**
   * The HTTP answer to `probe` for `req`: terse or detailed as `req` is allowed. Synchronous when
   * every needed result is cached, a promise otherwise; never rejects.
   */
  answer(probe: ProbeName, req: IncomingMessage): HealthResponse | Promise<HealthResponse>;
  /** Writes the answer to `probe` on `res` (no body for HEAD). */
  respond(probe: ProbeName, req: IncomingMessage, res: ServerResponse): void;
  /**
   * A node:http request handler: answers the configured paths (GET and HEAD; 405 for other methods)
   * and returns true, or returns false and leaves other requests alone.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * The latest result of every check that has run at least once, without running anything: for
   * metrics. Order is the order of `checks`, then the named probes' checks.
   */
  latestResults(): readonly CheckRunResult[];
  /**
   * Runs the `warmUp` option's tasks and self-requests (once: later calls return the same promise),
   * then lets the lifecycle become ready, with a `warn` in readiness when over budget or something
   * failed. `target` is needed when `routes` are given (the Fastify plugin passes its server on
   * listen). Resolves at once with `pass` when no warm-up is configured; rejects only with
   * `LBKIT_HEALTH_WARMUP_TARGET_MISSING` (routes and no target), a failing task is a `warn`.
   */
  warmUp(target?: WarmUpTarget): Promise<WarmUpOutcome>;
  /** Stops background polling, aborts running checks and closes the checks' resources. Readiness (and a startup that has not succeeded yet) fails afterwards. */
  close(): Promise<void>;
}

/** The latest run of one check, as `Health.latestResults()` returns it. */
export interface CheckRunResult {
  /** Key of the check in the report. */
  readonly name: string;
  /** Whether a failure fails readiness. */
  readonly critical: boolean;
  /** Status of the check itself (a failing non-critical check says `fail` here). */
  readonly status: HealthStatus;
  /** How long the run took in milliseconds (its timeout when it timed out). */
  readonly durationMs: number;
  /** ISO 8601 time the result was taken. */
  readonly time: string;
}

/** Options of `redisCheck`. */
export interface RedisCheckOptions extends CheckOptions {
  /**
   * Which client API the client speaks. Default: detected from the instance — ioredis and
   * iovalkey clients (`Redis` and `Cluster`) extend their `Commander` class and carry own `status`
   * (string) and `isCluster` (boolean) properties; node-redis v4/v5 clients are instances of its
   * `RedisClient`/`RedisCluster` classes with a boolean `isOpen`. Pass `kind` when wrapping a
   * client so that detection cannot see it.
   */
  readonly kind?: 'ioredis' | 'node-redis';
}

/** Options of `postgresCheck`. */
export interface PostgresCheckOptions extends CheckOptions {
  /** Query to run. Default `SELECT 1`. */
  readonly query?: string;
}

/** Options of `mysqlCheck`. */
export interface MysqlCheckOptions extends CheckOptions {
  /** Query to run. Default `SELECT 1`. */
  readonly query?: string;
}

/** Options of `mongodbCheck`. */
export type MongodbCheckOptions = CheckOptions;

/** Options of `heapCheck`: thresholds on heap used ÷ heap size limit (`v8.getHeapStatistics()`). */
export interface HeapCheckOptions extends CheckOptions {
  /** Fail above this ratio (0–1). Default 0.9. */
  readonly maxRatio?: number;
  /** Warn above this ratio (0–1). Default: no warning level. */
  readonly warnRatio?: number;
}

/** Options of `rssCheck`: thresholds on the resident set size. */
export interface RssCheckOptions extends CheckOptions {
  /**
   * Fail above this many bytes. Default: 90% of `process.constrainedMemory()` when the process runs
   * under a memory limit (cgroup), otherwise no limit (the check reports the value and passes).
   */
  readonly maxBytes?: number;
  /** Warn above this many bytes. Default: no warning level. */
  readonly warnBytes?: number;
}

/** Options of `eventLoopDelayCheck`: thresholds on the event-loop delay since the previous run. */
export interface EventLoopDelayCheckOptions extends CheckOptions {
  /** Fail when the delay percentile exceeds this many milliseconds. Default 500. */
  readonly maxMs?: number;
  /** Warn when it exceeds this many milliseconds. Default: no warning level. */
  readonly warnMs?: number;
  /** Which percentile of the delays is compared (1–100). Default 99. */
  readonly percentile?: number;
  /** Sampling interval of the monitor in milliseconds. Default 20. */
  readonly resolutionMs?: number;
}
