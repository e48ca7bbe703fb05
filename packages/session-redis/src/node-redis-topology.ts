// node-redis 5's Cluster and Sentinel clients seen through the part of ioredis's API the store uses.
import { optionError } from './errors.js';
import type { NodeRedisClient } from './node-redis-client.js';
import type { IoredisClient } from './types.js';

type Arg = string | number;
/** Sends one command; `key` routes it on a Cluster (undefined: any node). */
type Send = (args: string[], key: string | undefined) => Promise<unknown>;
/** Sends commands in one pipeline on the one connection `key` routes to; answers ioredis's `[error, reply]` pairs. */
type SendPair = (commands: string[][], key: string | undefined) => Promise<Array<[Error | null, unknown]>>;

/** `createCluster()`'s client (v5), as far as the store uses it. */
export interface NodeRedisClusterClient {
  readonly isOpen: boolean;
  readonly isReady?: boolean;
  readonly masters: readonly object[];
  nodeClient(node: object): NodeRedisClient | Promise<NodeRedisClient>;
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>;
  multi(): NodeRedisMulti;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** `createSentinel()`'s client (v5), as far as the store uses it. */
export interface NodeRedisSentinelClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(isReadonly: boolean, args: string[]): Promise<unknown>;
  multi(): NodeRedisMulti;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** node-redis's pipeline object: `addCommand` is (firstKey, isReadonly, args) on a Cluster, (isReadonly, args) on Sentinel. */
interface NodeRedisMulti {
  addCommand(...args: unknown[]): NodeRedisMulti;
  execAsPipeline(): Promise<unknown[]>;
}

/**
 * A node-redis pipeline's replies as ioredis's `[error, reply]` pairs. node-redis rejects the whole
 * pipeline with the first error reply (a `MultiErrorReply` carrying every reply only from a
 * transaction's transform): every command then counts as failed with it, which is what the store
 * needs of its script-and-WAIT pair (NOSCRIPT → resend with EVAL; any other refusal fails the save).
 */
function pairsOf(count: number, run: Promise<unknown[]>): Promise<Array<[Error | null, unknown]>> {
  return run.then(
    (replies) => replies.map((reply): [Error | null, unknown] => [null, reply]),
    (error: unknown) => {
      const replies = (error as { replies?: unknown }).replies;
      if (Array.isArray(replies)) {
        return replies.map((reply): [Error | null, unknown] =>
          reply instanceof Error ? [reply, undefined] : [null, reply],
        );
      }
      if (!(error instanceof Error)) throw error;
      return Array.from({ length: count }, (): [Error | null, unknown] => [error, undefined]);
    },
  );
}

function strings(args: Arg[]): string[] {
  return args.map(String);
}

/** The key a store command routes by: the first key of EVAL/EVALSHA, else the first argument. */
function keyOf(args: string[]): string | undefined {
  const name = args[0]!.toUpperCase();
  if (name === 'EVAL' || name === 'EVALSHA') return Number(args[2]) > 0 ? args[3] : undefined;
  if (name === 'PING' || name === 'SCAN' || name === 'WAIT') return undefined;
  return args[1];
}

/** What every node-redis client has: its state flags and its events. */
interface TopologyClient {
  readonly isOpen: boolean;
  readonly isReady?: boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * The store's ioredis-named methods over a node-redis topology client. Commands go through the
 * client's own routing (a Cluster by key, following MOVED/ASK itself; a Sentinel to the master it
 * knows); a script and its `WAIT` go in one pipeline, so they share the connection to the master
 * written to and WAIT counts the replicas that have the script's writes.
 */
class TopologyAdapter {
  readonly isCluster: boolean;
  readonly #client: TopologyClient;
  readonly #events: Readonly<Record<string, string>>;
  readonly #on: (event: string, listener: (...args: unknown[]) => void) => unknown;
  readonly #off: (event: string, listener: (...args: unknown[]) => void) => unknown;
  readonly #send: Send;
  readonly #sendPair: SendPair;

  constructor(
    client: TopologyClient,
    isCluster: boolean,
    events: Readonly<Record<string, string>>,
    send: Send,
    sendPair: SendPair,
  ) {
    this.#client = client;
    this.isCluster = isCluster;
    this.#events = events;
    this.#on = client.on.bind(client);
    this.#off = client.off.bind(client);
    this.#send = send;
    this.#sendPair = sendPair;
  }

  /**
   * `ready` while open: both clients re-route commands themselves during a failover (node-redis
   * queues them meanwhile; the store's deadline bounds that wait); `end` once closed.
   */
  get status(): string {
    const client = this.#client;
    if (client.isOpen) return client.isReady === false ? 'connecting' : 'ready';
    return 'end';
  }

