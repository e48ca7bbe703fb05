// bench/cluster app: clusterPrimary({ balance: BALANCE }) with 3 workers; GET /work?ms=N burns N ms of CPU.
import cluster from 'node:cluster';
import http from 'node:http';
import { clusterPrimary, clusterWorker, gracefulShutdown } from '@lbkit/shutdown';

const port = Number(process.env.PORT);
const host = '127.0.0.1';

if (cluster.isPrimary) {
  const primary = clusterPrimary({
    workers: Number(process.env.WORKERS ?? 3),
    balance: process.env.BALANCE,
    port,
    host,
    reloadSignal: false,
    env: (slot) => ({ SLOT: String(slot) }),
  });
  primary.ready.then(
    () => process.stdout.write('ready\n'),
    (error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
} else {
  const slot = process.env.SLOT;
  const server = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://bench').searchParams.get('ms') ?? 0);
    const end = performance.now() + ms;
    while (performance.now() < end) {}
    res.end(slot);
  });
  server.keepAliveTimeout = 60_000;
  gracefulShutdown(server, { markReadyOnListen: true, drainTimeoutMs: 2000 });
  clusterWorker({ server, port, host });
}
