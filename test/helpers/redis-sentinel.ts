// A private Redis Sentinel (redis-server --sentinel) watching a master started by startRedis(), for failover tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { redisServerBinary } from './redis.js';

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
 * Starts one sentinel on a free loopback port monitoring `masterPort` with quorum 1, so a single
 * sentinel can fail over. `downAfterMs` is how long the master must be unreachable first.
 */
export async function startRedisSentinel(
  masterPort: number,
  options: { name?: string; downAfterMs?: number } = {},
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
      `sentinel monitor ${name} ${host} ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} 5000`,
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
