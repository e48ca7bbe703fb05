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
  /** Open connections known to the tracker (TCP/TLS sockets, upgraded sockets, HTTP/2 sessions). */
  readonly connections: number;
  /** Age of the oldest request in flight, in milliseconds; 0 when none is. */
  readonly oldestRequestMs: number;
}

/**
 * What a connection speaks, as InFlight sees it:
 * - `handshake`: a TCP connection of a TLS server whose handshake has not finished (no request yet);
 * - `http1`: a TCP or TLS socket carrying HTTP/1.x (on http, https, or http2 with `allowHTTP1`);
 * - `h2`: an HTTP/2 session, whose streams are its requests;
 * - `upgraded`: a socket handed to an `'upgrade'` listener (WebSocket and other protocols).
 */
export type ConnectionKind = 'handshake' | 'http1' | 'h2' | 'upgraded';

/** One open connection as `InFlight` knows it; a live view, updated as requests start and end. */
export interface ConnectionState {
  /** The socket (`handshake`, `http1`, `upgraded`) or HTTP/2 session (`h2`). */
  readonly connection: import('node:net').Socket | import('node:http2').Http2Session;
  /** The server that accepted it; undefined only for a request tracked by hand on a socket no server claims. */
  readonly server: AnyServer | undefined;
  /** What it speaks now (an `http1` socket becomes `upgraded`). */
  readonly kind: ConnectionKind;
  /** Requests in flight on it: HTTP/1 requests, or the streams of an HTTP/2 session. */
  readonly requests: number;
  /** Their responses, oldest first. */
  readonly responses: ReadonlySet<
    import('node:http').ServerResponse | import('node:http2').Http2ServerResponse
  >;
  /** The client sent an HTTP/1 request before the previous one on this socket was answered. */
  readonly pipelined: boolean;
  /** `performance.now()` of the last activity seen: accepted, a request started or ended, bytes received. */
  readonly lastActivity: number;
}

/** Events of an `InFlight` tracker. */
export interface InFlightEvents {
  /** A request started; the argument is the number in flight after it. */
  requestStart: [number];
  /** A request ended (its response finished or its connection closed); the number still in flight. */
  requestEnd: [number];
  /** The last request in flight ended. */
  idle: [];
  /**
   * A request started being tracked, on `connection` (undefined when Node gave it none). On an
   * attached server this is emitted before the application's `'request'` listeners run.
   */
  request: [
    req: import('node:http').IncomingMessage | import('node:http2').Http2ServerRequest,
    res: import('node:http').ServerResponse | import('node:http2').Http2ServerResponse,
    connection: ConnectionState | undefined,
  ];
  /** A connection became known: accepted on an attached server, or first seen carrying a request. */
  connection: [ConnectionState];
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
