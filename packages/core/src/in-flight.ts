// In-flight tracking of requests and connections on node:http, https and http2 servers.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as HttpServer } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AnyServer, InFlightEvents, InFlightSnapshot } from './types.js';

/** A connection as tracked: a TCP/TLS socket (HTTP/1) or an HTTP/2 session. */
export type Connection = Socket | Http2Session;

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

/**
 * Counts requests and connections in flight, with the age of the oldest request.
 *
 * Requests are keyed by their response object and kept in a Map, whose insertion order makes the
 * oldest request the first entry: `oldestRequestMs()` is O(1) and tracking allocates one entry.
 * Tracking is idempotent, so health, shedding and shutdown may all call `track` on one request.
 */
export class InFlight extends EventEmitter<InFlightEvents> {
  readonly #started = new Map<AnyResponse, number>();
  /** The requests in flight on each open connection; an empty set is an idle connection. */
  readonly #connections = new Map<Connection, Set<AnyResponse>>();
  /** Servers attached, with how many callers hold an attachment: listeners are added once per server. */
  readonly #attached = new WeakMap<AnyServer, { holders: number; detach: () => void }>();

  /** Requests whose response has not finished yet. */
  get requests(): number {
    return this.#started.size;
  }

  /** Open connections known to the tracker. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Age in milliseconds of the oldest request in flight; 0 when none is. */
  oldestRequestMs(now: number = performance.now()): number {
    for (const started of this.#started.values()) return now - started;
    return 0;
  }

  /** Requests, connections and oldest age in one read. */
  snapshot(): InFlightSnapshot {
    return {
      requests: this.requests,
      connections: this.connections,
      oldestRequestMs: this.oldestRequestMs(),
    };
  }

  /** Number of requests in flight on one connection (0 when idle or unknown). */
  activeOn(connection: Connection): number {
    return this.#connections.get(connection)?.size ?? 0;
  }

  /** Calls `fn` for every open connection with its number of requests in flight. */
  forEachConnection(fn: (connection: Connection, activeRequests: number) => void): void {
    for (const [connection, active] of this.#connections) fn(connection, active.size);
  }

  /**
   * Starts tracking one request until its response finishes, or closes, or its connection closes.
   * Returns false when the request was already tracked.
   */
  track(req: AnyRequest, res: AnyResponse): boolean {
    if (this.#started.has(res)) return false;
    this.#started.set(res, performance.now());
    const connection = connectionOf(req);
    if (connection) this.#addConnection(connection).add(res);
    const end = (): void => this.#end(res, connection);
    // 'close' follows 'finish' on both HTTP/1 and HTTP/2 responses, and also fires on aborts. Not
    // on every abort, though: a pipelined response still queued behind another one gets neither
    // when its socket closes (Node 20), which is why the connection's close ends it too.
    res.once('finish', end);
    res.once('close', end);
    this.emit('requestStart', this.#started.size);
    return true;
  }

  /**
   * Tracks every request and connection of `server` from now on. Connections accepted before this
   * call become known when they carry a request. Attaching a server already attached adds no second
   * set of listeners (shutdown, metrics and the application may all attach it); the returned function
   * releases this attachment, and the listeners go when the last one is released.
   */
  attach(server: AnyServer): () => void {
    const known = this.#attached.get(server);
    if (known) known.holders++;
    else this.#attached.set(server, { holders: 1, detach: this.#listen(server) });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const entry = this.#attached.get(server);
      if (!entry || --entry.holders > 0) return;
      this.#attached.delete(server);
      entry.detach();
    };
  }

  #listen(server: AnyServer): () => void {
    const onRequest = (req: AnyRequest, res: AnyResponse): void => {
      this.track(req, res);
    };
    const onConnection = (connection: Connection): void => {
      this.#addConnection(connection);
    };
    // https and http2 hand out raw TCP sockets on 'connection'; requests run on the TLS socket or session.
    const connectionEvent =
      server instanceof HttpServer
        ? 'connection'
        : server instanceof HttpsServer
          ? 'secureConnection'
          : 'session';
    const emitter = server as unknown as EventEmitter;
    emitter.prependListener('request', onRequest);
    emitter.on(connectionEvent, onConnection);
    return () => {
      emitter.off('request', onRequest);
      emitter.off(connectionEvent, onConnection);
    };
  }

  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void> {
    if (this.#started.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', resolve));
  }

  #end(res: AnyResponse, connection: Connection | undefined): void {
    if (!this.#started.delete(res)) return;
    if (connection) this.#connections.get(connection)?.delete(res);
    const left = this.#started.size;
    this.emit('requestEnd', left);
    if (left === 0) this.emit('idle');
  }

  #addConnection(connection: Connection): Set<AnyResponse> {
    const known = this.#connections.get(connection);
    if (known) return known;
    const active = new Set<AnyResponse>();
    this.#connections.set(connection, active);
    connection.once('close', () => {
      this.#connections.delete(connection);
      for (const res of active) this.#end(res, undefined);
    });
    return active;
  }
}

function connectionOf(req: AnyRequest): Connection | undefined {
  // HTTP/2 compat requests expose a proxy as `socket`; the session is the stable identity.
  if ('stream' in req && req.stream) return req.stream.session ?? undefined;
  return (req as IncomingMessage).socket ?? undefined;
}
