// Closes the clients of ws servers with 1001 "going away" when the listeners close, and terminates them on force.
import type { WebSocketServerLike } from './types.js';

const OPEN = 1;
/** RFC 6455 §7.4.1: the endpoint is going away, such as a server going down. */
export const GOING_AWAY = 1001;

/** Starts the closing handshake with every open client; clients connected later are caught by the next call. */
export function closeWebSockets(servers: readonly WebSocketServerLike[]): void {
  for (const wss of servers) {
    for (const client of wss.clients) if (client.readyState === OPEN) client.close(GOING_AWAY, 'going away');
  }
}

/** Clients not yet gone, in any state. */
export function openWebSockets(servers: readonly WebSocketServerLike[]): number {
  let count = 0;
  for (const wss of servers) count += wss.clients.size;
  return count;
}

/** Destroys every client still there; returns how many. */
export function terminateWebSockets(servers: readonly WebSocketServerLike[]): number {
  let count = 0;
  for (const wss of servers) {
    for (const client of wss.clients) {
      client.terminate();
      count++;
    }
  }
  return count;
}