  on(event: string, listener: (...args: unknown[]) => void): this {
    const mapped = this.#events[event];
    if (mapped) this.#on(mapped, listener);
    return this;
  }

  off(event: string, listener: (...args: unknown[]) => void): this {
    const mapped = this.#events[event];
    if (mapped) this.#off(mapped, listener);
    return this;
  }

  #command(args: Arg[]): Promise<unknown> {
    const all = strings(args);
    return this.#send(all, keyOf(all));
  }

  call(name: string, ...args: Arg[]): Promise<unknown> {
    return this.#command([name, ...args]);
  }
  evalsha(sha: string, numberOfKeys: number, ...args: Arg[]): Promise<unknown> {
    return this.#command(['EVALSHA', sha, numberOfKeys, ...args]);
  }
  eval(lua: string, numberOfKeys: number, ...args: Arg[]): Promise<unknown> {
    return this.#command(['EVAL', lua, numberOfKeys, ...args]);
  }
  ping(): Promise<unknown> {
    return this.#command(['PING']);
  }
  get(key: string): Promise<unknown> {
    return this.#command(['GET', key]);
  }
  del(...keys: string[]): Promise<unknown> {
    return this.#command(['DEL', ...keys]);
  }
  unlink(...keys: string[]): Promise<unknown> {
    return this.#command(['UNLINK', ...keys]);
  }
  scan(cursor: string, ...args: Arg[]): Promise<unknown> {
    return this.#command(['SCAN', cursor, ...args]);
  }
  hgetall(key: string): Promise<unknown> {
    return this.#command(['HGETALL', key]);
  }

  /** ioredis's pipeline: its commands leave in one node-redis pipeline, routed by the first key. */
  pipeline() {
    const commands: string[][] = [];
    const add = (args: Arg[]): void => {
      commands.push(strings(args));
    };
    return {
      unlink: (key: string) => add(['UNLINK', key]),
      hgetall: (key: string) => add(['HGETALL', key]),
      evalsha: (sha: string, n: number, ...args: Arg[]) => add(['EVALSHA', sha, n, ...args]),
      eval: (lua: string, n: number, ...args: Arg[]) => add(['EVAL', lua, n, ...args]),
      call: (name: string, ...args: Arg[]) => add([name, ...args]),
      exec: (): Promise<Array<[Error | null, unknown]>> => {
        let key: string | undefined;
        for (const command of commands) key ??= keyOf(command);
        return this.#sendPair(commands, key);
      },
    };
  }
}

/** A Cluster master reached through `nodeClient()` (SCAN and per-key pipelines of clear/all/length/ids). */
function masterNode(cluster: NodeRedisClusterClient, master: object): IoredisClient {
  const node = async () => cluster.nodeClient(master);
  const send: Send = async (args) => (await node()).sendCommand(args);
  // Commands of one turn leave in one write on a node-redis client; each answers on its own.
  const sendPair: SendPair = async (commands) => {
    const client = await node();
    const sent = commands.map((args) => client.sendCommand(args));
    return (await Promise.allSettled(sent)).map((result): [Error | null, unknown] =>
      result.status === 'fulfilled' ? [null, result.value] : [result.reason as Error, undefined],
    );
  };
  return new TopologyAdapter(cluster, false, {}, send, sendPair) as unknown as IoredisClient;
}

/** node-redis 5's slot map (`cluster._slots`), which it refreshes itself only on MOVED/ASK. */
interface ClusterSlots {
  rediscover(startWith: object): Promise<unknown>;
}

/** Pause between slot-map refreshes while a node reconnects. */
const REDISCOVER_INTERVAL_MS = 200;

/**
 * node-redis's Cluster client refreshes its slot map only when a reply says MOVED or ASK: after a
 * master dies, commands for its slots wait on its reconnecting client for good, even once a
 * replica took them over (nothing else answers them MOVED). While a node reconnects, this asks
 * for a fresh map (through a live master) every {@link REDISCOVER_INTERVAL_MS}, so its slots move
 * to the promoted replica as soon as the Cluster reports it. Answers the function that stops.
 */
function refreshSlotsOnNodeLoss(cluster: NodeRedisClusterClient, slots: ClusterSlots): () => void {
  let last = 0;
  const onReconnecting = (): void => {
    const now = Date.now();
    if (now - last < REDISCOVER_INTERVAL_MS) return;
    last = now;
    const live = (cluster.masters as Array<{ client?: { isReady?: boolean } }>).find(
      (m) => m.client?.isReady,
    );
    if (live?.client) slots.rediscover(live.client).catch(() => {});
  };
  cluster.on('node-reconnecting', onReconnecting);
  cluster.on('node-error', onReconnecting);
  return () => {
    cluster.off('node-reconnecting', onReconnecting);
    cluster.off('node-error', onReconnecting);
  };
}

