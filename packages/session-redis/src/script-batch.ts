// Coalesces the script calls issued in one event-loop turn into one socket write.
import type { Redis } from 'ioredis';
import type { LuaScript } from './scripts.js';

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

/** The part of ioredis's socket this needs (a net or TLS socket). */
interface Corkable {
  readonly writable: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * ioredis writes every command to the socket as soon as it is issued, one write syscall per
 * command; under load that syscall is the store's largest cost. Like node-redis, which schedules
 * its writes with setImmediate, this corks the connection's socket at the first script of an
 * event-loop turn and uncorks it in setImmediate, so the scripts of every request handled in that
 * turn leave in one write. Each script stays an ordinary ioredis command (its own promise, NOSCRIPT
 * fallback, offline handling): a Pipeline object per turn cost more CPU than the syscalls it saved.
 * Only used on single-node and Sentinel clients (a Cluster has one socket per node).
 */
export class ScriptBatch {
  readonly #client: Redis;
  #corked: Corkable | undefined;
  readonly #release = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork();
  };

  constructor(client: Redis) {
    this.#client = client;
  }

  send(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    if (this.#corked === undefined) {
      const stream = (this.#client as { stream?: Partial<Corkable> }).stream;
      if (stream?.writable === true && typeof stream.cork === 'function') {
        stream.cork();
        this.#corked = stream as Corkable;
        setImmediate(this.#release);
      }
    }
    return evalScript(this.#client, script, keys, args);
  }
}
