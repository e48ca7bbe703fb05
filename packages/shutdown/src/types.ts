// Public types of @lbkit/shutdown.
import type { Worker } from 'node:cluster';
import type { EventEmitter } from 'node:events';
import type { AnyServer, InFlightSnapshot, Lifecycle } from '@lbkit/core';

/** A node:http, node:https or node:http2 server (Express's `app.listen()` result, Fastify's `fastify.server`). */
export type ShutdownServer = AnyServer;

/** What a cleanup hook receives. */
export interface CleanupContext {
  /** Aborted when the hook's own timeout elapses: stop waiting and return. */
  readonly signal: AbortSignal;
  /** Why the instance is shutting down (`SIGTERM`, `shutdown-message`, `uncaughtException`, …). */
  readonly reason: string;
}

/**
 * Releases one resource (Redis client, database pool, queue consumer) once every connection has
 * drained. Hooks run one at a time in reverse registration order, each bounded by its own timeout.
 */
export interface CleanupHook {
  /** Name used in events and logs, for example `redis`. */
  readonly name: string;
  /** Releases the resource. A rejection or a timeout makes the exit code 1; later hooks still run. */
  readonly run: (context: CleanupContext) => unknown;
  /** Bound on this hook in milliseconds; defaults to `hookTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** The parts of a `ws` WebSocket that shutdown uses. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Destroys the connection at once. */
  terminate(): void;
}

/** The parts of a `ws` WebSocketServer that shutdown uses: its set of connected clients. */
export interface WebSocketServerLike {
  /** Connected clients (ws keeps this set when `clientTracking` is on, its default). */
  readonly clients: ReadonlySet<WebSocketLike>;
}

/**
 * Closes upgraded connections of one protocol (for example `() => io.close()` for socket.io).
 * Called once when the listeners close; the connections are destroyed at `drainTimeoutMs` if still open.
 */
export type UpgradeCloser = (context: CleanupContext) => unknown;

/** A logger for shutdown phases; `console` fits. Messages are one line, details are a plain object. */
export interface ShutdownLogger {
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}

/** Options of `gracefulShutdown()`. */
export interface GracefulShutdownOptions {
  /** The lifecycle to drive; defaults to `defaultLifecycle()` from @lbkit/core. Its `inFlight` is attached to the servers. */
  readonly lifecycle?: Lifecycle;
  /** Signals that start the shutdown; `[]` for none. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * Time between the start of the drain (readiness fails) and closing the listeners, while the
   * balancer takes the instance out of its pool. Default 0; see the README for recommended values.
   */
  readonly drainDelayMs?: number;
  /** Bound on waiting for in-flight requests and upgraded connections after the listeners close. Default 10000. */
  readonly drainTimeoutMs?: number;
  /**
   * Keep HTTP/1.1 keep-alive and HTTP/2 sessions going during the drain delay. Default false: from
   * the start of the drain every HTTP/1.1 response carries `Connection: close` and every HTTP/2
   * session gets GOAWAY after its next stream, so balancers retire their pooled connections before
   * the listener closes instead of racing a request against an idle-socket close.
   */
  readonly keepAliveDuringDelay?: boolean;
  /** Cleanup hooks, run after the drain in reverse order. More can be added with `addHook()`. */
  readonly hooks?: readonly CleanupHook[];
  /** Default timeout of each cleanup hook. Default 5000. */
  readonly hookTimeoutMs?: number;
  /** `ws` servers whose clients get close code 1001 ("going away") when the listeners close. */
  readonly webSockets?: WebSocketServerLike | readonly WebSocketServerLike[];
  /** Closers for other upgraded protocols, called when the listeners close. */
  readonly closeUpgraded?: UpgradeCloser | readonly UpgradeCloser[];
  /**
   * Exit the process when a signal, a process-manager message or an uncaught error ends in a
   * shutdown: code 0, or 1 when anything was forced or failed. Default true. A programmatic
   * `shutdown()` never exits; it resolves with the result.
   */
  readonly exit?: boolean;
  /**
   * After a clean shutdown started by a signal, end the process by that same signal instead of
   * exit code 0, so that process managers see it was terminated by SIGTERM (terminus's
   * `useExit0: false`). Forced or failed shutdowns still exit 1. Default false. Needs `exit`.
   */
  readonly exitBySignal?: boolean;
  /**
   * Handle `uncaughtException` and `unhandledRejection`: log, drain with a short timeout (default
   * 1000 ms, no drain delay), exit 1. Default false (Node's own behaviour).
   */
  readonly handleUncaught?: boolean | { readonly drainTimeoutMs?: number };
  /**
   * Talk to a process manager over IPC: send `ready` once listening and ready (PM2 `wait_ready`,
   * `clusterPrimary()`), and shut down on a `shutdown` message (PM2 `shutdown_with_message`,
   * `clusterPrimary()`). `'auto'` (default) does so under PM2 or as a node:cluster worker.
   */
  readonly ipc?: boolean | 'auto';
  /** Mark the lifecycle ready once every server listens. Default false: the app or the health package does. */
  readonly markReadyOnListen?: boolean;
  /** Where phase lines go; none by default. */
  readonly logger?: ShutdownLogger;
  /** Called for every phase, with timings. Same as listening to the `phase` event. */
  readonly onPhase?: (event: ShutdownPhaseEvent) => void;
  /**
   * For framework adapters: called instead of closing the listeners, once, when the delay ends.
   * The Fastify plugin passes `() => fastify.close()` so that Fastify closes its server exactly once.
   */
  readonly stopAccepting?: () => unknown;
  /**
   * Checks at startup that `drainDelayMs + drainTimeoutMs +` the hooks' timeouts fit the platform's
   * grace and that the delay covers what the balancer needs to notice; a misfit is a coded warning
   * (an error with `strict`) naming the number to change. `@lbkit/profiles` fills it in. Default: no check.
   */
  readonly budget?: ShutdownBudget;
}

