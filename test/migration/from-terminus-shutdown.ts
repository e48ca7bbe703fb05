// The shutdown README's "From @godaddy/terminus" example, type-checked and run beside terminus by migration-terminus.test.ts.
import { createServer } from 'node:http';
import { Lifecycle } from '@lbkit/core';
import { createHealth } from '@lbkit/health';
import { gracefulShutdown } from '@lbkit/shutdown';

const log = (line: string) => process.stdout.write(`${line}\n`);
const terminusLogger = (message: string, details: unknown) =>
  log(`logger ${message} ${JSON.stringify(details)}`);

const lifecycle = new Lifecycle();
// terminus's healthChecks and sendFailuresDuringShutdown: see @lbkit/health's "From @godaddy/terminus".
const health = createHealth({
  lifecycle,
  paths: { liveness: false, readiness: false, startup: false, health: false },
  probes: { '/healthcheck': async () => {} },
  cacheMs: 0,
  body: ({ report }) => ({ status: report.status === 'fail' ? 'error' : 'ok' }),
  onFailureDuringShutdown: () => log('failure-during-shutdown'),
});

const server = createServer((req, res) => {
  if (health.handle(req, res)) return;
  log(`request ${req.url}`);
  const ms = Number(new URL(req.url ?? '/', 'http://app').searchParams.get('ms') ?? 0);
  setTimeout(() => res.end('done\n'), ms);
});

gracefulShutdown(server, {
  lifecycle,
  signals: ['SIGTERM'], // signal, signals (terminus listens to SIGTERM only by default)
  drainDelayMs: 1000, // beforeShutdown: () => new Promise((resolve) => setTimeout(resolve, 1000))
  drainTimeoutMs: 1000, // timeout
  hooks: [{ name: 'onSignal', run: async () => log('onSignal') }],
  onPhase: ({ phase }) => {
    if (phase === 'stopped') log('onShutdown');
  },
  exitBySignal: true, // useExit0: false, terminus's default
  logger: { info: () => {}, warn: terminusLogger, error: terminusLogger },
  markReadyOnListen: true,
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address) log(`listening ${address.port}`);
});
