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

/**
 * The live record behind a {@link ConnectionState}: only InFlight writes to it.
 *
 * A request is tracked one of two ways. **Eagerly**, with a listener on its response that ends it
 * at once (InFlight's entry, `responses` here): when someone must hear of its end (an observer such
 * as the shedder, `requestEnd`/`idle` listeners, a drain under way). **Lazily**, with nothing on the
 * response: it is only listed here, with its start time, and counted as ended once its response has
 * closed (`destroyed`), which is looked at when someone reads the connection (a metrics scrape, the
 * drain's sweep) or the next request starts on it. That is http-terminator's price (nothing per
 * request but a note on the connection) with the same numbers as the eager way.
 */
export class TrackedConnection implements ConnectionState {
  /** Eagerly tracked responses, removed by InFlight when they close. */
  readonly #eager = new Set<AnyResponse>();
  /** The oldest lazily tracked response not seen closed, and its start time (one field: no allocation). */
  #lazy: AnyResponse | undefined = undefined;
  #lazyAt = 0;
  /** Lazily tracked responses after it (pipelined requests) with their start times, oldest first; rare. */
  #later: Map<AnyResponse, number> | undefined = undefined;
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
    return this.#eager.size + this.lazyRequests;
  }

  /** Every response in flight on this connection, lazily tracked ones first, then the eager ones. */
  get responses(): ReadonlySet<AnyResponse> {
    if (this.lazyRequests === 0) return this.#eager;
    const all = new Set<AnyResponse>();
    if (this.#lazy !== undefined) all.add(this.#lazy);
    for (const res of this.#later?.keys() ?? []) all.add(res);
    for (const res of this.#eager) all.add(res);
    return all;
  }

  /** Eagerly tracked responses in flight (InFlight ends them itself). */
  get eager(): ReadonlySet<AnyResponse> {
    return this.#eager;
  }

  /** Lazily tracked requests in flight. */
  get lazyRequests(): number {
    if (this.#lazy === undefined) return 0;
    if (closed(this.#lazy)) this.#prune(undefined);
    return this.#lazy === undefined ? 0 : 1 + (this.#later?.size ?? 0);
  }

  /** Start time of the oldest lazily tracked request still in flight, or undefined. */
  get oldestLazyAt(): number | undefined {
    return this.lazyRequests > 0 ? this.#lazyAt : undefined;
  }

  /** True when `res` is tracked on this connection, either way. */
  has(res: AnyResponse): boolean {
    return this.#lazy === res || this.#eager.has(res) || (this.#later?.has(res) ?? false);
  }

  /**
   * Records a request starting on this connection at `now` (`performance.now()`, read once by the
   * caller), eagerly or lazily; a second one before the first is answered is pipelining. Answers
   * true when it is lazily tracked and no other lazily tracked request was in flight here.
   */
  start(res: AnyResponse, now: number, lazy: boolean): boolean {
    // The request before it on a keep-alive connection has usually ended: let it go first.
    if (this.#lazy !== undefined && closed(this.#lazy)) this.#prune(now);
    if (this.kind === 'http1' && (this.#lazy !== undefined || this.#eager.size > 0)) this.pipelined = true;
    this.#bytesRead = bytesRead(this.connection);
    this.lastActivity = now;
    if (!lazy) {
      this.#eager.add(res);
      return false;
    }
    if (this.#lazy === undefined) {
      this.#lazy = res;
      this.#lazyAt = now;
      return true;
    }
    this.#later ??= new Map();
    this.#later.set(res, now);
    return false;
  }

  /** Records the end of an eagerly tracked request at `now` (`performance.now()`, read once by the caller). */
  end(res: AnyResponse, now: number = performance.now()): void {
    if (this.#eager.delete(res)) this.lastActivity = now;
  }

  /**
   * Takes `res` off the lazy list to be tracked eagerly from now on; answers its start time, or
   * undefined when it is not lazily tracked here (or has ended already).
   */
  takeLazy(res: AnyResponse): number | undefined {
    if (this.#lazy === res) {
      const at = this.#lazyAt;
      this.#shift();
      return at;
    }
    const at = this.#later?.get(res);
    if (at !== undefined) this.#later!.delete(res);
    return at;
  }

  /** `res`, taken off the lazy list, is tracked eagerly from now on (no activity: it started earlier). */
  adoptEager(res: AnyResponse): void {
    this.#eager.add(res);
  }

  /** Lazily tracked responses not closed yet, with their start times (to be tracked eagerly). */
  takeAllLazy(now: number): Array<[AnyResponse, number]> {
    const taken: Array<[AnyResponse, number]> = [];
    if (this.#lazy !== undefined && closed(this.#lazy)) this.#prune(now);
    if (this.#lazy !== undefined) taken.push([this.#lazy, this.#lazyAt]);
    for (const [res, at] of this.#later ?? []) if (!closed(res)) taken.push([res, at]);
    this.#lazy = undefined;
    this.#later = undefined;
    return taken;
  }

  /**
   * Milliseconds since the last activity. Bytes received since the last look count as activity
   * (the HTTP parser reads the socket's handle directly, so there is no 'data' event to listen to):
   * a request whose first bytes have arrived, even partially, makes the connection active again. A
   * lazily tracked response found closed ended at some moment since the last look, unknown: it
   * counts as activity now, so an idle sweep waits its full grace after it.
   */
  quietMs(now: number): number {
    if (this.#lazy !== undefined && closed(this.#lazy)) this.#prune(now);
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

  /**
   * Drops the lazily tracked responses that have closed, oldest first: HTTP/1 answers a
   * connection's requests in order, so none ends before the ones ahead of it. Each ended at some
   * moment since the last look, unknown: that counts as activity at `now` (read only then).
   */
  #prune(now: number | undefined): void {
    while (this.#lazy !== undefined && closed(this.#lazy)) this.#shift();
    this.lastActivity = now ?? performance.now();
  }

  #shift(): void {
    const later = this.#later;
    const next = later?.entries().next().value;
    if (next === undefined) {
      this.#lazy = undefined;
      this.#later = undefined;
      return;
    }
    [this.#lazy, this.#lazyAt] = next;
    later!.delete(next[0]);
  }
}

/** A response is done once it has closed: finished and flushed, or aborted (`destroyed`, set with 'close'). */
function closed(res: AnyResponse): boolean {
  return (res as { destroyed?: boolean }).destroyed === true;
}

function bytesRead(connection: Connection): number {
  return 'bytesRead' in connection ? connection.bytesRead : (connection.socket?.bytesRead ?? 0);
}
