// Public types of @lbkit/core.

/**
 * Where an instance is in its life, in the balancer's vocabulary:
 * - `starting`: not ready for traffic yet (startup and readiness probes fail);
 * - `ready`: serving;
 * - `draining`: leaving the pool: readiness fails, in-flight work finishes;
 * - `stopped`: nothing more is accepted.
 */
export type LifecycleState = 'starting' | 'ready' | 'draining' | 'stopped';

/** One change of {@link LifecycleState}, as emitted on the `transition` event. */
export interface LifecycleTransition {
  /** State before the change. */
  readonly from: LifecycleState;
  /** State after the change. */
  readonly to: LifecycleState;
  /** `performance.now()` at the change, in milliseconds. */
  readonly at: number;
  /** Why it changed (for example `SIGTERM`), when the caller said. */
  readonly reason: string | undefined;
}

/** Events of a {@link Lifecycle}: `transition` for every change, plus one event named after each state. */
export interface LifecycleEvents {
  transition: [LifecycleTransition];
  starting: [LifecycleTransition];
  ready: [LifecycleTransition];
  draining: [LifecycleTransition];
  stopped: [LifecycleTransition];
}

/** A snapshot of what is in flight, for probes, metrics and shedding decisions. */
export interface InFlightSnapshot {
  /** Requests (HTTP/1 requests and HTTP/2 streams) whose response has not finished. */
  readonly requests: number;
  /** Open connections known to the tracker (TCP/TLS sockets and HTTP/2 sessions). */
  readonly connections: number;
  /** Age of the oldest request in flight, in milliseconds; 0 when none is. */
  readonly oldestRequestMs: number;
}

/** Events of an `InFlight` tracker. */
export interface InFlightEvents {
  /** A request started; the argument is the number in flight after it. */
  requestStart: [number];
  /** A request ended (its response finished or its connection closed); the number still in flight. */
  requestEnd: [number];
  /** The last request in flight ended. */
  idle: [];
}

/** Anything that is an HTTP server lbkit can attach to: node:http, node:https or node:http2. */
export type AnyServer =
  | import('node:http').Server
  | import('node:https').Server
  | import('node:http2').Http2Server
  | import('node:http2').Http2SecureServer;

/** Stable error codes of @lbkit/core (see the README for meaning and fix). */
export type CoreErrorCode =
  | 'LBKIT_CORE_LIFECYCLE_BACKWARDS'
  | 'LBKIT_CORE_OPTION_UNKNOWN'
  | 'LBKIT_CORE_OPTION_INVALID'
  | 'LBKIT_CORE_FACTORY_NOT_CALLED';
