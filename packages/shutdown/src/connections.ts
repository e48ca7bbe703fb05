// Tracks every socket, HTTP/2 session, response and upgraded connection of the servers being drained.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as HttpServer } from 'node:http';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { ShutdownServer } from './types.js';

/**
 * A socket that has carried nothing for this long, with no byte received since, is idle enough to
 * close. The bytes check is what keeps the close from racing a request: a request whose first
 * bytes have arrived, even partially, makes the socket active again. The grace covers sockets just
 * accepted whose first request is still on the wire (Go's http.Server waits on new connections for
 * the same reason).
 */
export const IDLE_GRACE_MS = 100;

interface SocketRecord {
  readonly server: ShutdownServer;
  readonly responses: Set<ServerResponse>;
  upgraded: boolean;
  /** The client has sent a request before the previous one was answered. */
  pipelined: boolean;
  bytesRead: number;
  lastActivity: number;
}

/**
 * The connections of the servers under one shutdown. Sockets accepted before `attach` become known
 * when they carry a request; idle HTTP/1 sockets never seen are left to Node's own connection list
 * (`closeIdleConnections()` / `closeAllConnections()`).
 */
export class ConnectionRegistry {
  readonly #sockets = new Map<Socket, SocketRecord>();
  readonly #sessions = new Map<Http2Session, ShutdownServer>();
  readonly #detach: Array<() => void> = [];
  #retiring = false;
  #goingAway = false;

  constructor(readonly servers: readonly ShutdownServer[]) {
    for (const server of servers) this.#attach(server);
  }

  /** Sockets (HTTP/1 and upgraded) and HTTP/2 sessions known right now. */
  get size(): number {
    return this.#sockets.size + this.#sessions.size;
  }

