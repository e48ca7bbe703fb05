// Every Redis command of the store goes through here: bounded by a deadline, never parked in an offline queue.
import { CommandBatch } from './command-batch.js';
import { SessionStoreError } from './errors.js';
import { NodeRedisAdapter } from './node-redis-client.js';
import type { LuaScript } from './scripts.js';
import type { IoredisClient, SessionRedisNode } from './types.js';

/** Statuses in which ioredis would queue a command instead of sending it. */
const NOT_SENDING = new Set(['reconnecting', 'close', 'end', 'disconnecting']);
const TRANSIENT_REPLY = /^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MOVED|ASK)\b/;
/**
 * Cluster replies that mean the command was not executed because a slot is moving or has no
 * master for a moment (a failover): sending it once more, a little later, is safe. ioredis follows
 * them itself for single commands, but hands them to the caller from an auto-pipelined batch that
 * mixes them with other replies (issue #19).
 */
const CLUSTER_RETRY = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;
/** Pause before the one resend of a {@link CLUSTER_RETRY} reply, so the slot map can be refreshed. */
const CLUSTER_RETRY_DELAY_MS = 50;

/**
 * A command waiting for its answer, linked into the queue of pending commands. A settled command
 * unlinks itself at once, so nothing it references outlives it (a queue that kept settled entries
 * until the next sweep kept every command's promise and arguments alive long enough to be
 * promoted to the old generation, which made garbage collection the store's largest cost).
 */
interface Deadline {
  readonly at: number;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  /** Rejects the command's promise; undefined once settled. */
  fail: ((error: SessionStoreError) => void) | undefined;
}

/** Callbacks the command layer reports outcomes to (availability tracking). */
export interface CommandObserver {
  onUnavailable(error: SessionStoreError): void;
  onAnswered(): void;
}

/** How many replicas must confirm a write (`WAIT replicas timeoutMs`). */
export interface ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** A script's reply and, when a WAIT followed it, how many replicas confirmed it. */
export interface ConfirmedReply {
  readonly reply: unknown;
  readonly confirmed: number;
}

/**
 * The script and `WAIT` in one pipeline, so they leave on the same connection in that order (on a
 * Cluster the script's key routes both to its master): WAIT then counts the replicas that have
 * the script's writes. WAIT cannot run inside a script.
 */
async function evalAndWait(
  client: Pick<SessionRedisNode, 'pipeline'>,
  script: LuaScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
  wait: ReplicaWait,
): Promise<ConfirmedReply> {
  const send = async (loaded: boolean) => {
    const pipeline = client.pipeline();
    if (loaded) pipeline.evalsha(script.sha, script.numberOfKeys, ...keys, ...args);
    else pipeline.eval(script.lua, script.numberOfKeys, ...keys, ...args);
    pipeline.call('WAIT', wait.replicas, wait.timeoutMs);
    const results = await pipeline.exec();
    if (!results) throw new Error('the pipeline was discarded');
    return results;
  };
  let results = await send(true);
  if (isNoScript(results[0]?.[0])) results = await send(false);
  const [[scriptError, reply], [waitError, confirmed]] = results as [
    [Error | null, unknown],
    [Error | null, unknown],
  ];
  if (scriptError) throw scriptError;
  if (waitError) throw waitError;
  return { reply, confirmed: Number(confirmed) };
}

/**
 * The arguments of EVALSHA/EVAL after the script: its keys, then its arguments, in one array built
 * once per call (a spread of each at every send costs two more copies).
 */
function scriptArgs(keys: readonly string[], args: ReadonlyArray<string | number>): Array<string | number> {
  const all: Array<string | number> = [];
  for (const key of keys) all.push(key);
  for (const arg of args) all.push(arg);
  return all;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * True for Redis's refusal of a command (an error reply), as opposed to a connection failure:
 * ioredis names it `ReplyError`, node-redis throws an `ErrorReply` (or a subclass of it).
 */
function isReplyError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return true;
  for (let proto = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === 'ErrorReply') return true;
  }
  return false;
}

