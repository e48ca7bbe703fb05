// A private Redis Cluster of three masters (redis-server --cluster-enabled + redis-cli --cluster create) per test file.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { hasRedis, type PrivateRedis, startRedis } from './redis.js';
import { findBinary, requireService } from './services.js';

const run = promisify(execFile);

/** Path of redis-cli, or undefined when it is not installed. */
export const redisCliBinary = findBinary('redis-cli');

/** For `describe.runIf(hasRedisCluster())`: needs redis-server and redis-cli. */
export function hasRedisCluster(): boolean {
  return hasRedis() && requireService('redis-cli', Boolean(redisCliBinary), 'apt-get install redis-tools');
}

/** A running cluster owned by one test file. */
export interface PrivateRedisCluster {
  /** The masters, as ioredis `Cluster` startup nodes. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** The redis-server processes (stop/kill/start one to fail a master). */
  readonly servers: readonly PrivateRedis[];
  /** Stops every node and removes their folders. */
  close(): Promise<void>;
}

async function clusterState(port: number): Promise<string> {
  try {
    const { stdout } = await run(redisCliBinary!, ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']);
    return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? 'unknown';
  } catch {
    return 'unreachable';
  }
}

/**
 * Starts `masters` redis-servers in cluster mode on free loopback ports (the bus port is chosen
 * explicitly with --cluster-port, since port + 10000 may not exist), joins them with
 * `redis-cli --cluster create … --cluster-replicas 0`, and waits until every node says ok.
 */
export async function startRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  if (!redisCliBinary) throw new Error('redis-cli is not installed');
  const servers: PrivateRedis[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const busPort = await freePort();
      servers.push(
        await startRedis({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '2000',
            '--cluster-port',
            String(busPort),
          ],
        }),
      );
    }
    await run(redisCliBinary, [
      '--cluster',
      'create',
      ...servers.map((s) => `${s.host}:${s.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + 15_000;
    for (const server of servers) {
      while ((await clusterState(server.port)) !== 'ok') {
        if (Date.now() > deadline)
          throw new Error(`cluster node ${server.port} did not reach cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: s.host, port: s.port })),
    servers,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
