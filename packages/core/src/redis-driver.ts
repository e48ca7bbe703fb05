// Which Redis driver made a client (ioredis or its fork iovalkey, node-redis 4 or 5), told from the instance without importing any.

/** The client API a Redis client speaks: ioredis's (ioredis, iovalkey) or node-redis's (v4, v5). */
export type RedisDriver = 'ioredis' | 'node-redis';

/**
 * How the client reaches Redis: one server (an ioredis client managed through Sentinel included:
 * it is one connection to the current master), a Cluster, or node-redis's own Sentinel client.
 */
export type RedisTopology = 'single' | 'cluster' | 'sentinel';

/** What {@link detectRedisClient} recognised. */
export interface RedisClientKind {
  readonly driver: RedisDriver;
  readonly topology: RedisTopology;
}

/** node-redis's client classes (the same names in v4 and v5; v4 has no Sentinel client). */
const NODE_REDIS_CLASSES: Readonly<Record<string, RedisTopology>> = {
  RedisClient: 'single',
  RedisCluster: 'cluster',
  RedisSentinel: 'sentinel',
};

/** Names of the classes on `value`'s prototype chain, nearest first (bounded: chains are short). */
export function classNames(value: object): string[] {
  const names: string[] = [];
  let proto: unknown = Object.getPrototypeOf(value);
  for (let depth = 0; proto && depth < 16; depth++) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string') names.push(name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

/**
 * The driver and topology of a Redis client, or undefined when `client` is none of ioredis's
 * `Redis`/`Cluster`, iovalkey's `Redis`/`Cluster`, or node-redis's `createClient()`,
 * `createCluster()`, `createSentinel()` (v4 and v5). Recognised by class and constructor-set
 * state, so a look-alike object with the same method names is not taken for a client.
 */
export function detectRedisClient(client: unknown): RedisClientKind | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const names = classNames(client);
  const own = client as Record<string, unknown>;
  // node-redis keeps its class names (v5 wraps them in anonymous `Class` subclasses) and exposes
  // isOpen on every client; checked first because node-redis v4 also names a class Commander.
  for (const name of names) {
    const topology = NODE_REDIS_CLASSES[name];
    if (topology !== undefined) {
      return typeof own.isOpen === 'boolean' ? { driver: 'node-redis', topology } : undefined;
    }
  }
  // ioredis and iovalkey mix EventEmitter into Redis and Cluster, which overwrites their prototypes'
  // `constructor` (the chain reads EventEmitter, Commander): what identifies them is their Commander
  // base class and the `status` and `isCluster` fields both constructors set on the instance.
  if (
    names.includes('Commander') &&
    Object.hasOwn(client, 'isCluster') &&
    typeof own.isCluster === 'boolean' &&
    Object.hasOwn(client, 'status') &&
    typeof own.status === 'string'
  ) {
    return { driver: 'ioredis', topology: own.isCluster ? 'cluster' : 'single' };
  }
  return undefined;
}