/** Turns any failure of a command into the store's error with a stable code. */
export function classifyFailure(error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isReplyError(error)) {
    if (message.includes('WRONGTYPE')) {
      return new SessionStoreError(
        'LBKIT_SESSION_DATA_CORRUPT',
        'a session key holds a value of the wrong type',
        {
          hint: 'Another program wrote to a key under the session prefix; give the store its own prefix.',
          cause: error,
        },
      );
    }
    if (!TRANSIENT_REPLY.test(message)) {
      return new SessionStoreError(
        'LBKIT_SESSION_REDIS_FAILED',
        `Redis refused a session command: ${message}`,
        {
          cause: error,
        },
      );
    }
  }
  if (message === 'Command timed out') {
    // ioredis's own commandTimeout fired before the store's deadline.
    return new SessionStoreError(
      'LBKIT_SESSION_REDIS_TIMEOUT',
      'Redis did not answer within the client commandTimeout',
      {
        hint: 'Redis is overloaded, paused or unreachable.',
        cause: error,
      },
    );
  }
  return new SessionStoreError('LBKIT_SESSION_REDIS_UNAVAILABLE', `Redis is unavailable: ${message}`, {
    hint: 'Sessions need Redis; the request fails (failMode closed) or runs without a session (failMode open) until it is back.',
    cause: error,
  });
}

