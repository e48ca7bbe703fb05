// A node-redis v4/v5 client (the one connect-redis 9 requires) seen through the part of ioredis's API the store uses.

/**
 * The part of a node-redis v4/v5 client (`createClient()` from `redis` or `@redis/client`) the
 * store needs. Structural, so the package depends on neither driver; which client was passed is
 * told by `detectRedisClient()` (redis-client.ts).
 */
export interface NodeRedisClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

type Arg = string | number;

/** The store's events, in ioredis's names, and the node-redis events that mean the same. */
const EVENTS: Readonly<Record<string, string>> = {
  ready: 'ready',
  // ioredis emits `close` when the connection drops; node-redis announces its reconnection.
  close: 'reconnecting',
  end: 'end',
};

/**
 * Adapts a node-redis client to the ioredis methods the store calls (`status`, `call`,
 * `evalsha`, `eval`, `ping`, `get`, `del`, `unlink`, `scan`, `pipeline`, `on`/`off`), so the
 * rest of the store has one client API. node-redis already writes the commands issued in one
 * event-loop turn in one socket write, so the adapter adds nothing per command but turning
 * numeric arguments into strings. Its refusals (`ErrorReply`) are recognised by classifyFailure.
 */
export class NodeRedisAdapter {
  readonly isCluster = false;
  readonly #client: NodeRedisClient;
  #wasReady: boolean;

  constructor(client: NodeRedisClient) {
    this.#client = client;
    this.#wasReady = client.isReady;
  }

  /**
   * ioredis's status names: `ready`; `connecting` before the first connection (node-redis
   * queues commands until then, and the store's deadline bounds them); `reconnecting` after
   * a drop (the store then fails fast instead of queueing); `end` once closed.
   */
  get status(): string {
    const client = this.#client;
    if (client.isReady) {
      this.#wasReady = true;
      return 'ready';
    }
    if (client.isOpen) return this.#wasReady ? 'reconnecting' : 'connecting';
    return 'end';
  }

  /** Listens on the client itself (node-redis passes no arguments to these events), so `off` finds the listener. */
  on(event: string, listener: (...args: unknown[]) => void): this {
    const mapped = EVENTS[event];
    if (mapped) this.#client.on(mapped, listener);
    return this;
  }

  off(event: string, listener: (...args: unknown[]) => void): this {
    const mapped = EVENTS[event];
    if (mapped) this.#client.off(mapped, listener);
    return this;
  }

  #send(args: Arg[]): Promise<unknown> {
    for (let i = 0; i < args.length; i++) if (typeof args[i] !== 'string') args[i] = String(args[i]);
    return this.#client.sendCommand(args as string[]);
  }

  call(name: string, ...args: Arg[]): Promise<unknown> {
    return this.#send([name, ...args]);
  }

  evalsha(sha: string, numberOfKeys: number, ...args: Arg[]): Promise<unknown> {
    return this.#send(['EVALSHA', sha, numberOfKeys, ...args]);
  }

  eval(lua: string, numberOfKeys: number, ...args: Arg[]): Promise<unknown> {
    return this.#send(['EVAL', lua, numberOfKeys, ...args]);
  }

  ping(): Promise<unknown> {
    return this.#send(['PING']);
  }

  get(key: string): Promise<unknown> {
    return this.#send(['GET', key]);
  }

  del(...keys: string[]): Promise<unknown> {
    return this.#send(['DEL', ...keys]);
  }

  unlink(...keys: string[]): Promise<unknown> {
    return this.#send(['UNLINK', ...keys]);
  }

  scan(cursor: string, ...args: Arg[]): Promise<unknown> {
    return this.#send(['SCAN', cursor, ...args]);
  }

  hgetall(key: string): Promise<unknown> {
    return this.#send(['HGETALL', key]);
  }

  /**
   * ioredis's pipeline: node-redis sends the commands of one turn in one write anyway. HGETALL
   * answers as node-redis gives it (pairs, or a map with RESP3); the store reads it with asPairs.
   */
  pipeline(): {
    unlink(key: string): void;
    hgetall(key: string): void;
    evalsha(sha: string, numberOfKeys: number, ...args: Arg[]): void;
    eval(lua: string, numberOfKeys: number, ...args: Arg[]): void;
    call(name: string, ...args: Arg[]): void;
    exec(): Promise<Array<[Error | null, unknown]>>;
  } {
    // Issued at once, in order, on the one connection: a WAIT queued after a script follows it.
    const sent: Array<Promise<unknown>> = [];
    return {
      unlink: (key) => {
        sent.push(this.unlink(key));
      },
      hgetall: (key) => {
        sent.push(this.hgetall(key));
      },
      evalsha: (sha, numberOfKeys, ...args) => {
        sent.push(this.evalsha(sha, numberOfKeys, ...args));
      },
      eval: (lua, numberOfKeys, ...args) => {
        sent.push(this.eval(lua, numberOfKeys, ...args));
      },
      call: (name, ...args) => {
        sent.push(this.call(name, ...args));
      },
      exec: async () =>
        (await Promise.allSettled(sent)).map((result): [Error | null, unknown] =>
          result.status === 'fulfilled' ? [null, result.value] : [result.reason as Error, undefined],
        ),
    };
  }
}