/** `createCluster()` (v5) for the store: routed by key, its masters listed for SCAN. */
class ClusterAdapter extends TopologyAdapter {
  readonly #cluster: NodeRedisClusterClient;
  readonly #slots: ClusterSlots;
  #stopRefreshing: (() => void) | undefined;

  constructor(cluster: NodeRedisClusterClient, slots: ClusterSlots) {
    super(
      cluster,
      true,
      // node-redis's Cluster announces its slot map being ready, and its close.
      { ready: 'connect', end: 'disconnect' },
      (args, key) => cluster.sendCommand(key, false, args),
      (commands, key) => {
        const multi = cluster.multi();
        for (const args of commands) multi.addCommand(key, false, args);
        return pairsOf(commands.length, multi.execAsPipeline());
      },
    );
    this.#cluster = cluster;
    this.#slots = slots;
  }

  /** The store listens for `close` while it is open: the slot refresher lives exactly as long. */
  override on(event: string, listener: (...args: unknown[]) => void): this {
    if (event === 'close') this.#stopRefreshing ??= refreshSlotsOnNodeLoss(this.#cluster, this.#slots);
    return super.on(event, listener);
  }

  override off(event: string, listener: (...args: unknown[]) => void): this {
    if (event === 'close') {
      this.#stopRefreshing?.();
      this.#stopRefreshing = undefined;
    }
    return super.off(event, listener);
  }

  nodes(_role: 'master'): IoredisClient[] {
    return this.#cluster.masters.map((master) => masterNode(this.#cluster, master));
  }
}

/** `createSentinel()` (v5) for the store: every command to the master node-redis's Sentinel client knows. */
class SentinelAdapter extends TopologyAdapter {
  constructor(sentinel: NodeRedisSentinelClient) {
    super(
      sentinel,
      false,
      // node-redis's Sentinel client announces a new master with topology-change.
      { ready: 'topology-change' },
      (args) => sentinel.sendCommand(false, args),
      (commands) => {
        const multi = sentinel.multi();
        for (const args of commands) multi.addCommand(false, args);
        return pairsOf(commands.length, multi.execAsPipeline());
      },
    );
  }
}

/**
 * The store's client over a node-redis 5 `createCluster()` client. node-redis 4's Cluster client
 * keeps its slot map private, so after a master dies its slots would stay unreachable until that
 * node returns: refused.
 */
export function adaptNodeRedisCluster(client: unknown): IoredisClient {
  const slots = (client as { _slots?: Partial<ClusterSlots> })._slots;
  if (typeof slots?.rediscover !== 'function') {
    throw optionError(
      'LBKIT_SESSION_CLIENT_REQUIRED',
      "node-redis 4's Cluster client does not follow a failover: after a master dies, the sessions in its slots stay unreachable until it returns",
      "Use node-redis 5's createCluster() (redis@5), or ioredis's Cluster.",
    );
  }
  return new ClusterAdapter(
    client as NodeRedisClusterClient,
    slots as ClusterSlots,
  ) as unknown as IoredisClient;
}

/** The store's client over a node-redis `createSentinel()` client (see {@link refuseUnconfirmedSentinel}). */
export function adaptNodeRedisSentinel(client: unknown): IoredisClient {
  return new SentinelAdapter(client as NodeRedisSentinelClient) as unknown as IoredisClient;
}

/**
 * node-redis's Sentinel client keeps the store's promise only with `durability`. node-redis 5.12's
 * Sentinel client never checks the role of the node it writes to, and moves to a new master only
 * when its one sentinel connection publishes an event it listens for (its `switch-master` pattern
 * does not match Sentinel's `+switch-master` channel), a command answers READONLY, or the
 * connection drops. A master frozen past down-after keeps its connection; resumed, it acknowledges
 * writes as master until Sentinel demotes it and its resync discards them (issue #19). With WAIT
 * for a replica, that master (whose replicas now follow the new one) confirms none, so those
 * writes answer 503 instead of 200.
 */
export function refuseUnconfirmedSentinel(client: IoredisClient, durableReplicas: number): void {
  if (!(client instanceof SentinelAdapter) || durableReplicas > 0) return;
  throw optionError(
    'LBKIT_SESSION_CLIENT_UNSAFE',
    "node-redis's Sentinel client keeps writing to a frozen master that Sentinel replaced, which would acknowledge session writes a failover discards",
    'Set durability: { replicas: 1 } (or more) with a createSentinel() client, or pass ioredis new Redis({ sentinels, name, failoverDetector: true }).',
  );
}
