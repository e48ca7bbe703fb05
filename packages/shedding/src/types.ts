// Public types of @lbkit/shedding.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Lifecycle } from '@lbkit/core';

/**
 * Every code @lbkit/shedding uses. The `LbkitError`s are raised when the shedder or the check is
 * created, never per request. Three are not misconfiguration: `LBKIT_SHEDDING_REQUEST_SHED` is the
 * code of the {@link ShedErrorLike} a shed request is handed to the framework's error handler with
 * (`rejectWith: 'error'`); `LBKIT_SHEDDING_ON_REJECT_FAILED` and `LBKIT_SHEDDING_PRESSURE_FAILED`
 * are process warnings, emitted once, when `onReject` or the `underPressure` source throws. See the
 * README's "Error codes".
 */
export type SheddingErrorCode =
  | 'LBKIT_SHEDDING_REQUEST_SHED'
  | 'LBKIT_SHEDDING_ON_REJECT_FAILED'
  | 'LBKIT_SHEDDING_PRESSURE_FAILED'
  | 'LBKIT_SHEDDING_OPTION_UNKNOWN'
  | 'LBKIT_SHEDDING_OPTION_INVALID'
  | 'LBKIT_SHEDDING_FACTORY_NOT_CALLED'
  | 'LBKIT_SHEDDING_LIMIT_INVALID'
  | 'LBKIT_SHEDDING_QUEUE_INVALID'
  | 'LBKIT_SHEDDING_THRESHOLD_INVALID'
  | 'LBKIT_SHEDDING_RETRY_AFTER_INVALID';

/**
 * How important a request is when the instance is overloaded:
 * - `critical`: always admitted (still counted and measured); shed only once the lifecycle is `stopped`;
 * - `default`: admitted under the concurrency limit, queued behind it, shed when the queue says so;
 * - `sheddable`: served after `default` requests and shed first, as soon as the queue is overloaded.
 */
export type Priority = 'critical' | 'default' | 'sheddable';

/** A monotonic clock in milliseconds (default `performance.now`); tests inject a simulated one. */
export type Clock = () => number;

/** Puts a request into a {@link Priority}. Runs before the body is read, so use the method, URL and headers only. */
export type Classifier = (req: IncomingMessage) => Priority;

/**
 * Settings of the adaptive concurrency limit (a gradient controller in the style of Netflix's
 * concurrency-limits and Envoy's adaptive concurrency filter).
 */
export interface AdaptiveLimitOptions {
  /** Limit once the first window of samples has been seen (before that nothing is limited). Default 20. */
  readonly initial?: number;
  /** The limit never goes below this. Default 1. */
  readonly min?: number;
  /** The limit never goes above this. Default 1000. */
  readonly max?: number;
  /**
   * Median service time of a window (from admission to the end of the response) divided by its
   * long-term baseline, above which the instance counts as saturated and the limit is cut
   * multiplicatively (when the excess also exceeds `toleranceMs`). Default 1.5.
   */
  readonly tolerance?: number;
  /**
   * Queueing delay always tolerated, in milliseconds, like CoDel's target: the instance counts as
   * saturated when requests wait longer than this for the event loop (median of a window), or when
   * service time exceeds its baseline by more than both this and (`tolerance` − 1) × baseline. A
   * standing queue of a few milliseconds keeps a CPU-bound instance busy and costs nobody much.
   * Default 5.
   */
  readonly toleranceMs?: number;
  /**
   * The limit grows (by √limit, doubling in slow start) only while the median service time stays
   * below this ratio of the baseline (or within half of `toleranceMs` of it) and the median wait
   * below half of `toleranceMs`. Default 1.25.
   */
  readonly growBelow?: number;
  /** Length of one measurement window in milliseconds. Default 100. */
  readonly windowMs?: number;
  /** Latency samples a window needs before the controller acts on it. Default 10. */
  readonly minSamples?: number;
  /**
   * Standing event-loop delay (the low percentile of the sampling intervals of one window, see
   * {@link SignalOptions.eventLoopDelayPercentile}) above which the instance counts as saturated
   * whatever the latency says. Default 10 ms.
   */
  readonly saturatedDelayMs?: number;
  /**
   * When service time above its baseline counts as saturation:
   * - `'when-busy'` (default): only while the event loop also shows queueing (median wait above
   *   half of `toleranceMs`, or a standing loop delay above half of `saturatedDelayMs`). Requests
   *   that are slow because they wait on I/O (a slow route, a slow dependency, a changed mix of
   *   routes) do not shed anything while the instance itself has room;
   * - `'always'`: Gradient-style, also when the loop is idle, to protect one downstream dependency
   *   that slows down as the instance sends it more (uniform requests to one backend).
   */
  readonly latencySignal?: 'when-busy' | 'always';
}

