// Public types of @lbkit/metrics. Sources are described by the parts read, so no other lbkit package is required.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lifecycle } from '@lbkit/core';

/**
 * Every `code` of the `LbkitError`s @lbkit/metrics raises (see the README's error codes table).
 */
export type MetricsErrorCode =
  | 'LBKIT_METRICS_OPTION_UNKNOWN'
  | 'LBKIT_METRICS_OPTION_INVALID'
  | 'LBKIT_METRICS_FACTORY_NOT_CALLED'
  | 'LBKIT_METRICS_PROM_CLIENT_MISSING'
  | 'LBKIT_METRICS_REGISTRY_INVALID'
  | 'LBKIT_METRICS_PREFIX_INVALID'
  | 'LBKIT_METRICS_BUCKETS_INVALID'
  | 'LBKIT_METRICS_NAME_DUPLICATE'
  | 'LBKIT_METRICS_SOURCE_ALREADY_OBSERVED'
  | 'LBKIT_METRICS_SET_CLOSED'
  | 'LBKIT_METRICS_CLUSTER_NOT_PRIMARY'
  | 'LBKIT_METRICS_PEER_DIR_UNSAFE'
  | 'LBKIT_METRICS_OTEL_API_MISSING'
  | 'LBKIT_METRICS_METER_INVALID';

/**
 * The parts of a prom-client `Registry` that lbkit uses: `new Registry()` and `register` from
 * prom-client fit. Declared by shape so that this package's declarations never need prom-client,
 * an optional peer dependency, to be installed.
 */
export interface PromRegistry {
  /** The exposition text of every metric registered. */
  metrics(): Promise<string>;
  /** `Content-Type` of `metrics()`. */
  readonly contentType: string;
  /** Called by prom-client's metric constructors for the registries they are given. */
  registerMetric(metric: object): void;
  /** Unregisters one metric by name. */
  removeSingleMetric(name: string): void;
}

/** The parts of a load shedder that are read at scrape time: `LoadShedder` from @lbkit/shedding fits. */
export interface ShedderSource {
  /** Counters, limit and queue as they are now. */
  snapshot(): {
    readonly limit: number;
    readonly queued: number;
    readonly admitted: number;
    readonly rejected: Readonly<Record<string, number>>;
    /** Shed counts by priority, then reason; without it shed counts carry `priority="unknown"`. */
    readonly rejectedByPriority?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  };
}

/** The parts of a `Health` (@lbkit/health) that are read at scrape time: the latest result of each check. */
export interface HealthSource {
  /** The latest run of each check that has run; runs nothing. */
  latestResults(): ReadonlyArray<{
    readonly name: string;
    readonly critical: boolean;
    readonly status: 'pass' | 'warn' | 'fail';
    readonly durationMs: number;
  }>;
}

/** One store operation, as `RedisSessionStore`'s `operation` event reports it. */
export interface SessionOperationEvent {
  readonly operation: string;
  readonly durationMs: number;
  /** What the operation failed with; undefined when it succeeded. */
  readonly error: unknown;
}