/** Sends commands with a deadline; reports unavailability to the observer. */
export class RedisCommands {
  readonly #client: IoredisClient;
  readonly #timeoutMs: number;
  readonly #observer: CommandObserver;
  readonly #batch: CommandBatch | undefined;
  #oldest: Deadline | undefined;
  #newest: Deadline | undefined;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(client: IoredisClient, timeoutMs: number, observer: CommandObserver) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#observer = observer;
    // node-redis batches its own writes; a Cluster has one socket per node.
    this.#batch =
      client.isCluster || client instanceof NodeRedisAdapter ? undefined : new CommandBatch(client);
  }

  /**
   * Runs `send` against `node` (default: the store's client) within the deadline. A client that is
   * reconnecting fails at once instead of queueing: no request waits on an offline queue.
   */
  run<T>(
    send: (node: SessionRedisNode) => Promise<T>,
    node: SessionRedisNode = this.#client,
    instead?: (node: SessionRedisNode) => Promise<T>,
  ): Promise<T> {
    if (NOT_SENDING.has(this.#client.status) || NOT_SENDING.has(node.status)) {
      const error = classifyFailure(new Error(`connection is ${node.status}`));
      this.#observer.onUnavailable(error);
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      const deadline = this.#watch(reject);
      const answered = (value: T): void => {
        this.#observer.onAnswered();
        if (deadline.fail === undefined) return;
        this.#settle(deadline);
        resolve(value);
      };
      const attempt = (sender: (node: SessionRedisNode) => Promise<T>, retried: boolean): void => {
        sender(node).then(answered, (cause: unknown) => {
          if (deadline.fail === undefined) return;
          // `instead` (EVAL after EVALSHA) when Redis does not know the script yet: within this deadline.
          if (instead !== undefined && sender !== instead && isNoScript(cause))
            return attempt(instead, retried);
          if (!retried && this.#resend(cause, deadline, () => attempt(sender, true))) return;
          this.#fail(deadline, cause, reject);
        });
      };
      attempt(send, false);
    });
  }

  /**
   * Schedules the one resend of a command a Cluster refused during a failover (MOVED, ASK,
   * TRYAGAIN, CLUSTERDOWN: nothing was executed), if the deadline leaves time for it.
   */
  #resend(cause: unknown, deadline: Deadline, again: () => void): boolean {
    if (!isReplyError(cause) || !CLUSTER_RETRY.test(cause.message)) return false;
    if (Date.now() + CLUSTER_RETRY_DELAY_MS * 2 > deadline.at) return false;
    if (cause.message.startsWith('MOVED')) {
      // The batch that carried the MOVED did not update ioredis's slot map.
      const refresh = (this.#client as { refreshSlotsCache?: (callback?: () => void) => void })
        .refreshSlotsCache;
      if (typeof refresh === 'function') refresh.call(this.#client, () => {});
    }
    setTimeout(() => {
      if (deadline.fail !== undefined) again();
    }, CLUSTER_RETRY_DELAY_MS).unref();
    return true;
  }

  #fail(deadline: Deadline, cause: unknown, reject: (error: SessionStoreError) => void): void {
    this.#settle(deadline);
    const error = classifyFailure(cause);
    if (error.code === 'LBKIT_SESSION_REDIS_UNAVAILABLE' || error.code === 'LBKIT_SESSION_REDIS_TIMEOUT') {
      this.#observer.onUnavailable(error);
    } else this.#observer.onAnswered();
    reject(error);
  }

  /**
   * Every command has the same timeout, so deadlines expire in the order they were set: one
   * sweeping timer walks the list from its oldest entry instead of one setTimeout per command
   * (whose insertion and clearing showed up in profiles). A deadline fires up to 1/20 of the
   * timeout late.
   */
  #watch(fail: (error: SessionStoreError) => void): Deadline {
    const deadline: Deadline = {
      at: Date.now() + this.#timeoutMs,
      prev: this.#newest,
      next: undefined,
      fail,
    };
    if (this.#newest) this.#newest.next = deadline;
    else this.#oldest = deadline;
    this.#newest = deadline;
    if (!this.#sweeper) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.max(5, Math.floor(this.#timeoutMs / 20)));
      this.#sweeper.unref();
    }
    return deadline;
  }

  /** Unlinks a deadline whose command answered (or expired). */
  #settle(deadline: Deadline): void {
    deadline.fail = undefined;
    const { prev, next } = deadline;
    if (prev) prev.next = next;
    else this.#oldest = next;
    if (next) next.prev = prev;
    else this.#newest = prev;
    deadline.prev = undefined;
    deadline.next = undefined;
  }

  #sweep(): void {
    const now = Date.now();
    for (let deadline = this.#oldest; deadline && deadline.at <= now; deadline = this.#oldest) {
      const fail = deadline.fail;
      this.#settle(deadline);
      fail?.(this.#timeoutError());
    }
    if (!this.#oldest) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #timeoutError(): SessionStoreError {
    const error = new SessionStoreError(
      'LBKIT_SESSION_REDIS_TIMEOUT',
      `Redis did not answer within ${this.#timeoutMs} ms`,
      {
        hint: 'Redis is overloaded, paused or unreachable; commandTimeoutMs bounds every session command.',
      },
    );
    this.#observer.onUnavailable(error);
    return error;
  }

  /** Runs a Lua script by hash, loading it with EVAL when the server does not know it (NOSCRIPT). */
  script(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const all = scriptArgs(keys, args);
    const batch = this.#batch;
    const evalsha = (client: SessionRedisNode) => client.evalsha(script.sha, script.numberOfKeys, ...all);
    const evalLua = (client: SessionRedisNode) => client.eval(script.lua, script.numberOfKeys, ...all);
    if (batch) {
      return this.run(
        () => batch.send(evalsha),
        this.#client,
        () => batch.send(evalLua),
      );
    }
    return this.run(evalsha, this.#client, evalLua);
  }

  /**
   * Runs a script followed by `WAIT` on the same connection (see {@link evalAndWait}), within
   * the one deadline; answers the script's reply and how many replicas confirmed it.
   */
  confirmedScript(
    script: LuaScript,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
    wait: ReplicaWait,
  ): Promise<ConfirmedReply> {
    return this.run((client) => evalAndWait(client, script, keys, args, wait));
  }

  /**
   * HGETALL (field, value, … pairs; pass the reply through {@link asPairs}). Sent as `call('HGETALL')`: ioredis turns the reply of its
   * `hgetall` method into an object (its reply transformers are keyed by the lower-case name),
   * which costs an object in dictionary mode per read; the Cluster still routes by the key.
   */
  hashPairs(key: string): Promise<string[]> {
    const batch = this.#batch;
    const send = (client: SessionRedisNode) => client.call('HGETALL', key) as Promise<unknown>;
    return this.run(batch ? () => batch.send(send) : send) as Promise<string[]>;
  }
}

/** HGETALL's reply as pairs even from an ioredis whose reply transformer made it an object. */
export function asPairs(reply: unknown): string[] {
  if (Array.isArray(reply)) return reply as string[];
  // node-redis with RESP3 answers a map.
  if (reply instanceof Map) return [...reply].flat() as string[];
  return reply !== null && typeof reply === 'object' ? Object.entries(reply).flat() : [];
}
