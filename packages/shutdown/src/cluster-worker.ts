// clusterWorker(): the worker's side of clusterPrimary({ balance }): listen, or take connections from the primary.
import cluster from 'node:cluster';
import { Server as NetServer, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LbkitError } from '@lbkit/core';
import { OptionReader } from '@lbkit/core/internal';
import {
  BALANCE_ENV,
  isConnectionMessage,
  LOAD_MESSAGE,
  type LoadReport,
  REPORT_INTERVAL_MS,
} from './cluster-messages.js';
import { portOption } from './cluster-options.js';
import type { ClusterWorker, ClusterWorkerOptions, ShutdownServer } from './types.js';

const KNOWN = Object.keys({
  server: true,
  port: true,
  host: true,
  queued: true,
} satisfies Record<keyof ClusterWorkerOptions, true>);

/**
 * Starts serving in a worker of `clusterPrimary()`, in place of `server.listen(port, host)`. Under
 * `balance: 'round-robin'` (and outside a cluster) it is exactly that call. Under the other policies
 * the primary owns the port: the server listens only on a private loopback port (127.0.0.1, port 0,
 * not shared, so that `listening`, `close` and `gracefulShutdown()` behave as usual), receives each
 * connection the primary hands it as a `connection` event, and reports its load to the primary
 * every 100 ms and (but under ip-hash) whenever one of those connections closes. Throws an `LbkitError` on bad options.
 */
export function clusterWorker(options: ClusterWorkerOptions): ClusterWorker {
  const reader = new OptionReader<ClusterWorkerOptions>('SHUTDOWN', 'clusterWorker()', options, KNOWN);
  const server: unknown = reader.get('server');
  if (!(server instanceof NetServer)) {
    throw new LbkitError('LBKIT_SHUTDOWN_SERVER_INVALID', 'clusterWorker() needs the server as `server`', {
      hint: 'Pass http.createServer(app) (not listening yet), or fastify.server after fastify.ready().',
    });
  }
  const port = portOption(reader, true);
  const host = reader.string('host', undefined);
  const queued = reader.function<() => number>('queued');
  const balance = process.env[BALANCE_ENV];
  if (!cluster.isWorker || !balance || balance === 'round-robin' || typeof process.send !== 'function') {
    server.listen(port, host);
    return { mode: 'shared', dispose() {} };
  }
  // ip-hash does not weigh load: the periodic reports (liveness, `accepting`) are enough there.
  return new HandedConnections(server as ShutdownServer, queued, balance !== 'ip-hash');
}

/** A worker taking its connections from the primary, and telling it how loaded it is. */
class HandedConnections implements ClusterWorker {
  readonly mode = 'primary';
  readonly #server: ShutdownServer;
  readonly #queued: (() => number) | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #reportCloses: boolean;
  #inFlight = 0;
  #received = 0;
  #closed = 0;
  #elu = 0;
  #lastElu = performance.eventLoopUtilization();
  #soon = false;
  #accepting = true;
  #disposed = false;

  constructor(server: ShutdownServer, queued: (() => number) | undefined, reportCloses: boolean) {
    this.#server = server;
    this.#queued = queued;
    this.#reportCloses = reportCloses;
    process.on('message', this.#onMessage);
    server.on('request', this.#onRequest);
    server.once('close', this.#onServerClose);
    this.#timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.#elu = performance.eventLoopUtilization(now, this.#lastElu).utilization;
      this.#lastElu = now;
      this.#report();
    }, REPORT_INTERVAL_MS);
    this.#timer.unref();
    // Not the shared port: the primary holds it. A private listener keeps `listening` and `close` meaningful.
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true });
    // The first report tells the primary that this worker takes connections.
    this.#report();
  }

  readonly dispose = (): void => {
    if (this.#disposed) return;
    if (this.#accepting) {
      // Disposed while serving: the primary must stop sending first.
      this.#accepting = false;
      this.#report();
    }
    this.#disposed = true;
    clearInterval(this.#timer);
    process.off('message', this.#onMessage);
    this.#server.off('request', this.#onRequest);
    this.#server.off('close', this.#onServerClose);
  };

  /**
   * The server closed (its drain, however it started): tell the primary to send nothing more, and
   * keep taking, for a second, connections it sent before it heard (they are served as a closing
   * server serves: one request, `Connection: close`). Then let go of the IPC channel.
   */
  readonly #onServerClose = (): void => {
    this.#accepting = false;
    this.#report();
    clearInterval(this.#timer);
    setTimeout(this.dispose, 1000).unref();
  };

  readonly #onMessage = (message: unknown, handle: unknown): void => {
    if (!isConnectionMessage(message) || !(handle instanceof Socket)) return;
    this.#received++;
    handle.once('close', this.#onClose);
    this.#server.emit('connection', handle);
    handle.resume();
    // Within a loop turn the primary learns it arrived: it no longer counts as in transit (least-loaded).
    if (this.#reportCloses) this.#reportSoon();
  };

  readonly #onRequest = (
    _req: unknown,
    res: { once(event: 'close', listener: () => void): unknown },
  ): void => {
    this.#inFlight++;
    res.once('close', this.#onAnswered);
  };

  readonly #onAnswered = (): void => {
    this.#inFlight--;
  };

  readonly #onClose = (): void => {
    this.#closed++;
    if (this.#reportCloses) this.#reportSoon();
  };

  /** One report per loop turn, however many connections arrived or closed in it. */
  #reportSoon(): void {
    if (this.#soon) return;
    this.#soon = true;
    setImmediate(() => {
      this.#soon = false;
      this.#report();
    });
  }

  #report(): void {
    if (this.#disposed || !process.connected) return;
    let queued = 0;
    try {
      queued = Math.max(0, Number(this.#queued?.() ?? 0)) || 0;
    } catch {
      // A throwing probe reports nothing queued rather than breaking the worker.
    }
    const report: LoadReport = {
      type: LOAD_MESSAGE,
      inFlight: this.#inFlight,
      queued,
      elu: this.#elu,
      received: this.#received,
      closed: this.#closed,
      accepting: this.#accepting,
    };
    try {
      process.send?.(report, undefined, {}, () => {});
    } catch {
      // The primary went away; the worker exits on the disconnect.
    }
  }
}
