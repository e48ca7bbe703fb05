// http-terminator's README usage with the SIGTERM handler it leaves to the app, run by migration-http-terminator.test.ts.
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createHttpTerminator } from 'http-terminator';

function app(req, res) {
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

const tls = process.env.TLS_KEY ? { key: process.env.TLS_KEY, cert: process.env.TLS_CERT } : undefined;
const server = tls ? createHttpsServer(tls, app) : createServer(app);

const httpTerminator = createHttpTerminator({ server, gracefulTerminationTimeout: 1000 });
process.on('SIGTERM', async () => {
  await httpTerminator.terminate();
  process.exit(0);
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
