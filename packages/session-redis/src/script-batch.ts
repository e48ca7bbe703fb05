// Coalesces the script calls issued in one event-loop turn into one pipelined socket write.
import type { Redis } from 'ioredis';
import type { LuaScript } from './scripts.js';

interface Pending {
  readonly script: LuaScript;
  readonly keys: readonly string[];
  readonly args: ReadonlyArray<string | number>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** EVALSHA, then EVAL when the server does not know the script yet (NOSCRIPT). */
export async function evalScript(
  client: Pick<Redis, 'evalsha' | 'eval'>,
  script: LuaScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, script.numberOfKeys, ...keys, ...args);
  } catch (error) {
    if (isNoScript(error)) return client.eval(script.lua, script.numberOfKeys, ...keys, ...args);
    throw error;
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * ioredis writes every command to the socket as soon as it is issued (auto-pipelining flushes on
 * process.nextTick, which runs after each I/O callback), one write syscall per command. Under load
 * that syscall is the store's largest cost. Like node-redis, which schedules its writes with
 * setImmediate, this queues the scripts of every request handled in one event-loop turn and sends
 * them as one pipeline. A single queued script goes out alone. Only used on single-node and
 * Sentinel clients: a Cluster pipeline must stay within one node.
 */
export class ScriptBatch {
  readonly #client: Redis;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(client: Redis) {
    this.#client = client;
  }

  send(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ script, keys, args, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 1) {
      const only = batch[0]!;
      evalScript(this.#client, only.script, only.keys, only.args).then(only.resolve, only.reject);
      return;
    }
    const pipeline = this.#client.pipeline();
    for (const { script, keys, args } of batch)
      pipeline.evalsha(script.sha, script.numberOfKeys, ...keys, ...args);
    pipeline.exec().then(
      (results) => {
        for (const [i, pending] of batch.entries()) {
          const [error, value] = results?.[i] ?? [new Error('the pipeline returned no result')];
          if (!error) pending.resolve(value);
          else if (isNoScript(error)) {
            const { script, keys, args } = pending;
            this.#client
              .eval(script.lua, script.numberOfKeys, ...keys, ...args)
              .then(pending.resolve, pending.reject);
          } else pending.reject(error);
        }
      },
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  }
}
