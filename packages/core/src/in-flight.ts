// In-flight tracking of requests and connections on node:http, https and http2 servers.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { listenTo } from './server-listeners.js';
import { type AnyResponse, type Connection, TrackedConnection } from './tracked-connection.js';
import type {
  AnyServer,
  ConnectionKind,
  ConnectionState,
  InFlightEvents,
  InFlightSnapshot,
} from './types.js';

export type { Connection } from './tracked-connection.js';

type AnyRequest = IncomingMessage | Http2ServerRequest;

/**
 * Told when a request it observes ends (see {@link InFlight.observe}): the shedder's one way to
 * learn of a response's end, sharing InFlight's listener and clock read instead of adding its own.
 */
export interface RequestObserver {
  /** `observation` is what {@link InFlight.observe} returned; `now` is `performance.now()` at the end. */
  requestEnded(observation: Observation, now: number): void;
}

/** One observer's hold on one tracked request. */
export interface Observation {
  /** `performance.now()` when InFlight started tracking the request. */
  readonly at: number;
  /**
   * True when the `observe()` call that returned this hold is what started tracking the request:
   * `at` was read just then, so it is the observer's "now" (one clock read saved per request).
   */
  readonly fresh: boolean;
  /** The observer's own start time of the request (its clock); `at` until it sets one. */
  startedAt: number;
  /** The observer's own value; undefined until it sets one. */
  data: unknown;
}

/** A tracked request: the first observer's hold lives on the entry itself (no allocation for it). */
interface Entry extends Observation {
  readonly on: TrackedConnection | undefined;
  observer: RequestObserver | undefined;
  /** Holds of further observers (two shedders on one route), rare. */
  more: { observer: RequestObserver; observation: Observation }[] | undefined;
}

/**
 * Counts requests and connections in flight, with the age of the oldest request, and knows each
 * connection: the server that accepted it, what it speaks, its requests and its last activity.
 * Shutdown, health, shedding, metrics and balancer-feedback all read these numbers.
 *
 * An HTTP/1 request on an attached server, or tracked with `track()`, costs a note on its
 * connection and nothing on its response (see {@link TrackedConnection}): its end is seen when
 * someone counts (a drain, a metrics scrape, a health report) or the next request starts on that
 * connection. A request is tracked eagerly, with a listener that ends it at once, when someone must
 * hear of its end: an observer (`observe()`, the shedder), `requestStart` / `requestEnd` / `idle`
 * listeners (`idle()` adds one), and HTTP/2 streams. Adding such a listener turns the lazily
 * tracked requests in flight into eager ones. Both ways give the same numbers.
 * Tracking is idempotent, so health, shedding and shutdown may all call `track` on one request.
 */
