// Counts the HTTP/1.1 responses read from a raw socket, exactly, however the bytes are split.
import { connect, type Socket } from 'node:net';

/** What one raw connection has received so far. */
export interface ResponseCount {
  /** Complete responses (head and Content-Length body) read so far. */
  readonly responses: number;
  /** Status codes in order. */
  readonly statuses: readonly number[];
  /** Resolves when the server has closed the connection (or it was reset). */
  readonly closed: Promise<void>;
}

/** Opens a TCP connection to 127.0.0.1:`port`. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Counts the responses arriving on `socket`. Every response must carry Content-Length (all the
 * fixture's do): a response without it could not be delimited, so it throws rather than miscount.
 */
export function countResponses(socket: Socket): ResponseCount {
  const statuses: number[] = [];
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    for (;;) {
      const end = pending.indexOf('\r\n\r\n', offset);
      if (end === -1) break;
      const head = pending.subarray(offset, end).toString('latin1');
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length) throw new Error(`response without Content-Length: ${head}`);
      const next = end + 4 + Number(length[1]);
      if (next > pending.length) break;
      statuses.push(Number(head.slice(9, 12)));
      offset = next;
    }
    pending = pending.subarray(offset);
  });
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    // A reset is how a forced drain ends a connection: it closes the count, it does not fail it.
    socket.on('error', () => {});
  });
  return {
    get responses() {
      return statuses.length;
    },
    statuses,
    closed,
  };
}
