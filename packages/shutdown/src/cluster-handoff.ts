// connectionBalancer(): the primary's own listening socket; each connection, paused, handed to the worker the policy picks.
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LbkitError } from '@lbkit/core';
import { OptionReader } from '@lbkit/core/internal';
import { type Candidate, pickWorker, WorkerLoad } from './cluster-balance.js';
import { CONNECTION_MESSAGE, isLoadReport } from './cluster-messages.js';
import { balanceOption, portOption } from './cluster-options.js';
import { duration, loggerOption } from './options.js';
import type {
  ClusterBalance,
  ConnectionBalancer,
  ConnectionBalancerOptions,
  ShutdownLogger,
} from './types.js';

/** Connections held while no worker is ready (at startup, or when every worker died at once). */
const MAX_PENDING = 4096;

const KNOWN = Object.keys({
  balance: true,
  port: true,
  host: true,
  workers: true,
  pendingTimeoutMs: true,
  logger: true,
} satisfies Record<keyof ConnectionBalancerOptions, true>);

interface Target extends Candidate {
  readonly worker: Worker;
}

/**
 * For a primary of your own (a custom supervisor): listens on `port` in the primary and hands each
 * connection to one of `workers()` (those ready and not draining, with their slot) by `balance`,
 * from the load reports of workers serving with `clusterWorker()` (a worker that has sent none gets
 * no connection). Fork the workers with `{ lbkit_cluster_balance: balance }` in their environment.
 * `clusterPrimary({ balance })` uses it. Throws an `LbkitError` on bad options.
 */
export function connectionBalancer(options: ConnectionBalancerOptions): ConnectionBalancer {
  const reader = new OptionReader<ConnectionBalancerOptions>(
    'SHUTDOWN',
    'connectionBalancer()',
    options,
    KNOWN,
  );
  const balance = balanceOption(reader);
  if (balance === 'round-robin') {
    throw reader.invalid(
      'balance "round-robin" is node:cluster\'s own scheduling: there is nothing for the primary to hand out',
      'Use "least-connections", "least-loaded" or "ip-hash", or let the workers listen on the shared port.',
      'LBKIT_SHUTDOWN_CLUSTER_BALANCE_INVALID',
    );
  }
  const port = portOption(reader, true);
  const workers = reader.function<ConnectionBalancerOptions['workers']>('workers');
  if (!workers) {
    throw reader.invalid(
      'workers is required: a function returning the workers that may take a connection now',
      'Pass workers: () => readyWorkers.map((worker) => ({ worker, slot })).',
    );
  }
  return new Handoff({
    balance,
    port,
    host: reader.string('host', undefined),
    workers,
    pendingTimeoutMs: duration(reader, 'pendingTimeoutMs', 30_000),
    logger: loggerOption(reader, 'logger'),
  });
}

/**
 * Owns the listening socket. Connections are accepted paused (`pauseOnConnect`), so no byte is read
 * in the primary, and sent to the chosen worker with `worker.send(message, socket)`. With no worker
 * to take them they wait, up to `pendingTimeoutMs`.
 */
class Handoff implements ConnectionBalancer {
  readonly ready: Promise<void>;
  readonly #policy: ClusterBalance;
  readonly #workers: ConnectionBalancerOptions['workers'];
  readonly #pendingTimeoutMs: number;
  readonly #logger: ShutdownLogger | undefined;
  readonly #server: Server;
  readonly #loads = new WeakMap<Worker, WorkerLoad>();
  readonly #pending: Array<{ readonly socket: Socket; readonly at: number }> = [];
  #timer: NodeJS.Timeout | undefined;
  #turn = 0;
  #closed = false;

