// A private Redis Cluster of three masters, with replicas if asked (redis-server --cluster-enabled + redis-cli --cluster create), per test file.
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
  /** Every node (masters first), as ioredis `Cluster` startup nodes. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** The redis-server processes (stop/kill/start one to fail a master). */
  readonly servers: readonly PrivateRedis[];
  /** Ports of the nodes that are masters now, as the node on `askPort` (default: any) sees them. */
  masterPorts(askPort?: number): Promise<number[]>;
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

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(redisCliBinary!, ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

/** Masters in `CLUSTER NODES` as one node sees them (failed ones excluded). */
async function mastersSeenBy(port: number): Promise<number[]> {
  const lines = (await cli(port, 'cluster', 'nodes')).trim().split('\n');
  return lines
    .map((line) => line.split(' '))
    .filter((f) => f[2]?.includes('master') && !f[2].includes('fail'))
    .map((f) => Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]));
}

/**
 * Starts `masters` redis-servers in cluster mode on free loopback ports (the bus port is chosen
 * explicitly with --cluster-port, since port + 10000 may not exist), plus `replicas` replicas of
 * each, joins them with `redis-cli --cluster create … --cluster-replicas <replicas>`, and waits
 * until every node says ok and every replica's link to its master is up.
 */
export async function startRedisCluster(masters = 3, replicas = 0): Promise<PrivateRedisCluster> {
  if (!redisCliBinary) throw new Error('redis-cli is not installed');
  const servers: PrivateRedis[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
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
      String(replicas),
      '--cluster-yes',
    ]);
    const deadline = Date.now() + 30_000;
    for (const server of servers) {
      while ((await clusterState(server.port)) !== 'ok') {
        if (Date.now() > deadline)
          throw new Error(`cluster node ${server.port} did not reach cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const server of servers) {
      for (;;) {
        const info = await cli(server.port, 'info', 'replication');
        if (info.includes('role:master') || info.includes('master_link_status:up')) break;
        if (Date.now() > deadline) throw new Error(`cluster replica ${server.port} never linked`);
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
    masterPorts: async (askPort) => {
      for (const server of servers) {
        if (askPort !== undefined && server.port !== askPort) continue;
        if (!server.running) continue;
        try {
          return await mastersSeenBy(server.port);
        } catch {
          // ask the next node
        }
      }
      throw new Error('no cluster node answered');
    },
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
