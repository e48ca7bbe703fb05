// What a shutdown does to the connections of its servers, as @lbkit/core's InFlight knows them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as HttpServer } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { ConnectionState, InFlight } from '@lbkit/core';
import type { ShutdownServer } from './types.js';

/**
 * A socket that has carried nothing for this long, with no byte received since, is idle enough to
 * close. The bytes check is what keeps the close from racing a request: a request whose first
 * bytes have arrived, even partially, makes the socket active again. The grace covers sockets just
 * accepted whose first request is still on the wire (Go's http.Server waits on new connections for
 * the same reason).
 */
export const IDLE_GRACE_MS = 100;

type AnyResponse = ServerResponse | Http2ServerResponse;

/**
 * The actions of one shutdown on the connections of its servers: retiring keep-alive, GOAWAY, the
 * idle sweep and the force. It keeps no record of its own: which connection belongs to which
 * server, what it speaks, its requests and its last activity are read from `inFlight`, the numbers
 * health, shedding, metrics and balancer-feedback read too.
 */
export class ConnectionActions {
  readonly #servers: ReadonlySet<ShutdownServer>;
  readonly #undo: Array<() => void> = [];
  #retiring = false;
  #goingAway = false;

  constructor(
    readonly inFlight: InFlight,
    readonly servers: readonly ShutdownServer[],
  ) {
    this.#servers = new Set(servers);
    const onConnection = (state: ConnectionState): void => {
      if (this.#goingAway && state.kind === 'h2' && this.#owns(state))
        closeSession(state.connection as Http2Session);
    };
    inFlight.on('connection', onConnection);
    this.#undo.push(() => inFlight.off('connection', onConnection));
  }

  /** HTTP/1 requests and HTTP/2 streams of these servers whose response has neither finished nor closed. */
  get unanswered(): number {
    return this.inFlight.requestsOf(this.servers);
  }

  /** Connections of these servers that InFlight knows (handshakes, sockets, upgraded ones, sessions). */
  get known(): number {
    return this.inFlight.connectionsOf(this.servers);
  }

  /** Connections Node counts on these servers that InFlight never saw (accepted before it was attached). */
  async unseen(): Promise<Map<ShutdownServer, number>> {
    const counts = await Promise.all(this.servers.map((server) => this.inFlight.unseenOf(server)));
    return new Map(this.servers.map((server, i) => [server, counts[i] ?? 0]));
  }

  /**
   * From now on every HTTP/1 response carries `Connection: close` (so its socket closes once it is
   * sent) and every HTTP/2 session gets GOAWAY when its next stream starts.
   */
  retireKeepAlive(): void {
    if (this.#retiring) return;
    this.#retiring = true;
    // Requests are looked at from here on only: before the drain, a request costs shutdown nothing.
    const onRequest = (
      req: IncomingMessage | Http2ServerRequest,
      res: AnyResponse,
      on?: ConnectionState,
    ): void => this.#onRequest(req, res, on);
    this.inFlight.on('request', onRequest);
    this.#undo.push(() => this.inFlight.off('request', onRequest));
    this.#forEach((state) => {
      if (state.kind !== 'http1') return;
      for (const res of state.responses) {
        retire(res as ServerResponse);
        this.#keepPipelinedOpen(res as ServerResponse, state);
      }
    });
  }

