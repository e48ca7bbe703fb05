// Opening a WebSocket to the demo's GET /ws: which instance answered, or the HTTP status that refused it.
import { WebSocket } from 'ws';

/** An open WebSocket and the instance that accepted it (its `x-instance-id` handshake header). */
export interface OpenWebSocket {
  readonly ws: WebSocket;
  readonly instance: string;
}

/** The upgrade was answered with a plain HTTP status instead of 101. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

/**
 * Opens `url` (ws://…/ws); rejects with UpgradeRefused on a non-101 answer, or with the socket error.
 * Errors after the open are left to the 'close' event that follows them.
 */
export function openWebSocket(url: string): Promise<OpenWebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let instance = '';
    ws.once('upgrade', (response) => {
      instance = String(response.headers['x-instance-id'] ?? '');
    });
    ws.once('open', () => resolve({ ws, instance }));
    ws.once('unexpected-response', (_request, response) => {
      response.resume();
      ws.terminate();
      reject(new UpgradeRefused(response.statusCode ?? 0));
    });
    // Before open this is the failure to report; after it, 'close' follows every error and tells the rest.
    ws.on('error', reject);
  });
}
