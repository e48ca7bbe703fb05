// GET /ws for both demo apps: a ws server on the HTTP server's upgrade event that echoes text messages.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Lifecycle } from '@lbkit/core';
import { WebSocketServer } from 'ws';

/** The path of the demo's WebSocket route. */
export const WEB_SOCKET_PATH = '/ws';

/** RFC 6455 §7.4.1: the endpoint received a type of data it cannot accept. */
const UNSUPPORTED_DATA = 1003;

/** Answers an upgrade request with a plain HTTP status and closes the socket. */
function refuse(socket: Duplex, status: 404 | 503, reason: string): void {
  const retry = status === 503 ? 'Retry-After: 1\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${retry}Content-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`,
  );
}

/**
 * Serves `GET /ws` on `server`: every text message (up to 64 KiB) is echoed back; a binary one closes with 1003.
 * Hand the returned server to gracefulShutdown's `webSockets`: its clients then get 1001 "going away"
 * when the listener closes. Upgrades arriving once the instance drains are refused with 503, so a
 * client reconnects through the balancer to another instance instead of to one about to close it.
 * Each handshake answers `x-instance-id`, so a client knows which instance it reached.
 */
export function serveEchoWebSockets(
  server: Server,
  options: { lifecycle: Lifecycle; instanceId: string },
): WebSocketServer {
  const { lifecycle, instanceId } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  // ws writes handshake headers as given: keep INSTANCE_ID from breaking the response.
  const instanceHeader = `x-instance-id: ${instanceId.replace(/[^\x20-\x7e]/g, '')}`;
  wss.on('headers', (headers) => headers.push(instanceHeader));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) ws.close(UNSUPPORTED_DATA, 'text messages only');
      else ws.send(data, { binary: false });
    });
    // A client vanishing mid-frame is its own business; without a listener the error would crash the process.
    ws.on('error', () => ws.terminate());
  });
  server.on('upgrade', function upgradeWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== WEB_SOCKET_PATH) return refuse(socket, 404, 'Not Found');
    if (!lifecycle.accepting) return refuse(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  return wss;
}