  constructor(options: {
    readonly balance: ClusterBalance;
    readonly port: number;
    readonly host: string | undefined;
    readonly workers: ConnectionBalancerOptions['workers'];
    readonly pendingTimeoutMs: number;
    readonly logger: ShutdownLogger | undefined;
  }) {
    this.#policy = options.balance;
    this.#workers = options.workers;
    this.#pendingTimeoutMs = options.pendingTimeoutMs;
    this.#logger = options.logger;
    cluster.on('message', this.#onMessage);
    this.#server = createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
    this.ready = this.#listen(options.port, options.host);
  }

  get port(): number | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  reporting(worker: Worker): boolean {
    return this.#loads.get(worker)?.report !== undefined;
  }

  flush(): void {
    while (this.#pending.length > 0) {
      const next = this.#pending[0]!;
      if (next.socket.destroyed) {
        this.#pending.shift();
        continue;
      }
      if (!this.#send(next.socket)) break;
      this.#pending.shift();
    }
    this.#schedule();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    cluster.off('message', this.#onMessage);
    this.#server.close();
    for (const { socket } of this.#pending.splice(0)) socket.destroy();
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Rejects with `LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED`. */
  #listen(port: number, host: string | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new LbkitError(
            'LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED',
            `cannot listen on ${host ?? '*'}:${port}: ${error.message}`,
            {
              hint: 'Another process (or a worker calling server.listen() itself) holds the port: the primary owns it with this balance; workers call clusterWorker().',
              cause: error,
            },
          ),
        );
      };
      this.#server.once('error', onError);
      this.#server.listen({ port, host }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (error) =>
          this.#log('error', 'cluster: listener error', { error: String(error) }),
        );
        resolve();
      });
    });
  }

  /** Load reports of any worker; every other message is someone else's. */
  readonly #onMessage = (worker: Worker, message: unknown): void => {
    if (!isLoadReport(message)) return;
    let load = this.#loads.get(worker);
    if (!load) {
      load = new WorkerLoad();
      this.#loads.set(worker, load);
    }
    const first = load.report === undefined;
    load.report = message;
    load.reportedAt = performance.now();
    if (first && this.#pending.length > 0) this.flush();
  };

  #accept(socket: Socket): void {
    // A client reset while the socket waits here must not become an uncaught error in the primary.
    socket.on('error', () => {});
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (this.#pending.length === 0 && this.#send(socket)) return;
    if (this.#pending.length >= MAX_PENDING) {
      socket.destroy();
      return;
    }
    this.#pending.push({ socket, at: performance.now() });
    this.#schedule();
  }

  #targets(): Target[] {
    const targets: Target[] = [];
    for (const { worker, slot } of this.#workers()) {
      const load = this.#loads.get(worker);
      // Generation: node:cluster's worker ids grow with each fork.
      if (load?.report?.accepting && worker.isConnected())
        targets.push({ worker, slot, generation: worker.id, load });
    }
    return targets;
  }

  /** Sends `socket` to the chosen worker; false when none can take it. */
  #send(socket: Socket): boolean {
    const target = pickWorker(
      this.#policy,
      this.#targets(),
      socket.remoteAddress,
      this.#turn++,
      performance.now(),
    );
    if (!target) return false;
    target.load.handed++;
    const failed = (error: unknown): void => {
      target.load.handed--;
      socket.destroy();
      this.#log('warn', 'cluster: a connection could not be handed to its worker', {
        pid: target.worker.process.pid,
        error: String(error),
      });
    };
    try {
      target.worker.send({ type: CONNECTION_MESSAGE }, socket, { keepOpen: false }, (error) => {
        if (error) failed(error);
      });
    } catch (error) {
      failed(error);
    }
    return true;
  }

  /** Drops connections that waited longer than the bound; ref'd, as the primary waits on purpose. */
  #schedule(): void {
    if (this.#timer || this.#pending.length === 0) return;
    const wait = Math.max(0, this.#pending[0]!.at + this.#pendingTimeoutMs - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      let dropped = 0;
      while (this.#pending.length > 0 && now - this.#pending[0]!.at >= this.#pendingTimeoutMs) {
        this.#pending.shift()!.socket.destroy();
        dropped++;
      }
      if (dropped > 0) {
        this.#log('warn', 'cluster: no ready worker took these connections in time; they were closed', {
          dropped,
          waitedMs: this.#pendingTimeoutMs,
        });
      }
      this.#schedule();
    }, wait);
  }

  #log(level: 'warn' | 'error', message: string, details: Record<string, unknown>): void {
    try {
      this.#logger?.[level](message, details);
    } catch {
      // A broken logger must not break the balancing.
    }
  }
}
