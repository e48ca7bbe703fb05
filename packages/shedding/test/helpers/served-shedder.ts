// A node:http server whose every request goes through one LoadShedder's admit(), the handler behind it.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { LoadShedder, type LoadSheddingOptions } from '@lbkit/shedding';

export type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface Served {
  readonly url: string;
  readonly shedder: LoadShedder;
  readonly lifecycle: Lifecycle;
}

/**
 * Serves `handler` behind a shedder built from `options` (a fresh Lifecycle unless one is given);
 * a handler that rejects answers 500. The closing of shedder and server goes on `cleanups`.
 */
export async function serveShedder(
  options: LoadSheddingOptions,
  handler: Handler,
  cleanups: Array<() => Promise<void> | void>,
): Promise<Served> {
  const lifecycle = (options.lifecycle as Lifecycle | undefined) ?? new Lifecycle();
  const shedder = new LoadShedder({ ...options, lifecycle });
  const server = createServer((req, res) => {
    shedder.admit(req, res, () => {
      // Called at once: a synchronous handler runs inside admit(), as the turn-budget tests need.
      Promise.resolve(handler(req, res)).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    shedder.close();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, shedder, lifecycle };
}
