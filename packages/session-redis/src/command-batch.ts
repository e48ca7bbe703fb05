// Coalesces the commands the store issues in one event-loop turn into one socket write.
import type { SessionRedisNode } from './types.js';

/** The part of ioredis's socket this needs (a net or TLS socket). */
interface Corkable {
  readonly writable: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * ioredis writes every command to the socket as soon as it is issued, one write syscall per
 * command; under load that syscall is the store's largest cost. Like node-redis, which schedules
 * its writes with setImmediate, this corks the connection's socket at the first command of an
 * event-loop turn and uncorks it in setImmediate, so the commands of every request handled in that
 * turn leave in one write. Each stays an ordinary ioredis command (its own promise, NOSCRIPT
 * fallback, offline handling): a Pipeline object per turn cost more CPU than the syscalls it saved.
 * Only used on single-node and Sentinel clients (a Cluster has one socket per node).
 */
export class CommandBatch {
  readonly #client: SessionRedisNode;
  #corked: Corkable | undefined;
  readonly #release = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork();
  };

  constructor(client: SessionRedisNode) {
    this.#client = client;
  }

  /** Issues `send(client)` with the socket corked until the end of this event-loop turn. */
  send<T>(send: (client: SessionRedisNode) => Promise<T>): Promise<T> {
    if (this.#corked === undefined) {
      const stream = (this.#client as { stream?: Partial<Corkable> }).stream;
      if (stream?.writable === true && typeof stream.cork === 'function') {
        stream.cork();
        this.#corked = stream as Corkable;
        setImmediate(this.#release);
      }
    }
    return send(this.#client);
  }
}
