// Serves a Health on a real node:http server on 127.0.0.1, port 0, for the health tests.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from '@lbkit/health';

/** A listening server and how to reach and stop it. */
export interface Served {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Answers the health routes with `health.handle`, everything else with 404. */
export async function serve(health: Health): Promise<Served> {
  const server = createServer((req, res) => {
    if (health.handle(req, res)) return;
    res.statusCode = 404;
    res.end('not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await health.close();
    },
  };
}
