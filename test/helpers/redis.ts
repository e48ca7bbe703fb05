// A private redis-server per test file: free loopback port, no persistence, stop/restart on demand.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { findBinary, requireService } from './services.js';

/** Path of redis-server, or undefined when it is not installed. */
export const redisServerBinary = findBinary('redis-server');

/** For `describe.runIf(hasRedis())`: prints a reason or throws under CI when redis-server is missing. */
export function hasRedis(): boolean {
  return requireService('redis-server', Boolean(redisServerBinary), 'apt-get install redis-server');
}

/** A redis-server owned by one test file. */
export interface PrivateRedis {
  readonly host: string;
  readonly port: number;
  /** `redis://host:port`. */
  readonly url: string;
  /** True while the server process runs. */
  readonly running: boolean;
  /** Stops the server (SIGTERM, waits for exit). Clients see connection refused until `start()`. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), like a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /** Stops it for good and removes its folder; call in afterAll. */
  close(): Promise<void>;
}

/** Starts a private redis-server. Extra `args` are passed through (for example `--cluster-enabled yes`). */
export async function startRedis(
  options: { host?: string; port?: number; args?: string[] } = {},
): Promise<PrivateRedis> {
  if (!redisServerBinary) throw new Error('redis-server is not installed');
  const binary = redisServerBinary;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        host,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
        '--protected-mode',
        'no',
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    await waitForPort(port, host);
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
    child = undefined;
  };

  await start();
  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    get running() {
      return child !== undefined;
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start,
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
    close: async () => {
      await halt('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