  /** HTTP/1 requests accepted ('request' emitted) whose response has not finished or closed. */
  get unanswered(): number {
    let count = 0;
    for (const record of this.#sockets.values()) count += record.responses.size;
    return count;
  }

  /** Upgraded connections (WebSockets and others) still open. */
  get upgraded(): number {
    let count = 0;
    for (const record of this.#sockets.values()) if (record.upgraded) count++;
    return count;
  }

  /**
   * From now on every HTTP/1 response carries `Connection: close` (so its socket closes once it is
   * sent) and every HTTP/2 session gets GOAWAY when its next stream starts.
   */
  retireKeepAlive(): void {
    if (this.#retiring) return;
    this.#retiring = true;
    for (const record of this.#sockets.values()) for (const res of record.responses) retire(res);
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
      Object.defineProperty(server, 'closeIdleConnections', {
        value: noop,
        configurable: true,
        writable: true,
      });
      Object.defineProperty(server, 'closeAllConnections', {
        value: noop,
        configurable: true,
        writable: true,
      });
      this.#detach.push(() => {
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
    for (const session of this.#sessions.keys()) closeSession(session);
  }

  /**
   * Closes HTTP/1 sockets that carry no response, have received nothing since they became idle, and
   * have been idle for at least {@link IDLE_GRACE_MS}. `open` is Node's count of connections per
   * server: any beyond the known ones were accepted before attach, and are left to Node's
   * `closeIdleConnections()` once no known socket of that server remains.
   */
  sweep(open: ReadonlyMap<ShutdownServer, number>, now = performance.now()): void {
    const known = new Map<ShutdownServer, number>();
    for (const [socket, record] of this.#sockets) {
      known.set(record.server, (known.get(record.server) ?? 0) + 1);
      if (record.upgraded || record.responses.size > 0) continue;
      if (socket.bytesRead !== record.bytesRead) {
        record.bytesRead = socket.bytesRead;
        record.lastActivity = now;
        continue;
      }
      if (now - record.lastActivity >= IDLE_GRACE_MS) socket.destroy();
    }
    for (const owner of this.#sessions.values()) known.set(owner, (known.get(owner) ?? 0) + 1);
    for (const [server, count] of open) {
      if (count > 0 && !known.get(server) && hasIdleClose(server))
        HttpServer.prototype.closeIdleConnections.call(server);
    }
  }

  /** Destroys every known connection, and every HTTP/1 connection Node knows of. */
  force(): void {
    for (const session of this.#sessions.keys()) session.destroy();
    for (const socket of this.#sockets.keys()) socket.destroy();
    for (const server of this.servers)
      if (hasIdleClose(server)) HttpServer.prototype.closeAllConnections.call(server);
  }

  /** Removes every listener this registry added to the servers. */
  dispose(): void {
    for (const detach of this.#detach.splice(0)) detach();
  }

  #attach(server: ShutdownServer): void {
    const emitter = server as unknown as EventEmitter;
    const on = <A extends unknown[]>(
      event: string,
      listener: (...args: A) => void,
      prepend = false,
    ): void => {
      const fn = listener as unknown as (...args: unknown[]) => void;
      if (prepend) emitter.prependListener(event, fn);
      else emitter.on(event, fn);
      this.#detach.push(() => emitter.off(event, fn));
    };
    const isHttp1 = server instanceof HttpServer || server instanceof HttpsServer;
    if (server instanceof HttpServer) {
      on('connection', (socket: Socket) => this.#addSocket(socket, server));
    } else {
      // TLS servers: the request runs on the TLS socket; HTTP/2 ones hand h2 sockets to a session.
      on('secureConnection', (socket: TLSSocket) => {
        if (isHttp1 || socket.alpnProtocol !== 'h2') this.#addSocket(socket, server);
      });
    }
    if (!isHttp1) {
      on('session', (session: Http2Session) => this.#addSession(session, server));
      on('stream', (stream: ServerHttp2Stream) => {
        const session = stream.session;
        if (!session) return;
        this.#addSession(session, server);
        if (this.#retiring) closeSession(session);
      });
    }
    on(
      'request',
      (req: IncomingMessage, res: ServerResponse) => {
        if (req.httpVersionMajor >= 2) return;
        this.#trackResponse(req.socket, res, server);
      },
      true,
    );
    this.#mirrorUpgradeListeners(server, emitter);
  }

  /**
   * Node treats a request with `Upgrade` as an upgrade only when the server has 'upgrade'
   * listeners, so ours is present exactly while someone else's is: tracking must not change that.
   */
  #mirrorUpgradeListeners(server: ShutdownServer, emitter: EventEmitter): void {
    let mirrored = false;
    const onUpgrade = (_req: IncomingMessage, socket: Socket): void => {
      const record = this.#addSocket(socket, server);
      record.upgraded = true;
      record.responses.clear();
    };
    const sync = (): void => {
      const others = emitter.listeners('upgrade').filter((l) => l !== onUpgrade).length;
      if (others > 0 && !mirrored) {
        mirrored = true;
        emitter.prependListener('upgrade', onUpgrade);
      } else if (others === 0 && mirrored) {
        mirrored = false;
        emitter.off('upgrade', onUpgrade);
      }
    };
    // 'newListener' fires before the listener is added: look once it is there.
    const onNewListener = (event: string | symbol): void => {
      if (event === 'upgrade') queueMicrotask(sync);
    };
    const onRemoveListener = (event: string | symbol): void => {
      if (event === 'upgrade') sync();
    };
    emitter.on('newListener', onNewListener);
    emitter.on('removeListener', onRemoveListener);
    sync();
    this.#detach.push(() => {
      emitter.off('newListener', onNewListener);
      emitter.off('removeListener', onRemoveListener);
      if (mirrored) emitter.off('upgrade', onUpgrade);
    });
  }

  #addSocket(socket: Socket, server: ShutdownServer): SocketRecord {
    const known = this.#sockets.get(socket);
    if (known) return known;
    const record: SocketRecord = {
      server,
      responses: new Set(),
      upgraded: false,
      pipelined: false,
      bytesRead: socket.bytesRead,
      lastActivity: performance.now(),
    };
    this.#sockets.set(socket, record);
    socket.once('close', () => this.#sockets.delete(socket));
    return record;
  }

  #addSession(session: Http2Session, server: ShutdownServer): void {
    if (this.#sessions.has(session)) return;
    this.#sessions.set(session, server);
    session.once('close', () => this.#sessions.delete(session));
    if (this.#goingAway) closeSession(session);
  }

  #trackResponse(socket: Socket, res: ServerResponse, server: ShutdownServer): void {
    const record = this.#addSocket(socket, server);
    if (record.responses.size > 0) record.pipelined = true;
    record.responses.add(res);
    // Counted from the request head: body bytes read later, or the start of a next request, count as
    // activity at the next sweep, which only ever delays the close.
    record.bytesRead = socket.bytesRead;
    record.lastActivity = performance.now();
    if (this.#retiring) retire(res);
    // Before Node's own 'finish' listener, which ends the socket after a `Connection: close`
    // response and drops every response queued behind it, although their requests were accepted
    // and handled (Node does not stop parsing after such a response). On a pipelining socket the
    // sweep closes the socket instead, once nothing is queued and nothing more has arrived.
    res.prependOnceListener('finish', () => {
      if (this.#retiring && record.pipelined) keepOpen(res);
    });
    res.once('close', () => {
      record.responses.delete(res);
      record.lastActivity = performance.now();
    });
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
