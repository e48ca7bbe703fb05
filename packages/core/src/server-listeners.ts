// The listeners InFlight adds to one server: accepted connections, TLS handshakes, requests, upgrades.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Server as HttpServer } from 'node:http';
import type { Http2ServerRequest, Http2Session } from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { type TLSSocket, Server as TlsServer } from 'node:tls';
import type { AnyResponse } from './tracked-connection.js';
import type { AnyServer } from './types.js';

/** What InFlight does with what a server reports. */
export interface ServerSink {
  request(req: IncomingMessage | Http2ServerRequest, res: AnyResponse, server: AnyServer): void;
  /** A TCP connection of a TLS server, before its handshake. */
  handshake(socket: Socket, server: AnyServer): void;
  /** A socket speaking HTTP/1 (plain, or TLS once established); `raw` is the TCP socket under TLS. */
  http1(socket: Socket, server: AnyServer, raw?: Socket): void;
  /** An HTTP/2 session; `raw` is the TCP socket under TLS. */
  h2(session: Http2Session, server: AnyServer): void;
  /** A TLS socket that will carry an HTTP/2 session: its handshake is over. */
  secured(raw: Socket | undefined): void;
  upgrade(socket: Socket, server: AnyServer): void;
}

/** Adds the listeners; returns the function removing them. */
export function listenTo(server: AnyServer, sink: ServerSink): () => void {
  const emitter = server as unknown as EventEmitter;
  const off: Array<() => void> = [];
  const on = <A extends unknown[]>(event: string, listener: (...args: A) => void, prepend = false): void => {
    const fn = listener as unknown as (...args: unknown[]) => void;
    if (prepend) emitter.prependListener(event, fn);
    else emitter.on(event, fn);
    off.push(() => emitter.off(event, fn));
  };
  // Before the application's listener: whoever reacts to a request start (shutdown's Connection:
  // close) must act before the handler writes its headers.
  on(
    'request',
    (req: IncomingMessage | Http2ServerRequest, res: AnyResponse) => sink.request(req, res, server),
    true,
  );
  const isHttp1 = server instanceof HttpServer || server instanceof HttpsServer;
  if (server instanceof TlsServer) {
    on('connection', (socket: Socket) => sink.handshake(socket, server));
    on('secureConnection', (socket: TLSSocket) => {
      const raw = parentOf(socket);
      // An h2 socket of an HTTP/2 server goes to a session ('session' has already been emitted).
      if (isHttp1 || socket.alpnProtocol !== 'h2') sink.http1(socket, server, raw);
      else sink.secured(raw);
    });
  } else if (server instanceof HttpServer) {
    on('connection', (socket: Socket) => sink.http1(socket, server));
  }
  if (!isHttp1) on('session', (session: Http2Session) => sink.h2(session, server));
  off.push(mirrorUpgradeListeners(emitter, (socket) => sink.upgrade(socket, server)));
  return () => {
    for (const remove of off.splice(0)) remove();
  };
}

/**
 * Node treats a request with `Upgrade` as an upgrade only when the server has 'upgrade' listeners,
 * so ours is present exactly while someone else's is: tracking must not change that.
 */
function mirrorUpgradeListeners(emitter: EventEmitter, upgraded: (socket: Socket) => void): () => void {
  let mirrored = false;
  const onUpgrade = (_req: IncomingMessage, socket: Socket): void => upgraded(socket);
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
  return () => {
    emitter.off('newListener', onNewListener);
    emitter.off('removeListener', onRemoveListener);
    if (mirrored) emitter.off('upgrade', onUpgrade);
  };
}

/** The TCP socket a server-side TLS socket wraps (`_parent`, set by node:tls since Node 0.11). */
function parentOf(socket: TLSSocket): Socket | undefined {
  return (socket as TLSSocket & { _parent?: Socket | null })._parent ?? undefined;
}
