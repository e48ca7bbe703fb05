// The primary's own listening socket: each connection, paused, handed to the worker the policy picks.
import type { Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LbkitError } from '@lbkit/core';
import { type Candidate, pickWorker } from './cluster-balance.js';
import { CONNECTION_MESSAGE } from './cluster-messages.js';
import type { ClusterBalance, ShutdownLogger } from './types.js';

/** A worker that may take connections now. */
export interface HandoffTarget extends Candidate {
  readonly worker: Worker;
}

/** Connections held while no worker is ready (at startup, or when every worker died at once). */
const MAX_PENDING = 4096;

/**
 * Owns the listening socket for a policy other than `round-robin`. Connections are accepted paused
 * (`pauseOnConnect`), so no byte is read in the primary, and sent to the chosen worker with
 * `worker.send(message, socket)`. With no worker to take them they wait, up to `pendingTimeoutMs`.
 */
export class ConnectionHandoff {
  readonly #policy: ClusterBalance;
  readonly #targets: () => readonly HandoffTarget[];
  readonly #pendingTimeoutMs: number;
  readonly #log: (level: 'warn' | 'error', message: string, details: Record<string, unknown>) => void;
  readonly #server: Server;
  readonly #pending: Array<{ readonly socket: Socket; readonly at: number }> = [];
  #timer: NodeJS.Timeout | undefined;
  #turn = 0;
  #closed = false;

  constructor(options: {
    readonly policy: ClusterBalance;
    readonly targets: () => readonly HandoffTarget[];
    readonly pendingTimeoutMs: number;
    readonly logger: ShutdownLogger | undefined;
  }) {
    this.#policy = options.policy;
    this.#targets = options.targets;
    this.#pendingTimeoutMs = options.pendingTimeoutMs;
    const logger = options.logger;
    this.#log = (level, message, details) => {
      try {
        logger?.[level](message, details);
      } catch {
        // A broken logger must not break the balancing.
      }
    };
    this.#server = createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
  }

  /** Listens on `port` and `host`; rejects with `LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED`. */
  listen(port: number, host: string | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new LbkitError(
            'LBKIT_SHUTDOWN_CLUSTER_LISTEN_FAILED',
            `clusterPrimary(): cannot listen on ${host ?? '*'}:${port}: ${error.message}`,
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

  /** The port listened on (useful with port 0). */
  get port(): number | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  /** Hands waiting connections out, once a worker can take them. */
  flush(): void {
    while (this.#pending.length > 0) {
      const next = this.#pending[0]!;
      if (next.socket.destroyed) {
        this.#pending.shift();
        continue;
      }
      if (!this.#send(next.socket)) return;
      this.#pending.shift();
    }
    this.#schedule();
  }

  /** Stops accepting and drops the connections still waiting. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const { socket } of this.#pending.splice(0)) socket.destroy();
    if (this.#timer) clearTimeout(this.#timer);
  }

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

  /** Sends `socket` to the chosen worker; false when none can take it. */
  #send(socket: Socket): boolean {
    const targets = this.#targets();
    const target = pickWorker(this.#policy, targets, socket.remoteAddress, this.#turn++, performance.now());
    if (!target) return false;
    target.load.handed++;
    try {
      target.worker.send({ type: CONNECTION_MESSAGE }, socket, { keepOpen: false }, (error) => {
        if (!error) return;
        target.load.handed--;
        socket.destroy();
        this.#log('warn', 'cluster: a connection could not be handed to its worker', {
          pid: target.worker.process.pid,
          error: String(error),
        });
      });
    } catch (error) {
      target.load.handed--;
      socket.destroy();
      this.#log('warn', 'cluster: a connection could not be handed to its worker', {
        pid: target.worker.process.pid,
        error: String(error),
      });
    }
    return true;
  }

  /** Drops connections that waited longer than the bound; ref'd, as the primary waits on purpose. */
  #schedule(): void {
    if (this.#timer || this.#pending.length === 0) return;
    const oldest = this.#pending[0]!.at;
    const wait = Math.max(0, oldest + this.#pendingTimeoutMs - performance.now());
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
}
