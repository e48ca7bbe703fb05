// What a real Express app answers when a factory is mounted without being called (`app.use(factory)`).
import { once } from 'node:events';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLbkitError } from '@lbkit/core';
import express from 'express';

/**
 * Mounts `factory` itself (the mistake) with `mount`, adds an error handler answering 500 with the
 * error's code, and sends one GET of `path`: its status and body, on a fresh connection. The server
 * is closed before it resolves.
 */
export async function answerToUncalled(
  mount: (app: express.Express) => void,
  path = '/',
): Promise<{ status: number; text: string }> {
  const app = express();
  mount(app);
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(isLbkitError(error) ? error.code : 'not an LbkitError');
  });
  const server = app.listen(0, '127.0.0.1');
  try {
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return await new Promise<{ status: number; text: string }>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      }).on('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