  /**
   * From now on `closeIdleConnections()` and `closeAllConnections()` of the HTTP/1 servers do
   * nothing, until {@link dispose}: the drain closes idle sockets itself and forces at its deadline.
   * Node's `http.Server#close()` calls `closeIdleConnections()` (Node 19+, the same on 20 and 24),
   * which takes a socket for idle when its parser sits between two requests and the response on it
   * has called `end()`, even while it waits for a slow reader to take the bytes and hundreds of
   * pipelined responses are queued behind it; Fastify's `close()` goes through it, and through
   * `closeAllConnections()` with `forceCloseConnections: true` (issue #14).
   */
  holdServerCloses(): void {
    for (const server of this.servers) {
      if (!hasIdleClose(server) || Object.hasOwn(server, 'closeIdleConnections')) continue;
      const noop = (): void => {};
      for (const name of ['closeIdleConnections', 'closeAllConnections'] as const) {
        Object.defineProperty(server, name, { value: noop, configurable: true, writable: true });
      }
      this.#undo.push(() => {
        if (server.closeIdleConnections === noop)
          delete (server as { closeIdleConnections?: unknown }).closeIdleConnections;
        if (server.closeAllConnections === noop)
          delete (server as { closeAllConnections?: unknown }).closeAllConnections;
      });
    }
  }

  /** Sends GOAWAY to every HTTP/2 session; open streams finish, new ones are refused. */
  goAway(): void {
    this.retireKeepAlive();
    this.#goingAway = true;
    this.#forEach((state) => {
      if (state.kind === 'h2') closeSession(state.connection as Http2Session);
    });
  }

  /**
   * Closes HTTP/1 sockets that carry no response, have received nothing since they became idle, and
   * have been idle for at least {@link IDLE_GRACE_MS}. `unseen` counts, per server, connections
   * accepted before InFlight was attached: they are left to Node's `closeIdleConnections()` once no
   * known socket of that server remains.
   */
  sweep(unseen: ReadonlyMap<ShutdownServer, number>, now = performance.now()): void {
    const known = new Map<ShutdownServer, number>();
    this.#forEach((state) => {
      const server = state.server as ShutdownServer;
      known.set(server, (known.get(server) ?? 0) + 1);
      if (state.kind !== 'http1' || state.requests > 0) return;
      if (this.inFlight.quietMs(state.connection, now) >= IDLE_GRACE_MS) state.connection.destroy();
    });
    for (const [server, count] of unseen) {
      if (count > 0 && !known.get(server) && hasIdleClose(server))
        HttpServer.prototype.closeIdleConnections.call(server);
    }
  }

  /** Destroys every known connection of these servers, and every HTTP/1 connection Node knows of. */
  force(): void {
    this.#forEach((state) => state.connection.destroy());
    for (const server of this.servers)
      if (hasIdleClose(server)) HttpServer.prototype.closeAllConnections.call(server);
  }

  /** Removes every listener this shutdown added, and gives the servers their close methods back. */
  dispose(): void {
    for (const undo of this.#undo.splice(0)) undo();
  }

  #onRequest(
    req: IncomingMessage | Http2ServerRequest,
    res: AnyResponse,
    on: ConnectionState | undefined,
  ): void {
    if (!on || !this.#owns(on)) return;
    if (on.kind === 'h2') {
      closeSession(on.connection as Http2Session);
      return;
    }
    if (req.httpVersionMajor >= 2) return;
    const http1 = res as ServerResponse;
    retire(http1);
    this.#keepPipelinedOpen(http1, on);
  }

  /**
   * Before Node's own 'finish' listener, which ends the socket after a `Connection: close` response
   * and drops every response queued behind it, although their requests were accepted and handled
   * (Node does not stop parsing after such a response). On a pipelining socket the sweep closes the
   * socket instead, once nothing is queued and nothing more has arrived. Added to the responses of
   * a retiring drain only: those in flight when it begins, and those started after.
   */
  #keepPipelinedOpen(res: ServerResponse, on: ConnectionState): void {
    if (res.writableFinished) return;
    res.prependOnceListener('finish', () => {
      if (on.pipelined) keepOpen(res);
    });
  }

  #owns(state: ConnectionState): boolean {
    return state.server !== undefined && this.#servers.has(state.server as ShutdownServer);
  }

  #forEach(fn: (state: ConnectionState) => void): void {
    const mine: ConnectionState[] = [];
    this.inFlight.forEachConnection((_connection, _requests, state) => {
      if (this.#owns(state)) mine.push(state);
    });
    // Collected first: destroying a connection may remove it from InFlight during the walk.
    for (const state of mine) fn(state);
  }
}

/**
 * `Connection: close` makes Node end the socket once this response is sent (it sets `_last`); a
 * response whose headers already went out as keep-alive is closed by the idle sweep instead.
 */
function retire(res: ServerResponse): void {
  if (!res.headersSent && !res.writableEnded) res.setHeader('Connection', 'close');
}

/** Clears Node's internal "last response on this socket" flag (`_last`, read by resOnFinish in Node 20 and 24). */
function keepOpen(res: ServerResponse): void {
  (res as ServerResponse & { _last?: boolean })._last = false;
}

function closeSession(session: Http2Session): void {
  // close() sends GOAWAY with the last stream it processed: streams in flight finish, and clients
  // know later ones were not processed, so they may retry them elsewhere.
  if (!session.closed && !session.destroyed) session.close();
}

function hasIdleClose(server: ShutdownServer): server is HttpServer | HttpsServer {
  return server instanceof HttpServer || server instanceof HttpsServer;
}