/** The CoDel-style admission queue in front of the concurrency limit. */
export interface QueueOptions {
  /**
   * Once the oldest queued request has been waiting longer than this for a whole `intervalMs`,
   * the queue is overloaded: it serves the newest request first (LIFO) and sheds requests that
   * waited longer than this. Default 5 ms.
   */
  readonly targetMs?: number;
  /**
   * How long the oldest request may stay above `targetMs` before the queue counts as overloaded;
   * also the longest wait while it is not. Default 100 ms.
   */
  readonly intervalMs?: number;
  /** At most this many requests wait; a request arriving at a full queue evicts the oldest one. Default 1000. */
  readonly maxLength?: number;
}

/** How the overload signals are sampled. */
export interface SignalOptions {
  /** Sampling interval in milliseconds (the timer is `unref()`'d). Default 100. */
  readonly intervalMs?: number;
  /**
   * Which percentile of the event-loop delays of one interval is the standing-queue reading (1–100).
   * A low percentile ignores a single GC pause or slow tick; 0 takes the minimum. Default 10.
   */
  readonly eventLoopDelayPercentile?: number;
  /** Resolution of `perf_hooks.monitorEventLoopDelay` in milliseconds. Default 10. */
  readonly resolutionMs?: number;
}

/**
 * A static backstop threshold. A number trips above that value and clears below 90% of it; an
 * object gives both edges (`low` < `high`) for wider hysteresis.
 */
export type Threshold = number | { readonly high: number; readonly low: number };

/** A backstop: one of the static thresholds, or the custom pressure source (`underPressure`). */
export type Backstop = keyof BackstopThresholds | 'underPressure';

/**
 * Static thresholds, checked on every sampling interval. While one is tripped every request that
 * is not `critical` is shed with reason `backstop`. None is set by default: they are backstops for
 * failure modes the adaptive limit cannot see (memory growth, a loop blocked outside requests).
 */
export interface BackstopThresholds {
  /** Standing event-loop delay in milliseconds (the percentile of {@link SignalOptions}). */
  readonly eventLoopDelayMs?: Threshold;
  /** Event-loop utilisation over the last interval, between 0 and 1. */
  readonly eventLoopUtilization?: Threshold;
  /** `process.memoryUsage().heapUsed` in bytes. */
  readonly heapUsedBytes?: Threshold;
  /** Resident set size in bytes. */
  readonly rssBytes?: Threshold;
}

/** The `Retry-After` header of rejections, in whole seconds. */
export interface RetryAfterOptions {
  /** Lower bound. Default 1. */
  readonly minSeconds?: number;
  /** Upper bound. Default 30. */
  readonly maxSeconds?: number;
  /** The estimated time to drain is multiplied by a random factor in [1, 1 + jitter). Default 0.5. */
  readonly jitter?: number;
}

/**
 * Why a request was shed:
 * - `stopped`: the lifecycle is `stopped`;
 * - `backstop`: a static threshold is tripped;
 * - `overloaded`: no slot under the limit and either no queue is configured or the request is
 *   `sheddable` while the queue is overloaded;
 * - `queue-timeout`: it waited in the queue longer than the queue allows right now;
 * - `queue-full`: it was the oldest waiting request when the queue overflowed.
 */