/** The parts of a session store that are observed: `RedisSessionStore` from @lbkit/session-redis fits. */
export interface SessionStoreSource {
  /** False while Redis does not answer. */
  readonly available: boolean;
  on(event: 'operation', listener: (event: SessionOperationEvent) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  off(event: 'operation', listener: (event: SessionOperationEvent) => void): unknown;
  off(event: 'error', listener: (error: unknown) => void): unknown;
}

/** One shutdown step, as the `phase` event of @lbkit/shutdown's `Shutdown` reports it. */
export interface ShutdownPhaseEventLike {
  readonly phase: string;
  readonly durationMs: number;
  readonly forced?: { readonly requests: number; readonly connections: number };
  readonly hook?: { readonly name: string; readonly outcome: string };
}

/** The parts of a shutdown controller that are observed: `Shutdown` from @lbkit/shutdown fits. */
export interface ShutdownSource {
  on(event: 'phase', listener: (event: ShutdownPhaseEventLike) => void): unknown;
  off(event: 'phase', listener: (event: ShutdownPhaseEventLike) => void): unknown;
}

/** What the metrics read or listen to besides the lifecycle; each may be given once, now or later. */
export interface MetricSources {
  /** Concurrency limit, queue, admitted and shed requests (`LoadShedder`). */
  readonly shedder?: ShedderSource;
  /** Status and duration of each health check (`Health` from `createHealth()`, `healthcheck().health`, `fastify.health`). */
  readonly health?: HealthSource;
  /** Session store latency, errors and availability (`RedisSessionStore`). */
  readonly sessionStore?: SessionStoreSource;
  /** Drain phase durations and forced closes (`gracefulShutdown()`'s result). */
  readonly shutdown?: ShutdownSource;
}

/**
 * Options of `createMetrics()`. `R` is the type of the registry given, so that `LbkitMetrics.registry`
 * keeps it (prom-client's `Registry` when you pass one).
 */
export interface MetricsOptions<R extends PromRegistry = PromRegistry> extends MetricSources {
  /** The prom-client registry to register in. Default: prom-client's global `register`. */
  readonly registry?: R;
  /** Prefix of every metric name. Default `lbkit_`. */
  readonly prefix?: string;
  /** The lifecycle whose state and in-flight tracker are reported. Default `defaultLifecycle()`. */
  readonly lifecycle?: Lifecycle;
  /** Buckets of the session operation histogram, in seconds. Default 1 ms to 1 s. */
  readonly sessionBuckets?: readonly number[];
  /**
   * In a node:cluster worker, answer `respond()` for every worker through the primary's
   * `aggregateClusterMetrics()` when there is one (and answer its collects). Under PM2 (`pm_id` and
   * `name` in the environment) and without such a primary, through the other workers of the app found
   * in the peer directory. `{ peers: 'directory', … }` asks for the peer directory anywhere (fork mode,
   * plain processes). Default true; `false` opts out; outside a worker and PM2, true changes nothing.
   */
  readonly cluster?: boolean | ClusterPeersOptions;
}

/**
 * `createMetrics({ cluster: { peers: 'directory' } })`: the workers of one app on one host find each
 * other through unix sockets in a private directory, without a primary; a scrape of one answers for all.
 */
export interface ClusterPeersOptions {
  /** How peers are found: `'directory'`, sockets named `<name>.<id>.<pid>.sock` in `dir`. */
  readonly peers: 'directory';
  /** The private directory (mode 0700, created when missing). Default `<os.tmpdir()>/lbkit-metrics-<uid>`. */
  readonly dir?: string;
  /** The app's name: workers of the same name are peers. Default PM2's `name`, else `app`. Letters, digits, _ and -. */
  readonly name?: string;
  /** This worker's `worker` label value. Default PM2's `pm_id`, else the pid. Letters, digits, _ and -. */
  readonly id?: string;
  /** How long a scrape waits for the peers; one that has not answered by then is reported down. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Largest answer read from one peer; a larger one is refused and the peer reported down. Default 16 MiB. */
  readonly maxBytes?: number;
  /** Gauges summed across workers rather than labelled per worker (full names). Default none. */
  readonly summedGauges?: readonly string[];
  /** The label that tells workers apart on gauges and summaries. Default `worker`. */
  readonly workerLabel?: string;
}

/** The metrics made by `createMetrics()`; `R` is the type of their registry. */
export interface LbkitMetrics<R extends PromRegistry = PromRegistry> {
  /** The registry they are registered in. */
  readonly registry: R;
  /** `Content-Type` of `metrics()`: the registry's (Prometheus text format 0.0.4 by default). */
  readonly contentType: string;
  /** Adds sources not known at creation (for example the shutdown controller, made after the app). */
  observe(sources: MetricSources): void;
  /** The registry's exposition text (this process only, in a cluster worker too; `respond()` aggregates). */
  metrics(): Promise<string>;
  /**
   * Answers a scrape on `res`: 200 with the text for GET (headers only for HEAD), 405 for other
   * methods, 500 if collecting fails. In a node:cluster worker with an aggregating primary, the text
   * covers every worker (see `aggregateClusterMetrics()`).
   */
  respond(req: IncomingMessage, res: ServerResponse): void;
  /** Removes lbkit's metrics from the registry and stops listening to the sources. Idempotent. */
  close(): void;
}

/** Options of `aggregateClusterMetrics()`. */
export interface ClusterMetricsOptions {
  /** How long a scrape waits for the workers; one that has not answered by then is reported down. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Prefix of the scrape's own series (`lbkit_scrape_worker_up`, `lbkit_scrape_scope`). Default `lbkit_`. */
  readonly prefix?: string;
  /** Gauges summed across workers rather than labelled per worker (full names). Default none. */
  readonly summedGauges?: readonly string[];
  /** The label that tells workers apart on gauges and summaries; its value is the node:cluster worker id. Default `worker`. */
  readonly workerLabel?: string;
}

/** The primary's aggregator made by `aggregateClusterMetrics()`. */
export interface ClusterMetricsAggregator {
  /** `Content-Type` of the merged text: Prometheus text format 0.0.4. */
  readonly contentType: string;
  /** The merged exposition of every worker, gathered now (at most `timeoutMs`). */
  metrics(): Promise<string>;
  /** Answers a scrape on the primary's own server, as `LbkitMetrics.respond()` does. */
  respond(req: IncomingMessage, res: ServerResponse): void;
  /** Stops listening to the workers; a scrape in progress answers with what it has. Idempotent. */
  close(): void;
}

/** Attributes of one OpenTelemetry measurement. */
export interface OtelAttributes {
  readonly [key: string]: string | number | boolean | undefined;
}

/** What an OpenTelemetry instrument is created with (unit, description, advice). */
export interface OtelInstrumentOptions {
  readonly description?: string;
  readonly unit?: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

/** The result an observable instrument's callback reports into. */
export interface OtelObservableResult {
  observe(value: number, attributes?: OtelAttributes): void;
}

/** An observable instrument (gauge, counter, up-down counter), read at collection time. */
export interface OtelObservable {
  addCallback(callback: (result: OtelObservableResult) => void): void;
  removeCallback(callback: (result: OtelObservableResult) => void): void;
}

/**
 * The parts of an OpenTelemetry `Meter` (`@opentelemetry/api`) that lbkit uses: the meter of
 * `metrics.getMeter(name)` fits. Declared by shape so that this package's declarations never need
 * `@opentelemetry/api`, an optional peer dependency, installed.
 */
export interface OtelMeter {
  createHistogram(
    name: string,
    options?: OtelInstrumentOptions,
  ): { record(value: number, attributes?: OtelAttributes): void };
  createCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): { add(value: number, attributes?: OtelAttributes): void };
  createUpDownCounter(
    name: string,
    options?: OtelInstrumentOptions,
  ): { add(value: number, attributes?: OtelAttributes): void };
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservable;
  createObservableCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
  createObservableUpDownCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
}

/** Options of `createOtelMetrics()`: the sources of `createMetrics()`, a meter and the route bound. */
export interface OtelMetricsOptions extends MetricSources {
  /** The meter instruments are created on. Default: `metrics.getMeter('@lbkit/metrics')` of `@opentelemetry/api`. */
  readonly meter?: OtelMeter;
  /** The lifecycle whose state and in-flight tracker are reported. Default `defaultLifecycle()`. */
  readonly lifecycle?: Lifecycle;
  /**
   * Distinct `http.route` values kept; a route template first seen after that many is reported as
   * `_OTHER`. Default 100.
   */
  readonly maxRoutes?: number;
  /** Buckets of `lbkit.session.operation.duration`, in seconds. Default as `createMetrics()`. */
  readonly sessionBuckets?: readonly number[];
}

/** The instruments made by `createOtelMetrics()`. */
export interface LbkitOtelMetrics {
  /**
   * Measures one request: `http.server.active_requests` now, `http.server.request.duration` when
   * the response finishes (or the connection closes first). `route` is asked then, for the route
   * template the framework matched (`/users/:id`), never the raw path; undefined leaves
   * `http.route` out. A request tracked twice is measured once.
   */
  track(req: IncomingMessage, res: ServerResponse, route?: () => string | undefined): void;
  /** Adds sources not known at creation, as `LbkitMetrics.observe()`. */
  observe(sources: MetricSources): void;
  /** Stops reporting: observable callbacks removed, listeners detached, later requests not measured. Idempotent. */
  close(): void;
}