export class InFlight extends EventEmitter<InFlightEvents> {
  /** Eagerly tracked requests, by response. */
  readonly #started = new Map<AnyResponse, Entry>();
  readonly #connections = new Map<Connection, TrackedConnection>();
  /** Connections that may hold lazily tracked requests in flight (see {@link TrackedConnection}). */
  readonly #holders = new Set<TrackedConnection>();
  /** True while someone listens for request starts and ends: every request is tracked eagerly then. */
  #eager = false;
  /**
   * Set for good once the requests are counted often enough that walking the connections costs more
   * than a listener per request would (a per-response reader such as the ORCA header, under
   * concurrency): every request is tracked eagerly from then on, and counting is O(1) again.
   */
  #countedOften = false;
  /** Requests tracked lazily, and connections walked to count them: what decides {@link #countedOften}. */
  #lazyStarts = 0;
  #walked = 0;
  /** Servers attached, with how many callers hold an attachment: listeners are added once per server. */
  readonly #attached = new WeakMap<AnyServer, { holders: number; detach: () => void }>();
  /** Servers first attached while already listening: they may hold connections never seen. */
  readonly #attachedLate = new WeakSet<AnyServer>();
  /** The 'finish' / 'close' listener of every tracked response; `this` is the response. */
  readonly #responseDone = ((inFlight: InFlight) =>
    function responseDone(this: AnyResponse): void {
      inFlight.#end(this);
    })(this);

  constructor() {
    super();
    // Whoever listens for request ends must hear of each one: lazily tracked requests become eager.
    const self = this as EventEmitter;
    self.on('newListener', (event: string | symbol) => {
      if (event !== 'requestStart' && event !== 'requestEnd' && event !== 'idle') return;
      this.#eager = true;
      this.#makeEager();
    });
    self.on('removeListener', (event: string | symbol) => {
      if (event !== 'requestStart' && event !== 'requestEnd' && event !== 'idle') return;
      const listening =
        this.listenerCount('requestStart') + this.listenerCount('requestEnd') + this.listenerCount('idle');
      this.#eager = this.#countedOften || listening > 0;
    });
  }

  /** Requests whose response has not finished yet. */
  get requests(): number {
    return this.#started.size + this.#lazyRequests();
  }

  /** Open connections known to the tracker. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Age in milliseconds of the oldest request in flight; 0 when none is. */
  oldestRequestMs(now: number = performance.now()): number {
    let oldest = Number.POSITIVE_INFINITY;
    // Eager requests made so from lazy ones join the map late, so its order is not their age.
    for (const { at } of this.#started.values()) if (at < oldest) oldest = at;
    for (const on of this.#holders) {
      const at = on.oldestLazyAt;
      if (at !== undefined && at < oldest) oldest = at;
    }
    return oldest === Number.POSITIVE_INFINITY ? 0 : now - oldest;
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
    return this.#connections.get(connection)?.requests ?? 0;
  }

  /** What is known of one connection, or undefined when it is not (or no longer) open and known. */
  stateOf(connection: Connection): ConnectionState | undefined {
    return this.#connections.get(connection);
  }

  /**
   * Milliseconds since the last activity seen on `connection` (accepted, a request started or
   * ended, bytes received since the previous look); 0 when it is not known.
   */
  quietMs(connection: Connection, now: number = performance.now()): number {
    return this.#connections.get(connection)?.quietMs(now) ?? 0;
  }

  /** Calls `fn` for every open connection with its number of requests in flight and its state. */
  forEachConnection(
    fn: (connection: Connection, activeRequests: number, state: ConnectionState) => void,
  ): void {
    for (const [connection, state] of this.#connections) fn(connection, state.requests, state);
  }

  /** Requests in flight on connections accepted by one of `servers`. */
  requestsOf(servers: Iterable<AnyServer>): number {
    const wanted = new Set(servers);
    let count = 0;
    // Every request on a connection is on its record, however it is tracked.
    for (const state of this.#connections.values())
      if (state.server && wanted.has(state.server)) count += state.requests;
    return count;
  }

  /** Open connections known of `servers`. */
  connectionsOf(servers: Iterable<AnyServer>): number {
    const wanted = new Set(servers);
    let count = 0;
    for (const state of this.#connections.values()) if (state.server && wanted.has(state.server)) count++;
    return count;
  }

  /**
   * Connections of `server` that Node counts and this tracker never saw: only a server attached
   * while it was already listening can have any (sockets accepted before, idle since). Asks
   * `server.getConnections()` only then; resolves 0 for a server attached before `listen()`.
   */
  unseenOf(server: AnyServer): Promise<number> {
    if (!this.#attachedLate.has(server)) return Promise.resolve(0);
    const known = this.connectionsOf([server]);
    return new Promise((resolve) => {
      server.getConnections((error, count) => resolve(error ? 0 : Math.max(0, count - known)));
    });
  }

  /**
   * Starts tracking one request until its response finishes, or closes, or its connection closes.
   * Returns false when the request was already tracked.
   */
  track(req: AnyRequest, res: AnyResponse): boolean {
    return this.#start(req, res, undefined);
  }

  /**
   * Tracks the request like {@link track} and gives `observer` a hold on it, told of its end with
   * the clock read InFlight makes then. Observing again returns the same hold, so a value set on
   * it says the request was seen before (the Express shedder meets a request at the server's
   * `request` event, then again as middleware).
   */
  observe(req: AnyRequest, res: AnyResponse, observer: RequestObserver): Observation {
    const entry = this.#entry(req, res, undefined, true);
    if (entry.observer === undefined) entry.observer = observer;
    if (entry.observer === observer) return entry;
    entry.more ??= [];
    for (const hold of entry.more) if (hold.observer === observer) return hold.observation;
    const observation: Observation = { at: entry.at, fresh: false, startedAt: entry.at, data: undefined };
    entry.more.push({ observer, observation });
    return observation;
  }

  /**
   * Tracks every request and connection of `server` from now on. Connections accepted before this
   * call become known when they carry a request (or are upgraded); idle ones are not counted in
   * `connections`, and {@link unseenOf} asks Node for them. Attaching a server already attached
   * adds no second set of listeners (shutdown, metrics and the application may all attach it); the
   * returned function releases this attachment, and the listeners go when the last one is released.
   */
  attach(server: AnyServer): () => void {
    const known = this.#attached.get(server);
    if (known) known.holders++;
    else {
      if (server.listening) this.#attachedLate.add(server);
      this.#attached.set(server, { holders: 1, detach: this.#listen(server) });
    }
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

  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void> {
    if (this.requests === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', resolve));
  }

  #listen(server: AnyServer): () => void {
    return listenTo(server, {
      request: (req, res, owner) => {
        this.#start(req, res, owner);
      },
      handshake: (socket, owner) => {
        this.#add(socket, owner, 'handshake');
      },
      http1: (socket, owner, raw) => {
        if (raw) this.#forget(raw);
        this.#add(socket, owner, 'http1');
      },
      h2: (session, owner) => {
        this.#add(session, owner, 'h2');
      },
      secured: (raw) => {
        if (raw) this.#forget(raw);
      },
      upgrade: (socket, owner) => {
        this.#add(socket, owner, 'upgraded').kind = 'upgraded';
      },
    });
  }

  /**
   * Starts tracking a request, lazily when nobody needs to hear of its end (an HTTP/1 request on a
   * known socket, no end listener); answers false when it was tracked already.
   */
  #start(req: AnyRequest, res: AnyResponse, server: AnyServer | undefined): boolean {
    if (this.#started.has(res)) return false;
    const socket = (req as IncomingMessage).socket;
    // While eager (no lazily tracked request is left then), a new request gets its entry too.
    if (this.#eager || isHttp2(req) || !socket) {
      this.#entry(req, res, server);
      return true;
    }
    const on = this.#add(socket, server ?? serverOf(socket), 'http1');
    if (on.has(res)) return false;
    // The one clock read of a request start: its age, and the connection's activity.
    if (on.start(res, performance.now(), true)) this.#holders.add(on);
    this.#lazyStarts++;
    this.emit('request', req, res, on);
    return true;
  }

  /**
   * The request's eager entry, made and its end listened for the first time it is seen (taken
   * over from its connection when it was tracked lazily). `fresh` is true on a new entry only.
   */
  #entry(req: AnyRequest, res: AnyResponse, server: AnyServer | undefined, observing = false): Entry {
    const known = this.#started.get(res);
    if (known !== undefined) return known;
    const h2 = isHttp2(req);
    const connection = h2 ? (req.stream.session ?? undefined) : (req as IncomingMessage).socket;
    const on = connection
      ? this.#add(connection, server ?? serverOf(connection), h2 ? 'h2' : 'http1')
      : undefined;
    const lazyAt = h2 ? undefined : on?.takeLazy(res);
    if (lazyAt !== undefined) return this.#adopt(res, on!, lazyAt);
    // The one clock read of a request start: a clock read costs more than the rest of this method.
    const at = performance.now();
    const entry = newEntry(at, observing, on);
    this.#started.set(res, entry);
    on?.start(res, at, false);
    // One listener shared by every response (no closure per request). An HTTP/1 response emits
    // 'close' on the tick after 'finish' (resOnFinish, Node 20 and 24), and on aborts; an HTTP/2
    // response's 'close' waits for its stream, so it is ended on 'finish' too. Not every abort
    // emits it, though: a pipelined response still queued behind another one gets neither when its
    // socket closes (Node 20), which is why the connection's close ends it too.
    if (h2) res.on('finish', this.#responseDone);
    res.on('close', this.#responseDone);
    this.emit('requestStart', this.#started.size);
    this.emit('request', req, res, on);
    return entry;
  }

  /** A lazily tracked request of `on`, started at `at`, tracked eagerly from now on. */
  #adopt(res: AnyResponse, on: TrackedConnection, at: number): Entry {
    const entry = newEntry(at, false, on);
    this.#started.set(res, entry);
    on.adoptEager(res);
    res.on('close', this.#responseDone);
    return entry;
  }

  /** Every lazily tracked request in flight becomes eager (someone now listens for ends). */
  #makeEager(): void {
    const now = performance.now();
    for (const on of this.#holders) for (const [res, at] of on.takeAllLazy(now)) this.#adopt(res, on, at);
    this.#holders.clear();
  }

  /** Lazily tracked requests in flight; connections found with none left are no longer looked at. */
  #lazyRequests(): number {
    let count = 0;
    this.#walked += this.#holders.size;
    for (const on of this.#holders) {
      const n = on.lazyRequests;
      if (n === 0) this.#holders.delete(on);
      count += n;
    }
    // More than a couple of connections walked per request tracked: counting has become the cost.
    if (this.#walked > 64 + 2 * this.#lazyStarts && !this.#countedOften) {
      this.#countedOften = true;
      this.#eager = true;
      this.#makeEager();
    }
    return count;
  }

  #end(res: AnyResponse): void {
    const entry = this.#started.get(res);
    if (!entry) return;
    this.#started.delete(res);
    // One clock read for the connection's activity and every observer.
    const now = performance.now();
    entry.on?.end(res, now);
    entry.observer?.requestEnded(entry, now);
    if (entry.more !== undefined)
      for (const hold of entry.more) hold.observer.requestEnded(hold.observation, now);
    const left = this.#started.size;
    this.emit('requestEnd', left);
    if (left === 0) this.emit('idle');
  }

  #add(connection: Connection, server: AnyServer | undefined, kind: ConnectionKind): TrackedConnection {
    const known = this.#connections.get(connection);
    if (known) return known;
    const state = new TrackedConnection(connection, server, kind);
    this.#connections.set(connection, state);
    connection.once('close', () => {
      if (this.#connections.get(connection) === state) this.#connections.delete(connection);
      this.#holders.delete(state);
      // Lazily tracked requests end with their connection's record; eager ones are ended here.
      for (const res of [...state.eager]) this.#end(res);
    });
    this.emit('connection', state);
    return state;
  }

  /** A TLS handshake is over: its TCP socket is now known as the TLS socket or session on top of it. */
  #forget(raw: Socket): void {
    if (this.#connections.get(raw)?.kind === 'handshake') this.#connections.delete(raw);
  }
}

/** An eager entry started at `at`; every entry has this one shape. */
function newEntry(at: number, fresh: boolean, on: TrackedConnection | undefined): Entry {
  return { at, fresh, startedAt: at, data: undefined, on, observer: undefined, more: undefined };
}

/** An HTTP/2 compat request: it exposes a proxy as `socket`, and its stream's session is the stable identity. */
function isHttp2(req: AnyRequest): req is Http2ServerRequest {
  // An own field of every HTTP/1 request (one property load), a getter answering 2 on HTTP/2 ones.
  return req.httpVersionMajor === 2 && 'stream' in req && req.stream !== undefined && req.stream !== null;
}

/** The server that accepted a connection tracked by hand (net.Socket#server, ServerHttp2Session#server). */
function serverOf(connection: Connection): AnyServer | undefined {
  return ((connection as { server?: AnyServer }).server ?? undefined) as AnyServer | undefined;
}
