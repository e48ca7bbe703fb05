// The shutdown README's "From http-terminator" example, type-checked and run beside http-terminator by migration-http-terminator.test.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gracefulShutdown } from '@lbkit/shutdown';

function app(req: IncomingMessage, res: ServerResponse) {
  process.stdout.write(`request ${req.url}\n`);
  const url = new URL(req.url ?? '/', 'http://app');
  const ms = Number(url.searchParams.get('ms') ?? 0);
  if (url.pathname === '/stream') {
    // Headers and part of the body go out at once: a response too far along to be told Connection: close.
    res.setHeader('content-length', 5);
    res.write('do');
    setTimeout(() => res.end('ne\n'), ms);
    return;
  }
  setTimeout(() => res.end('done\n'), ms);
}

// Like http-terminator, gracefulShutdown() takes an http.Server or an https.Server.
const tls = process.env.TLS_KEY ? { key: process.env.TLS_KEY, cert: process.env.TLS_CERT } : undefined;
const server = tls ? createHttpsServer(tls, app) : createServer(app);

// Was: const httpTerminator = createHttpTerminator({ server, gracefulTerminationTimeout: 1000 });
//      process.on('SIGTERM', async () => { await httpTerminator.terminate(); process.exit(0); });
gracefulShutdown(server, {
  signals: ['SIGTERM'],
  drainTimeoutMs: 1000, // gracefulTerminationTimeout
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address) process.stdout.write(`listening ${address.port}\n`);
});
