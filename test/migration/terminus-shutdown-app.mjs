// terminus's README shutdown configuration (beforeShutdown delay, timeout, onSignal, onShutdown, logger), run by migration-terminus.test.ts.
import { createServer } from 'node:http';
import terminus from '@godaddy/terminus';

const log = (line) => process.stdout.write(`${line}\n`);

const server = createServer((req, res) => {
  log(`request ${req.url}`);
  const ms = Number(new URL(req.url ?? '/', 'http://app').searchParams.get('ms') ?? 0);
  setTimeout(() => res.end('done\n'), ms);
});

terminus.createTerminus(server, {
  healthChecks: { '/healthcheck': async () => {} },
  onSendFailureDuringShutdown: async () => log('failure-during-shutdown'),
  signal: 'SIGTERM',
  beforeShutdown: () => new Promise((resolve) => setTimeout(resolve, 1000)),
  timeout: 1000,
  onSignal: async () => log('onSignal'),
  onShutdown: async () => log('onShutdown'),
  logger: (message, error) => log(`logger ${message} ${error}`),
});

server.listen(0, '127.0.0.1', () => log(`listening ${server.address().port}`));
