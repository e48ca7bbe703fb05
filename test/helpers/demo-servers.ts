// The Express and Fastify demo apps built in-process and listening on loopback: the factories contract tests share.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp as createExpressApp, type ExpressModule } from '../../examples/express/src/app.js';
import { createApp as createFastifyApp } from '../../examples/fastify/src/app.js';
import type { DemoAppOptions } from '../../examples/shared/src/index.js';

/** A demo app listening on 127.0.0.1 at a free port. */
export interface DemoServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Drops open connections, closes the server and releases the app's resources. */
  close(): Promise<void>;
}

/** Builds one framework's demo app from `options` and listens; in-flight tracking attached as main.ts does. */
export type DemoServerFactory = (
  options: DemoAppOptions,
  listen?: { backlog?: number },
) => Promise<DemoServer>;

/** The Express demo app built on `framework` (Express 5 by default; pass `express4` for Express 4). */
export function expressDemoServer(framework?: ExpressModule): DemoServerFactory {
  return async (options, listen) => {
    const { app, close } = await createExpressApp(options, framework);
    const server = createServer(app);
    options.lifecycle.inFlight.attach(server);
    server.listen({ port: 0, host: '127.0.0.1', backlog: listen?.backlog });
    await once(server, 'listening');
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await close();
      },
    };
  };
}

/** The same demo application on each framework, for suites that run once per framework. */
export const demoServers: Readonly<Record<'express' | 'fastify', DemoServerFactory>> = {
  express: expressDemoServer(),
  fastify: async (options, listen) => {
    const { app, close } = await createFastifyApp(options);
    await app.listen({ port: 0, host: '127.0.0.1', backlog: listen?.backlog });
    options.lifecycle.inFlight.attach(app.server);
    return {
      url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      close: async () => {
        app.server.closeAllConnections();
        await close();
      },
    };
  },
};