export type RejectionReason = 'stopped' | 'backstop' | 'overloaded' | 'queue-timeout' | 'queue-full';

/** A rejection about to be written: the default response, which a custom {@link RejectHandler} may use or ignore. */
export interface Rejection {
  /** Why the request is shed. */
  readonly reason: RejectionReason;
  /** Its priority. */
  readonly priority: Priority;
  /** Always 503. */
  readonly statusCode: 503;
  /** Jittered seconds until a retry is likely to succeed, also in `headers['retry-after']`. */
  readonly retryAfterSeconds: number;
  /** `content-type`, `content-length`, `retry-after` and `cache-control` of the default response. */
  readonly headers: Readonly<OutgoingHttpHeaders>;
  /** The default body: small JSON or text, depending on the `format` option. */
  readonly body: Buffer;
}

/**
 * Writes a custom response for a shed request on `res`; it may be async. When it returns (or its
 * promise settles) without having answered, the default rejection is written; when it has not
 * answered within a second, too. When it throws (or its promise rejects) the request is answered
 * `500` and the error is emitted once as a process warning: the process carries on.
 */
export type RejectHandler = (rejection: Rejection, req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * The error a shed request is handed to the framework's error handler with (`rejectWith: 'error'`):
 * Express's `next(error)`, Fastify's error handler. Both frameworks answer with its `statusCode` and
 * set its `headers` (`Retry-After`).
 */
export interface ShedErrorLike extends Error {
  /** Always `LBKIT_SHEDDING_REQUEST_SHED`. */
  readonly code: 'LBKIT_SHEDDING_REQUEST_SHED';
  /** Always 503. */
  readonly statusCode: 503;
  /** `retry-after` of the rejection. */
  readonly headers: Readonly<Record<string, string>>;
  /** The rejection it stands for. */
  readonly rejection: Rejection;
}

/**
 * How a framework adapter answers a shed request in its framework's way; `LoadShedder.admit()`
 * decides which of these is used (the one reject decision). Every member is optional: without one,
 * the shedder writes on the raw response itself.
 */
export interface RejectionChannel {
  /** Sends the default rejection through the framework (Fastify: `reply`, so `onSend` hooks run). */
  readonly send?: (rejection: Rejection) => void;
  /** Hands a {@link ShedErrorLike} to the framework's error handling (`rejectWith: 'error'`). */
  readonly fail?: (error: ShedErrorLike) => void;
  /** Called before `onReject` writes to the raw response (Fastify: `reply.hijack()`). */
  readonly release?: () => void;
}

/** What a custom pressure source may return: `true` while the instance is under pressure. */
export type PressureSource = () => boolean | Promise<boolean>;

/**
 * The probe routes of an `@lbkit/health` `Health` (its `routes`), or anything with the same shape:
 * the shedder never limits or sheds these paths.
 */
export interface ProbeRoutes {
  /** Path → probe for every route the health object answers on. */
  readonly routes: ReadonlyMap<string, string>;
}

/** Options of `LoadShedder` (Express `loadShedding()`, Fastify `sheddingPlugin`). */
export interface LoadSheddingOptions {
  /** The lifecycle whose in-flight tracking is fed and whose `stopped` state stops admission. Default `defaultLifecycle()`. */
  readonly lifecycle?: Lifecycle;
  /**
   * A number fixes the limit on requests in flight; an object tunes the adaptive limit (the
   * default). `false` sheds on the thresholds, the `underPressure` source and the `stopped`
   * lifecycle only, as @fastify/under-pressure and toobusy-js do: no limit, no queue, and no
   * per-request tracking, so an admitted request costs a few comparisons. `queue`, `turnBudgetMs`
   * and the slow-start options are refused with it.
   */
  readonly concurrencyLimit?: number | AdaptiveLimitOptions | false;
  /** The admission queue; `false` sheds at once when the limit is reached. */
  readonly queue?: QueueOptions | false;
  /**
   * Milliseconds of admitted work (time spent in the synchronous part of admitted requests'
   * handlers) one event-loop turn — a poll phase and the check phase after it — may run before
   * further requests wait for the next turn, after the loop has read new requests and answered
   * probes. Needs no samples, so it bounds loop turns from the first request on; reading and
   * rejecting requests does not count against it, so every turn admits at least one request.
   * Ignored when `queue` is `false`. Default 2: a request read while the loop is busy waits about
   * one turn, so under overload admitted requests keep close to their unloaded latency; a larger
   * budget trades that latency for slightly less per-turn overhead.
   */
  readonly turnBudgetMs?: number;
  /** How the overload signals are sampled. */
  readonly signals?: SignalOptions;
  /** Static backstop thresholds (none by default). */
  readonly thresholds?: BackstopThresholds;
  /** Puts each request into a priority. Default: everything is `default`. */
  readonly classify?: Classifier;
  /**
   * Requests that are never limited, queued, measured or shed: path prefixes (matched on whole path
   * segments) or a function. Default `['/health', '/metrics']`.
   */
  readonly exempt?: readonly string[] | ((req: IncomingMessage) => boolean);
  /** Liveness paths, exempt whatever `exempt` says: liveness is never shed. Default `['/health/live', '/livez']`. */
  readonly liveness?: readonly string[];
  /**
   * The probes of `@lbkit/health` (a `Health`, such as `healthcheck().health`), or a function
   * returning it, read at the first request (for when the health object is made after the shedder,
   * as it is when it runs `overloadCheck(shedder)`): its paths are never limited or shed, whatever
   * `exempt` says, so custom probe paths are safe with shedding mounted first.
   */
  readonly health?: ProbeRoutes | (() => ProbeRoutes | undefined);
  /**
   * A custom pressure source (a database pool's health, a downstream's circuit), sampled every
   * `signals.intervalMs`: while it returns `true` — or throws, or rejects — every request that is
   * not `critical` is shed as by a backstop (reason `backstop`, `snapshot().backstops` names
   * `underPressure`). An async source still running when the next sample is due is not started twice.
   */
  readonly underPressure?: PressureSource;
  /** The `Retry-After` header: a number for a fixed value in seconds, an object for the estimate. */
  readonly retryAfter?: number | RetryAfterOptions;
  /** Body of the default rejection: `json` (default) or `text`. */
  readonly format?: 'json' | 'text';
  /** The message of the default body (`message` in JSON, the line of text). Default: none in JSON, `Service Unavailable` in text. */
  readonly message?: string;
  /**
   * `'response'` (default): the shedder answers. `'error'`: the request is handed to the
   * framework's error handler with a {@link ShedErrorLike} (Express `next(error)`, Fastify's
   * `setErrorHandler`); on node:http, without an adapter, the default response is written.
   */
  readonly rejectWith?: 'response' | 'error';
  /** Writes a custom response instead of the default one (see {@link RejectHandler}). */
  readonly onReject?: RejectHandler;
  /**
   * Opt-in slow start of the admission limit: for this many milliseconds after the lifecycle
   * becomes `ready`, the concurrency limit in force ramps from `slowStartFloor` of it to all of it
   * (an adaptive limit not yet warm counts as its `initial`), with the curve of
   * @lbkit/balancer-feedback's slow start. Default 0: none.
   */
  readonly slowStartMs?: number;
  /** Share of the limit a newly ready instance starts at during `slowStartMs`, 0.01–1. Default 0.1. */
  readonly slowStartFloor?: number;
  /** Shape of the ramp: 1 linear, above 1 climbs early, below 1 late (Envoy's aggression), 0.1–10. Default 1. */
  readonly slowStartAggression?: number;
  /** Clock used for every measurement; for tests. Default `performance.now`. */
  readonly clock?: Clock;
}

/**
 * The latest readings of the overload signals. The event-loop readings are standing ones: an
 * interval that was one long block of the loop (a synchronous task, a GC pause, of any length)
 * reads no higher than the interval before it, so one pause never reads as sustained overload.
 */
export interface SignalReadings {
  /** Standing event-loop delay of the last interval (the configured low percentile), in milliseconds. */
  readonly eventLoopDelayMs: number;
  /** Event-loop utilisation over the last interval, 0–1. */
  readonly eventLoopUtilization: number;
  /** Heap in use, in bytes. */
  readonly heapUsedBytes: number;
  /** Resident set size, in bytes. */
  readonly rssBytes: number;
}

/** What the shedder knows right now, for metrics, logs and the readiness check. */
export interface SheddingSnapshot {
  /** The concurrency limit in force; `Infinity` with `concurrencyLimit: false`. */
  readonly limit: number;
  /** Whether the limit is adaptive and has seen enough samples to act (a fixed limit is always true). */
  readonly warm: boolean;
  /** Admitted requests holding a slot (see README: a slot is held until the event loop yields). */
  readonly inFlight: number;
  /** Requests waiting in the admission queue. */
  readonly queued: number;
  /** True while the admission queue is overloaded (LIFO, short bound). */
  readonly overloaded: boolean;
  /** How long shedding has been sustained, in milliseconds (0 when it is not). */
  readonly sheddingForMs: number;
  /** Share of the non-exempt requests shed over the last second, 0–1. */
  readonly shedRatio: number;
  /** Requests admitted since start. */
  readonly admitted: number;
  /** Requests shed since start, by reason. */
  readonly rejected: Readonly<Record<RejectionReason, number>>;
  /** Requests shed since start, by priority and reason (the same total as `rejected`). */
  readonly rejectedByPriority: Readonly<Record<Priority, Readonly<Record<RejectionReason, number>>>>;
  /** Queued requests dropped because their client went away. */
  readonly abandoned: number;
  /** Service-time baseline of the adaptive limit in milliseconds (undefined for a fixed limit or before warm-up). */
  readonly baselineLatencyMs: number | undefined;
  /** Backstops currently tripped (`underPressure`: the custom pressure source says so). */
  readonly backstops: readonly Backstop[];
  /** True while requests that are not `critical` are being shed wholesale: a backstop is tripped, or the lifecycle is `stopped`. */
  readonly underPressure: boolean;
  /** Latest signal readings. */
  readonly signals: SignalReadings;
  /** Requests in flight according to the lifecycle's tracker (all routes, exempt ones included). */
  readonly lifecycleInFlight: number;
}

/** Options of `overloadCheck`. */
export interface OverloadCheckOptions {
  /** Key of the check in the health report. Default `shedding:overload`. */
  readonly name?: string;
  /** What sustained overload reports: `warn` (HTTP stays 200) or `fail` (readiness 503). Default `warn`. */
  readonly status?: 'warn' | 'fail';
  /** How long shedding must have lasted before it is reported, in milliseconds. Default 10000. */
  readonly sustainedMs?: number;
  /** Share of requests shed over the last second at or above which shedding counts (0–1). Default 0.01. */
  readonly minShedRatio?: number;
}

/** Result of the overload check, the shape @lbkit/health's user checks resolve to. */
export interface OverloadCheckResult {
  /** `pass`, or the configured status while overload is sustained. */
  readonly status: 'pass' | 'warn' | 'fail';
  /** Share of requests shed over the last second, in percent. */
  readonly observedValue: number;
  /** Always `percent`. */
  readonly observedUnit: 'percent';
  /** What is going on, when not passing. */
  readonly output?: string;
}

/**
 * A readiness check in @lbkit/health's object form (`{ name, check, critical, componentType }`):
 * pass it in the `checks` option of `createHealth` / `healthcheck()` / `healthPlugin`.
 */
export interface OverloadHealthCheck {
  /** Key of the check in the health report. */
  readonly name: string;
  /** True when sustained overload should fail readiness (`status: 'fail'`). */
  readonly critical: boolean;
  /** Always `system`. */
  readonly componentType: 'system';
  /** The check: reads the shedder's counters, never blocks. */
  readonly check: (signal: AbortSignal) => Promise<OverloadCheckResult>;
}