/**
 * What the shutdown must fit: the platform's grace and the balancer's notice time. Every field is
 * optional; a grace left out is read from `TERMINATION_GRACE_PERIOD_SECONDS` when that is set.
 */
export interface ShutdownBudget {
  /** Time from the stop signal to the kill: terminationGracePeriodSeconds × 1000, PM2's `kill_timeout`, a deregistration delay. */
  readonly graceMs?: number;
  /** Where `graceMs` comes from, for the message (`terminationGracePeriodSeconds 30`). */
  readonly graceSource?: string;
  /** Time the balancer needs to stop sending new requests once readiness fails (health-check interval × threshold). */
  readonly noticeMs?: number;
  /** Where `noticeMs` comes from, for the message (`ALB health check 30 s × 2`). */
  readonly noticeSource?: string;
  /** Throw the first finding as an `LbkitError` instead of warning. Default false. */
  readonly strict?: boolean;
}

/** What {@link checkShutdownBudget} checks: the shutdown's numbers and the budget they must fit. */
export interface ShutdownBudgetInput {
  /** As gracefulShutdown()'s option. Default 0. */
  readonly drainDelayMs?: number;
  /** As gracefulShutdown()'s option. Default 10000. */
  readonly drainTimeoutMs?: number;
  /** The timeout of each cleanup hook; they run one after the other. Default none. */
  readonly hookTimeoutsMs?: number | readonly number[];
  /** The grace and notice to fit. */
  readonly budget?: ShutdownBudget;
  /** Where `TERMINATION_GRACE_PERIOD_SECONDS` is read. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** One misfit of the shutdown budget, with the change that fixes it. */
export interface BudgetFinding {
  /** `LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT` or `LBKIT_SHUTDOWN_BUDGET_OVER_GRACE`. */
  readonly code: 'LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT' | 'LBKIT_SHUTDOWN_BUDGET_OVER_GRACE';
  /** What does not fit, with the numbers. */
  readonly message: string;
  /** The number to change (`drainDelayMs`, `drainTimeoutMs`, or the platform's `graceMs`) and its new value. */
  readonly change: { readonly name: string; readonly from: number; readonly to: number };
}

/** The steps of a shutdown, in order. `hook` repeats once per cleanup hook. */
export type ShutdownPhase =
  | 'draining'
  | 'delay-elapsed'
  | 'listeners-closed'
  | 'drained'
  | 'forced'
  | 'hook'
  | 'stopped';

/** One step of a shutdown, emitted as the `phase` event and passed to `onPhase`. */
export interface ShutdownPhaseEvent {
  /** The step just reached. */
  readonly phase: ShutdownPhase;
  /** Why the instance is shutting down. */
  readonly reason: string;
  /** Milliseconds since the shutdown began. */
  readonly elapsedMs: number;
  /** Milliseconds the previous step took (0 for `draining`). */
  readonly durationMs: number;
  /** Requests and connections in flight at this moment. */
  readonly inFlight: InFlightSnapshot;
  /** For `forced`: what was cut at the drain timeout. */
  readonly forced?: { readonly requests: number; readonly connections: number };
  /** For `hook`: which hook ran and how it ended. */
  readonly hook?: {
    readonly name: string;
    readonly outcome: 'ok' | 'timeout' | 'error';
    readonly error?: unknown;
  };
}

/** How a shutdown ended. */
export interface ShutdownResult {
  /** Why it began. */
  readonly reason: string;
  /** 0 when everything drained and every hook succeeded; 1 otherwise. */
  readonly exitCode: 0 | 1;
  /** True when the drain timeout (or a second signal) cut requests, connections or drain holds. */
  readonly forced: boolean;
  /** Requests cut by the force. */
  readonly forcedRequests: number;
  /** Connections (sockets, HTTP/2 sessions, WebSockets) destroyed by the force. */
  readonly forcedConnections: number;
  /**
   * Holds (`lifecycle.hold()`: queue jobs, cron tasks) still live when the drain timeout cut the
   * drain; they count as forced, like requests.
   */
  readonly forcedHolds: number;
  /** Names of the hooks that failed or timed out. */
  readonly failedHooks: readonly string[];
  /** Milliseconds from the start of the drain to `stopped`. */
  readonly durationMs: number;
  /** Every phase event, in order. */
  readonly phases: readonly ShutdownPhaseEvent[];
}

/** Events of a {@link Shutdown}. */
export interface ShutdownEvents {
  phase: [ShutdownPhaseEvent];
}

/** Options of a programmatic `shutdown()`. */
export interface ShutdownRunOptions {
  /** Skip the drain delay (for example in tests, or when the balancer is known to be gone). */
  readonly skipDelay?: boolean;
  /** A different bound for this run. */
  readonly drainTimeoutMs?: number;
}

/** The controller `gracefulShutdown()` returns. */
export interface Shutdown extends EventEmitter<ShutdownEvents> {
  /** The lifecycle it drives. */
  readonly lifecycle: Lifecycle;
  /** `idle` until a shutdown starts, `running` during it, `done` after. */
  readonly state: 'idle' | 'running' | 'done';
  /** Resolves with the result once a shutdown (from any trigger) has finished. */
  readonly finished: Promise<ShutdownResult>;
  /**
   * Starts the shutdown now (or joins the one running) and resolves with its result. Never exits
   * the process. `reason` defaults to `manual`.
   */
  shutdown(reason?: string, options?: ShutdownRunOptions): Promise<ShutdownResult>;
  /** Adds a cleanup hook; hooks run in reverse registration order. */
  addHook(hook: CleanupHook): void;
  /** Removes the signal, IPC and error handlers and detaches from the servers. Idempotent. */
  dispose(): void;
}

/** Backoff of `clusterPrimary()` when a worker dies unexpectedly. */
export interface RespawnBackoff {
  /** Delay before the first replacement. Default 100. */
  readonly initialDelayMs?: number;
  /** Upper bound of the delay. Default 10000. */
  readonly maxDelayMs?: number;
  /** Growth factor per consecutive early death. Default 2. */
  readonly factor?: number;
  /** A worker that stays up this long after becoming ready resets its slot's backoff. Default 10000. */
  readonly resetAfterMs?: number;
}

/** Options of `clusterPrimary()`. */
export interface ClusterPrimaryOptions {
  /** Number of workers. Default `os.availableParallelism()`. */
  readonly workers?: number;
  /** Extra environment of the worker in `slot` (0-based); a replacement gets its slot's. */
  readonly env?: (slot: number) => Record<string, string>;
  /** Bound on a new worker sending `ready` during a reload. Default 30000. */
  readonly readyTimeoutMs?: number;
  /** Bound on a draining worker exiting before it is killed. Default 30000. */
  readonly stopTimeoutMs?: number;
  /** Signal that starts a rolling reload; `false` for none. Default `SIGHUP`. */
  readonly reloadSignal?: NodeJS.Signals | false;
  /** Signals that drain every worker and stop the primary. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Exit the primary after a signal-triggered stop (code 1 if any worker exited non-zero). Default true. */
  readonly exit?: boolean;
  /** Backoff for replacing workers that die unexpectedly. */
  readonly respawn?: RespawnBackoff;
  /** Where lines about workers go; none by default. */
  readonly logger?: ShutdownLogger;
  /**
   * How connections reach the workers. `round-robin` (default) is node:cluster's own: the workers
   * listen on the shared port. The others make the primary own the listening socket (`port`, `host`)
   * and hand each connection to the worker it picks; the workers take them with `clusterWorker()`.
   */
  readonly balance?: ClusterBalance;
  /** Port the primary listens on when `balance` is not `round-robin` (required then; 0 for any free one). */
  readonly port?: number;
  /** Address the primary listens on when `balance` is not `round-robin`. Default: every address, as `server.listen(port)`. */
  readonly host?: string;
}

/**
 * How `clusterPrimary()` spreads connections over the ready workers:
 * - `round-robin`: node:cluster's own scheduling (SCHED_RR), blind to load;
 * - `least-connections`: the worker holding the fewest open connections handed to it;
 * - `least-loaded`: the lowest load the workers report (requests in flight, queued, event-loop utilisation);
 * - `ip-hash`: the same client address to the same worker slot (WebSocket / socket.io without sticky balancers).
 */
export type ClusterBalance = 'round-robin' | 'least-connections' | 'least-loaded' | 'ip-hash';

/** A worker that may take a connection now, as a primary of your own passes it to `connectionBalancer()`. */
export interface BalancedWorker {
  /** The node:cluster worker. */
  readonly worker: Worker;
  /** Its slot (0-based position; a replacement takes its predecessor's), for `ip-hash`. */
  readonly slot: number;
}

/** Options of `connectionBalancer()`. */
export interface ConnectionBalancerOptions {
  /** Any policy but `round-robin` (which is node:cluster's own). */
  readonly balance: ClusterBalance;
  /** Port to listen on (0 for any free one). */
  readonly port: number;
  /** Address to listen on. Default: every address. */
  readonly host?: string;
  /** The workers that may take a new connection now: ready, not draining. Called per connection. */
  readonly workers: () => Iterable<BalancedWorker>;
  /** How long a connection waits in the primary for a ready worker before it is closed. Default 30000. */
  readonly pendingTimeoutMs?: number;
  /** Where warnings go; none by default. */
  readonly logger?: ShutdownLogger;
}

/** What `connectionBalancer()` returns. */
export interface ConnectionBalancer {
  /** Resolves once listening; rejects with `LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED`. */
  readonly ready: Promise<void>;
  /** The port listened on. */
  readonly port: number | undefined;
  /** Whether `worker` has reported its load, that is, takes connections (it serves with `clusterWorker()`). */
  reporting(worker: Worker): boolean;
  /** Hands out connections that waited for a ready worker: call it when a worker becomes ready. */
  flush(): void;
  /** Stops listening and closes the connections still waiting. Idempotent. */
  close(): void;
}

/** Options of `clusterWorker()`. */
export interface ClusterWorkerOptions {
  /** The worker's server (node:http, https, http2, `fastify.server`), not listening yet. */
  readonly server: ShutdownServer;
  /** The shared port: listened on when the primary balances round robin (or outside a cluster). */
  readonly port: number;
  /** Address to listen on in that case. Default: every address, as `server.listen(port)`. */
  readonly host?: string;
  /** Requests waiting in the app's own queue (for example a load shedder's), reported for `least-loaded`. */
  readonly queued?: () => number;
}

/** What `clusterWorker()` returns. */
export interface ClusterWorker {
  /** `shared`: the server listens on the shared port itself; `primary`: the primary hands it connections. */
  readonly mode: 'shared' | 'primary';
  /** Tells the primary to send no more connections, then stops reporting and taking them. Idempotent. */
  dispose(): void;
}

/** A worker as the primary sees it. */
export interface ClusterWorkerInfo {
  /** Position 0..workers-1; a replacement takes its predecessor's slot. */
  readonly slot: number;
  /** node:cluster worker id. */
  readonly id: number;
  /** Process id. */
  readonly pid: number | undefined;
  /** `starting` until it sends `ready`, `ready`, then `draining` once asked to stop. */
  readonly state: 'starting' | 'ready' | 'draining';
}

/** How a rolling reload went. */
export interface ReloadResult {
  /** True when every slot was replaced by a ready worker. */
  readonly ok: boolean;
  /** Slots replaced. */
  readonly replaced: number;
  /** Why it stopped early, when it did. */
  readonly error?: string;
}

/** Events of a {@link ClusterPrimary}. */
export interface ClusterPrimaryEvents {
  /** A worker sent `ready`. */
  ready: [ClusterWorkerInfo];
  /** A worker exited; `planned` is false for unexpected deaths. */
  exit: [
    ClusterWorkerInfo & {
      readonly code: number | null;
      readonly signal: string | null;
      readonly planned: boolean;
    },
  ];
  /** A replacement for an unexpected death is scheduled after `delayMs`. */
  respawn: [{ readonly slot: number; readonly delayMs: number; readonly attempt: number }];
  /** A rolling reload finished. */
  reloaded: [ReloadResult];
}

/** The node:cluster primary `clusterPrimary()` returns. */
export interface ClusterPrimary extends EventEmitter<ClusterPrimaryEvents> {
  /** The live workers. */
  readonly workers: readonly ClusterWorkerInfo[];
  /**
   * Resolves when every slot has a ready worker (and the primary listens, when it owns the port);
   * rejects with `LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED` when it cannot listen.
   */
  readonly ready: Promise<void>;
  /** The port the primary listens on when `balance` is not `round-robin` (the real one with `port: 0`); undefined otherwise. */
  readonly port: number | undefined;
  /** Replaces every worker one by one: fork, wait for `ready`, then drain the old one. Joins a reload in progress. */
  reload(): Promise<ReloadResult>;
  /** Drains every worker and stops replacing them; resolves with 0, or 1 if a worker exited non-zero. */
  stop(): Promise<0 | 1>;
}

/**
 * Stable error codes of @lbkit/shutdown; each is listed in the README with its cause and fix.
 * Every one is raised at startup (or by `addHook()` / `shutdown()` options), never mid-drain.
 */
export type ShutdownErrorCode =
  | 'LBKIT_SHUTDOWN_OPTION_UNKNOWN'
  | 'LBKIT_SHUTDOWN_OPTION_INVALID'
  | 'LBKIT_SHUTDOWN_FACTORY_NOT_CALLED'
  | 'LBKIT_SHUTDOWN_SERVER_INVALID'
  | 'LBKIT_SHUTDOWN_SERVER_ALREADY_ATTACHED'
  | 'LBKIT_SHUTDOWN_DURATION_INVALID'
  | 'LBKIT_SHUTDOWN_SIGNAL_INVALID'
  | 'LBKIT_SHUTDOWN_HOOK_INVALID'
  | 'LBKIT_SHUTDOWN_WEBSOCKET_SERVER_INVALID'
  | 'LBKIT_SHUTDOWN_CLUSTER_NOT_PRIMARY'
  | 'LBKIT_SHUTDOWN_CLUSTER_WORKERS_INVALID'
  | 'LBKIT_SHUTDOWN_CLUSTER_BACKOFF_INVALID'
  | 'LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID'
  | 'LBKIT_SHUTDOWN_CLUSTER_PORT_INVALID'
  | 'LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED'
  | 'LBKIT_SHUTDOWN_BUDGET_DELAY_SHORT'
  | 'LBKIT_SHUTDOWN_BUDGET_OVER_GRACE';
