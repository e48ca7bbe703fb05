// Private Redis Sentinels (redis-server --sentinel) watching a master started by startRedis(), alone or as a full group, for failover tests.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './ports.js';
import { type PrivateRedis, redisServerBinary, startRedis } from './redis.js';
import { findBinary } from './services.js';

const run = promisify(execFile);
const redisCliBinary = findBinary('redis-cli');

/** A running sentinel owned by one test file. */
export interface PrivateSentinel {
  readonly host: string;
  readonly port: number;
  /** The master name it monitors (for ioredis `{ sentinels, name }`). */
  readonly name: string;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/**
 * Starts one sentinel on a free loopback port monitoring `masterPort` with `quorum` (default 1, so
 * a single sentinel can fail over). `downAfterMs` is how long the master must be unreachable first.
 */
export async function startRedisSentinel(
  masterPort: number,
  options: { name?: string; downAfterMs?: number; quorum?: number; failoverTimeoutMs?: number } = {},
): Promise<PrivateSentinel> {
  if (!redisServerBinary) throw new Error('redis-server is not installed');
  const name = options.name ?? 'mymaster';
  const host = '127.0.0.1';
  const port = await freePort(host);
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  // Sentinel rewrites its configuration file, so it gets its own writable copy.
  writeFileSync(
    config,
    [
      `port ${port}`,
      `bind ${host}`,
      `dir ${dir}`,
      `sentinel monitor ${name} ${host} ${masterPort} ${options.quorum ?? 1}`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(redisServerBinary, [config, '--sentinel'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await waitForPort(port, host);
  return {
    host,
    port,
    name,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one redis-cli command against a loopback port and answers its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  if (!redisCliBinary) throw new Error('redis-cli is not installed');
  const { stdout } = await run(redisCliBinary, ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A master, its replicas and the sentinels watching them, owned by one test file. */
export interface PrivateSentinelGroup {
  readonly name: string;
  /** Every redis-server, the first one the master at the start. */
  readonly servers: readonly PrivateRedis[];
  readonly sentinels: readonly PrivateSentinel[];
  /** `host:port,…` of the sentinels, as REDIS_SENTINELS takes them. */
  readonly sentinelList: string;
  /** The port the sentinels name as master now (asked of the first one that answers). */
  masterPort(): Promise<number>;
  /** SIGSTOP / SIGCONT of a server by port: a frozen process, its sockets left open. */
  freeze(port: number): Promise<void>;
  resume(port: number): Promise<void>;
  /** Resolves once the server on `port` says it is a replica with its link to the master up. */
  linkedReplica(port: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a master, `replicas` replicas of it and `sentinels` sentinels with a majority quorum,
 * and waits until every sentinel knows every replica and the other sentinels, so a failover can
 * start at once. `downAfterMs` is the sentinels' down-after-milliseconds.
 */
export async function startSentinelGroup(
  options: { replicas?: number; sentinels?: number; downAfterMs?: number; name?: string } = {},
): Promise<PrivateSentinelGroup> {
  const name = options.name ?? 'mymaster';
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const servers: PrivateRedis[] = [];
  const sentinels: PrivateSentinel[] = [];
  const pids = new Map<number, number>();
  const close = async (): Promise<void> => {
    for (const [, pid] of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await Promise.all(sentinels.map((s) => s.close()));
    await Promise.all(servers.map((s) => s.close()));
  };
  const linkedReplica = (port: number, timeoutMs = 30_000) =>
    until(`the replica on ${port} to link`, timeoutMs, async () => {
      const info = await redisCli(port, 'info', 'replication');
      return info.includes('role:slave') && info.includes('master_link_status:up');
    });
  try {
    const master = await startRedis();
    servers.push(master);
    for (let i = 0; i < replicaCount; i++)
      servers.push(await startRedis({ args: ['--replicaof', master.host, String(master.port)] }));
    for (const replica of servers.slice(1)) await linkedReplica(replica.port);
    for (const server of servers) {
      const info = await redisCli(server.port, 'info', 'server');
      pids.set(server.port, Number(/process_id:(\d+)/.exec(info)?.[1]));
    }
    const quorum = Math.floor(sentinelCount / 2) + 1;
    for (let i = 0; i < sentinelCount; i++)
      sentinels.push(
        await startRedisSentinel(master.port, { name, quorum, downAfterMs: options.downAfterMs ?? 1000 }),
      );
    for (const sentinel of sentinels) {
      await until('the sentinels to find each other and the replicas', 30_000, async () => {
        const master = await redisCli(sentinel.port, 'sentinel', 'master', name);
        const field = (key: string) => Number(new RegExp(`^${key}\\n(\\d+)$`, 'm').exec(master)?.[1]);
        return field('num-slaves') === replicaCount && field('num-other-sentinels') === sentinelCount - 1;
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  const signal = (port: number, sig: NodeJS.Signals) => {
    const pid = pids.get(port);
    if (!pid) throw new Error(`no server on ${port}`);
    process.kill(pid, sig);
  };
  return {
    name,
    servers,
    sentinels,
    sentinelList: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    masterPort: async () => {
      for (const sentinel of sentinels) {
        try {
          const reply = await redisCli(sentinel.port, 'sentinel', 'get-master-addr-by-name', name);
          const port = Number(reply.trim().split('\n')[1]);
          if (port > 0) return port;
        } catch {
          // try the next sentinel
        }
      }
      throw new Error('no sentinel answered');
    },
    freeze: async (port) => signal(port, 'SIGSTOP'),
    resume: async (port) => signal(port, 'SIGCONT'),
    linkedReplica,
    close,
  };
}
