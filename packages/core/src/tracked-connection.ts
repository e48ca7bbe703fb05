// One connection as InFlight knows it: which server accepted it, what it speaks, its requests and activity.
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AnyServer, ConnectionKind, ConnectionState } from './types.js';

/** A connection as tracked: a TCP/TLS socket (HTTP/1, upgraded, TLS handshake) or an HTTP/2 session. */
export type Connection = Socket | Http2Session;

/** A response of a request in flight (HTTP/1 response or HTTP/2 compat response of a stream). */
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** The live record behind a {@link ConnectionState}: only InFlight writes to it. */
export class TrackedConnection implements ConnectionState {
  readonly responses = new Set<AnyResponse>();
  pipelined = false;
  lastActivity = performance.now();
  #bytesRead: number;

  constructor(
    readonly connection: Connection,
    readonly server: AnyServer | undefined,
    public kind: ConnectionKind,
  ) {
    this.#bytesRead = bytesRead(connection);
  }

  get requests(): number {
    return this.responses.size;
  }

  /**
   * Records a request starting on this connection at `now` (`performance.now()`, read once by the
   * caller); a second one before the first is answered is pipelining.
   */
  start(res: AnyResponse, now: number = performance.now()): void {
    if (this.kind === 'http1' && this.responses.size > 0) this.pipelined = true;
    this.responses.add(res);
    this.#bytesRead = bytesRead(this.connection);
    this.lastActivity = now;
  }

  /** Records the end of a request at `now` (`performance.now()`, read once by the caller). */
  end(res: AnyResponse, now: number = performance.now()): void {
    if (this.responses.delete(res)) this.lastActivity = now;
  }

  /**
   * Milliseconds since the last activity. Bytes received since the last look count as activity
   * (the HTTP parser reads the socket's handle directly, so there is no 'data' event to listen to):
   * a request whose first bytes have arrived, even partially, makes the connection active again.
   */
  quietMs(now: number): number {
    const read = bytesRead(this.connection);
    if (read !== this.#bytesRead) {
      this.#bytesRead = read;
      this.lastActivity = now;
    }
    return now - this.lastActivity;
  }

  /** Counted from here: bytes read later, or the start of a next request, are activity at the next look. */
  touch(): void {
    this.#bytesRead = bytesRead(this.connection);
    this.lastActivity = performance.now();
  }
}

function bytesRead(connection: Connection): number {
  return 'bytesRead' in connection ? connection.bytesRead : (connection.socket?.bytesRead ?? 0);
}
